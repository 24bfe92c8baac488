"""An académie in the directory: 1,100,000 students and 1,800,000 parents built by `slapadd -q`, the
search fragment of a 2,000-student school, the identity team's search across establishments by name and
« Statistiques » › « Tous les établissements », each beside the raw queries it needs, and the same at
200,000 students in the same run to show how the cost grows.

Run with `make bench-academie` (about 70 minutes, 20 GB of free disk; SESAME_BENCH_DIR picks where).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from urllib.parse import urlencode

import ldap3

from directory import attributes as A
from devtools.demo import SURNAMES
from directory.registry.lookup import ATTRIBUTES, LIMIT, accounts_filter
from webapp import create_app
from webapp.figures import figures_of

from . import load
from .common import ADMIN, SERVICE_DN, SUFFIX, add_identity_team_member, big_directory, summary, timed, uai_of
from .search import search_figures
from .stats import raw_figure_reads

SECOND_PARENT = 0.636          # 1.1 million students, 1.8 million parents
CROSS = {"by surname": SURNAMES[7], "by given name and surname": f"emma {SURNAMES[7]}"}
REFRESH_SAMPLE = 10           # establishments whose raw figure reads are timed beside the refresh


def cross_establishment(config, port: int, requests: int, say=print) -> dict[str, tuple]:
    """The identity team's search across establishments (« Alimentation » › « Rechercher un compte »):
    its results over HTTP beside the raw LDAP searches it makes (students, then parents, with the same
    filter, attributes and size limit). (rows, HTTP p50, HTTP p95, LDAP p50, LDAP p95) by label."""
    admin = load.Head(port, ADMIN, "")
    admin.sign_in()
    conn = ldap3.Connection(ldap3.Server(config["SESAME_LDAP_URL"], get_info=ldap3.NONE), SERVICE_DN,
                            config["SESAME_LDAP_BIND_PASSWORD"], auto_bind=True)
    found = {}
    for label, query in CROSS.items():
        url = "/alimentation/recherche?" + urlencode({"q": query})
        filter_ = accounts_filter(query)

        def page():
            status, text = admin.request("GET", url, headers={"HX-Request": "true"})
            assert status == 200, status
            return text.count('href="/alimentation/compte/')

        def raw():
            rows = 0
            for branch in (A.STUDENTS, A.GUARDIANS):
                conn.search(f"{branch},{SUFFIX}", filter_, ldap3.LEVEL, attributes=ATTRIBUTES, size_limit=LIMIT + 1)
                rows += sum(1 for e in conn.response if e.get("type") == "searchResEntry")
            return rows
        rows = page()
        raw()
        h50, h95 = summary(timed(page, requests))
        r50, r95 = summary(timed(raw, requests))
        found[label] = (rows, h50, h95, r50, r95)
        say(f"{label} ({query!r}): {rows} rows shown; HTTP p50 {h50:.1f} ms, p95 {h95:.1f} ms; raw LDAP p50 "
            f"{r50:.1f} ms, p95 {r95:.1f} ms -> {h95 / r95:.2f}x at p95")
    return found


def every_establishment(config, app, port: int, establishments: int, requests: int, say=print) -> dict:
    """« Statistiques » › « Tous les établissements »: every establishment's figures computed once into
    Redis (what `flask directory refresh-figures` does), timed beside the raw LDAP reads of a sample of
    schools; then the page over HTTP beside the Redis reads it needs."""
    with app.app_context():
        started = time.perf_counter()
        for n in range(establishments):
            figures_of(uai_of(n), max_age=0)
        refresh = time.perf_counter() - started
    sample = [raw_figure_reads(config, uai_of(n), app.config["SESAME_PROVISIONAL_DAYS"])
              for n in range(0, establishments, max(1, establishments // REFRESH_SAMPLE))][:REFRESH_SAMPLE]
    raw_each = statistics.median(timed(read, 1)[0] for read in sample)
    admin = load.Head(port, ADMIN, "")
    admin.sign_in()

    def page():
        status, text = admin.request("GET", "/statistiques/etablissements")
        assert status == 200, status
    redis = app.extensions["sesame.redis"]
    keys = [f"sesame:figures:{uai_of(n)}" for n in range(establishments)]
    page()
    h50, h95 = summary(timed(page, requests))
    r50, r95 = summary(timed(lambda: redis.mget(keys), requests))
    say(f"every establishment's figures computed: {refresh:.0f} s, {refresh / establishments * 1000:.0f} ms each "
        f"(raw LDAP reads of one school, median of {len(sample)}: {raw_each * 1000:.0f} ms)")
    say(f"« Tous les établissements » ({establishments} rows) over HTTP: p50 {h50:.1f} ms, p95 {h95:.1f} ms; "
        f"Redis reads of the figures p50 {r50:.1f} ms, p95 {r95:.1f} ms")
    return {"refresh": refresh, "refresh_each": refresh / establishments, "raw_each": raw_each,
            "page": (h50, h95), "redis": (r50, r95)}


def measure(label: str, establishments: int, requests: int, say=print) -> dict:
    started = time.monotonic()
    with big_directory(establishments, 2000, say=say, second_parent=SECOND_PARENT, max_size=64 * 1024**3) as config:
        built = time.monotonic() - started
        app = create_app(config)
        add_identity_team_member(app.extensions["sesame.directory"])
        say(f"\n== {label}: {establishments * 2000:,} students, about {establishments * 2000 * (1 + SECOND_PARENT):,.0f} "
            f"parents (built in {built / 60:.1f} min) ==")
        with load.gunicorn(config, say=say) as port:
            figures = search_figures(config, app, port, establishments // 2, requests, say=say)
            say("the identity team's search across establishments, by name:")
            cross = cross_establishment(config, port, max(20, requests // 4), say=say)
            overview = every_establishment(config, app, port, establishments, max(20, requests // 4), say=say)
    return {"figures": figures, "cross": cross, "overview": overview, "built": built}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--academie", type=int, default=550, help="establishments of 2,000 students (550: 1.1 M)")
    parser.add_argument("--small", type=int, default=100, help="establishments of the smaller directory (100: 200 k)")
    parser.add_argument("--requests", type=int, default=200, help="requests per scenario")
    args = parser.parse_args(argv)
    small = measure("the 200,000 directory", args.small, args.requests)
    big = measure("the académie", args.academie, args.requests)

    print(f"\n{'how the cost grows (p95, ms)':44} {'200k HTTP':>9} {'académie HTTP':>13} {'200k LDAP':>9} "
          f"{'académie LDAP':>13} {'académie HTTP/LDAP':>18}")
    for label in small["figures"]:
        s, b = small["figures"][label], big["figures"][label]
        print(f"{'fragment, ' + label:44} {s[3]:>9.1f} {b[3]:>13.1f} {s[5]:>9.1f} {b[5]:>13.1f} {b[3] / b[5]:>17.2f}x")
    for label in small["cross"]:
        s, b = small["cross"][label], big["cross"][label]
        print(f"{'across schools, ' + label:44} {s[2]:>9.1f} {b[2]:>13.1f} {s[4]:>9.1f} {b[4]:>13.1f} "
              f"{b[2] / b[4]:>17.2f}x")
    s, b = small["overview"], big["overview"]
    print(f"{'« Tous les établissements » (raw: Redis)':44} {s['page'][1]:>9.1f} {b['page'][1]:>13.1f} "
          f"{s['redis'][1]:>9.1f} {b['redis'][1]:>13.1f} {b['page'][1] / b['redis'][1]:>17.2f}x")
    print(f"{'figures of one school computed (median)':44} {s['refresh_each'] * 1000:>9.0f} "
          f"{b['refresh_each'] * 1000:>13.0f} {s['raw_each'] * 1000:>9.0f} {b['raw_each'] * 1000:>13.0f} "
          f"{b['refresh_each'] / b['raw_each']:>17.2f}x")
    worst = max(f[3] for f in big["figures"].values())
    ratio = max(f[3] / f[5] for f in big["figures"].values())
    print(f"\ntarget (DESIGN.md): académie fragment p95 <= 50 ms over HTTP and <= 2x raw; "
          f"measured worst {worst:.1f} ms, {ratio:.2f}x")
    print(f"« Tous les établissements » p95 {b['page'][1]:.1f} ms with every figure kept (target at 200k: <= 500 ms); "
          f"computing every establishment's figures took {b['refresh'] / 60:.1f} min "
          f"(`flask --app wsgi directory refresh-figures`, from a timer)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
