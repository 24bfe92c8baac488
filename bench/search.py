"""« Élèves » search on 200,000 students: the app's fragment against the raw LDAP query, and select-all.

Run with `make bench-search`. Prints p50 and p95 of each, their ratio, and the targets of DESIGN.md.
"""
from __future__ import annotations

import argparse
import re
import sys

import ldap3

from directory import attributes as A
from directory.model import AccountState
from directory.populations import STUDENTS
from directory.students import StudentCriteria, StudentSort
from directory.sorting import page_control, sort_control
from webapp import create_app

from .common import SERVICE_DN, STAFF_PASSWORD, SUFFIX, big_directory, summary, timed, uai_of

SCENARIOS = {
    "no criteria": ("", StudentCriteria()),
    "name prefix 'mar'": ("q=mar", StudentCriteria(name="mar")),
    "one class (201)": ("classe=201", StudentCriteria(classes=("201",))),
    "one state (notifié)": ("etat=notifie", StudentCriteria(states=(AccountState.NOTIFIED,))),
}
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--establishments", type=int, default=100)
    parser.add_argument("--students", type=int, default=2000, help="students per establishment")
    parser.add_argument("--requests", type=int, default=200, help="requests per scenario")
    args = parser.parse_args(argv)

    with big_directory(args.establishments, args.students) as config:
        app = create_app(config)
        client = app.test_client()
        page = client.get("/connexion").get_data(as_text=True)
        token = CSRF.search(page).group(1)
        school = args.establishments // 2
        signed = client.post("/connexion", data={"csrf_token": token, "uid": f"head.{school}",
                                                 "password": STAFF_PASSWORD})
        assert signed.status_code == 302, "could not sign in"
        uai = uai_of(school)
        raw = ldap3.Connection(ldap3.Server(config["SESAME_LDAP_URL"]), SERVICE_DN,
                               config["SESAME_LDAP_BIND_PASSWORD"], auto_bind=True)
        base = f"{A.STUDENTS},{SUFFIX}"
        controls = [sort_control(StudentSort.NAME.keys(False)), page_control(1, 50)]

        print(f"\n{'search (first page of 50, sorted, with total)':48} {'rows':>6} {'app p50':>8} {'app p95':>8}"
              f" {'LDAP p50':>9} {'LDAP p95':>9} {'ratio p50':>9} {'ratio p95':>9}")
        worst_p95, worst_ratio = 0.0, 0.0
        for label, (query, criteria) in SCENARIOS.items():
            url = "/eleves" + ("?" + query if query else "")

            def fragment():
                response = client.get(url, headers={"HX-Request": "true"})
                assert response.status_code == 200

            def raw_query():
                # a fresh connection every 7 sorted searches, as the app's pool does
                nonlocal raw
                raw.search(base, criteria.filter(STUDENTS.in_establishment(uai)), ldap3.LEVEL, attributes=list(STUDENTS.attributes),
                           controls=controls)
                raw_query.count += 1
                if raw_query.count % 7 == 0:
                    raw.unbind()
                    raw = ldap3.Connection(ldap3.Server(config["SESAME_LDAP_URL"]), SERVICE_DN,
                                           config["SESAME_LDAP_BIND_PASSWORD"], auto_bind=True)
            raw_query.count = 0

            fragment(), raw_query()    # warm-up
            app_times = timed(fragment, args.requests)
            raw_times = timed(raw_query, args.requests)
            rows = len(raw.entries)
            (a50, a95), (r50, r95) = summary(app_times), summary(raw_times)
            worst_p95, worst_ratio = max(worst_p95, a95), max(worst_ratio, a95 / r95)
            print(f"{label:48} {rows:>6} {a50:>7.1f}ms {a95:>7.1f}ms {r50:>8.1f}ms {r95:>8.1f}ms"
                  f" {a50 / r50:>8.2f}x {a95 / r95:>8.2f}x")

        token = CSRF.search(client.get("/eleves").get_data(as_text=True)).group(1)
        total = len(app.extensions["sesame.directory"].students.ids(uai, StudentCriteria()))

        def select_all():
            client.post("/eleves/selection/vider", data={"csrf_token": token}, headers={"HX-Request": "true"})
            response = client.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1"},
                                   headers={"HX-Request": "true"})
            assert f"<strong>{total}</strong> élève(s) sélectionné(s)" in response.get_data(as_text=True)

        select_times = timed(select_all, 30)
        s50, s95 = summary(select_times)
        print(f"\nselect every match of a {total:,}-student search (clear + select-all, 30 runs): "
              f"p50 {s50:.1f} ms, p95 {s95:.1f} ms")
        print("\ntargets (DESIGN.md): fragment p95 <= 100 ms and <= 2x the raw LDAP query; select-all <= 300 ms")
        print(f"worst fragment p95 {worst_p95:.1f} ms; worst p95 ratio {worst_ratio:.2f}x; select-all p50 {s50:.1f} ms")
        return 0


if __name__ == "__main__":
    sys.exit(main())
