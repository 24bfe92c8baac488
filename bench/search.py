"""« Élèves » search on 200,000 students: the app's fragment (test client and over HTTP through
gunicorn) against the raw LDAP query, select-all, then 50 heads of 50 schools at once for a minute.

Run with `make bench-search`. Prints p50 and p95 of each, their ratio, and the targets of DESIGN.md.
"""
from __future__ import annotations

import sys

import ldap3

from directory import attributes as A
from directory.model import AccountState
from directory.populations import STUDENTS
from directory.search import AccountCriteria, AccountSort
from directory.sorting import page_control, sort_control
from webapp import create_app

from . import load
from .common import arguments, CSRF, SERVICE_DN, SUFFIX, big_directory, signed_in, summary, timed, uai_of

SCENARIOS = {
    "no criteria": ("", AccountCriteria()),
    "name prefix 'mar'": ("q=mar", AccountCriteria(name="mar")),
    "one class (201)": ("classe=201", AccountCriteria(classes=("201",))),
    "one state (notifié)": ("etat=notifie", AccountCriteria(states=(AccountState.NOTIFIED,))),
}
HEADER = (f"{'search (first page of 50, sorted, with total)':44} {'rows':>5} {'client p95':>10} {'HTTP p50':>9}"
          f" {'HTTP p95':>9} {'LDAP p50':>9} {'LDAP p95':>9} {'HTTP/LDAP p95':>13}")


class RawQuery:
    """The LDAP query the fragment makes, by hand: same filter, attributes, sort and VLV controls;
    a fresh connection every 7 sorted searches, as the app's pool does."""

    def __init__(self, config):
        self.config, self.count = config, 0
        self.conn = self._connect()

    def _connect(self):
        return ldap3.Connection(ldap3.Server(self.config["SESAME_LDAP_URL"]), SERVICE_DN,
                                self.config["SESAME_LDAP_BIND_PASSWORD"], auto_bind=True)

    def __call__(self, filter_: str, attributes=tuple(STUDENTS.attributes)) -> int:
        controls = [sort_control(AccountSort.NAME.keys(False)), page_control(1, 50)]
        self.conn.search(f"{A.STUDENTS},{SUFFIX}", filter_, ldap3.LEVEL, attributes=list(attributes), controls=controls)
        rows = sum(1 for e in self.conn.response if e.get("type") == "searchResEntry")
        self.count += 1
        if self.count % 7 == 0:
            self.conn.unbind()
            self.conn = self._connect()
        return rows




def search_figures(config, app, port: int, school: int, requests: int, say=print) -> dict[str, tuple]:
    """Per scenario, for the head of `school`: (rows, client p95, HTTP p50, HTTP p95, LDAP p50, LDAP p95)."""
    client = signed_in(app, f"head.{school}")
    head = load.Head(port, f"head.{school}", uai_of(school))
    head.sign_in()
    raw = RawQuery(config)
    uai = uai_of(school)
    say(HEADER)
    figures = {}
    for label, (query, criteria) in SCENARIOS.items():
        url = "/eleves" + ("?" + query if query else "")
        filter_ = criteria.filter(STUDENTS.in_establishment(uai))

        def fragment():
            assert client.get(url, headers={"HX-Request": "true"}).status_code == 200

        def over_http():
            status, _ = head.request("GET", url, headers={"HX-Request": "true"})
            assert status == 200, status

        fragment(), over_http(), raw(filter_)    # warm-up
        _, c95 = summary(timed(fragment, requests))
        h50, h95 = summary(timed(over_http, requests))
        r50, r95 = summary(timed(lambda: raw(filter_), requests))
        rows = raw(filter_)
        figures[label] = (rows, c95, h50, h95, r50, r95)
        say(f"{label:44} {rows:>5} {c95:>8.1f}ms {h50:>7.1f}ms {h95:>7.1f}ms {r50:>7.1f}ms {r95:>7.1f}ms"
            f" {h95 / r95:>12.2f}x")
    return figures


def select_all_figures(app, school: int, say=print) -> float:
    client = signed_in(app, f"head.{school}")
    uai = uai_of(school)
    token = CSRF.search(client.get("/eleves").get_data(as_text=True)).group(1)
    total = len(app.extensions["sesame.directory"].students.ids(uai, AccountCriteria()))

    def select_all():
        client.post("/eleves/selection/vider", data={"csrf_token": token}, headers={"HX-Request": "true"})
        response = client.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1"},
                               headers={"HX-Request": "true"})
        assert f"<strong>{total}</strong> élève(s) sélectionné(s)" in response.get_data(as_text=True)

    s50, s95 = summary(timed(select_all, 30))
    say(f"\nselect every match of a {total:,}-student search (clear + select-all, 30 runs): "
        f"p50 {s50:.1f} ms, p95 {s95:.1f} ms (target <= 300 ms)")
    return s50


def main(argv=None) -> int:
    parser = arguments(__doc__, requests=200)
    parser.add_argument("--heads", type=int, default=50, help="heads of as many schools in the load run")
    parser.add_argument("--seconds", type=float, default=60, help="length of each load run (0: none)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of the load run (paced, then flat out)")
    args = parser.parse_args(argv)

    schools: dict[str, str] = {}
    with big_directory(args.establishments, args.students, schools=schools) as config:
        app = create_app(config)
        with load.gunicorn(config) as port:
            school = args.establishments // 2
            figures = search_figures(config, app, port, school, args.requests)
            s50 = select_all_figures(app, school)
            worst = max(f[3] for f in figures.values())
            worst_ratio = max(f[3] / f[5] for f in figures.values())
            print("\ntargets (DESIGN.md): fragment p95 <= 100 ms and <= 2x the raw LDAP query; select-all <= 300 ms")
            print(f"worst fragment p95 over HTTP {worst:.1f} ms; worst p95 ratio to LDAP {worst_ratio:.2f}x; "
                  f"select-all p50 {s50:.1f} ms")
            if args.seconds:
                load.rounds(config, port, min(args.heads, args.establishments), schools, args.seconds, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
