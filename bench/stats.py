"""« Accueil » and « Statistiques » on 200,000 students and their parents: a school's pages and the
identity team's all-establishments view, each beside the raw LDAP reads it needs, in the same run.

Run with `make bench-stats`. Prints p50 and p95 of each, their ratios, and the targets of DESIGN.md.
A page is measured twice: with the establishment's figures as Redis keeps them (any request within
SESAME_FIGURES_SECONDS of the last computation), and with them forgotten before every request (the
first request after a minute, or after one's own action: the figures read again from the directory).
"""
from __future__ import annotations

import sys
import time
from datetime import datetime, timezone

import ldap3

from directory.figures import Figures, follow_ups
from directory.populations import FIGURED, GUARDIANS, STUDENTS
from webapp import create_app

from .common import (arguments, ADMIN, SERVICE_DN, SUFFIX, add_identity_team_member, big_directory, signed_in, summary, timed,
                     uai_of)


def raw_figure_reads(config, uai: str, provisional_days: int):
    """What a school's figures ask of slapd, on a plain ldap3 connection: the students' and parents'
    lean reads and one DN-only search per « À faire » line and population."""
    conn = ldap3.Connection(ldap3.Server(config["SESAME_LDAP_URL"], get_info=ldap3.NONE), SERVICE_DN,
                            config["SESAME_LDAP_BIND_PASSWORD"], auto_bind=True)
    lines = follow_ups(datetime.now(timezone.utc).date(), provisional_days)

    def reads():
        for population in FIGURED:
            base = f"{population.branch},{SUFFIX}"
            conn.search(base, population.in_establishment(uai), ldap3.LEVEL, attributes=Figures.attributes(population))
            for line in lines:
                conn.search(base, line.criteria.filter(population.in_establishment(uai)), ldap3.LEVEL,
                            attributes=["1.1"])
    return reads


def _row(label: str, app_times, raw_times=None) -> float:
    a50, a95 = summary(app_times)
    if raw_times is None:
        print(f"{label:58} {a50:>8.1f}ms {a95:>8.1f}ms")
        return a95
    r50, r95 = summary(raw_times)
    print(f"{label:58} {a50:>8.1f}ms {a95:>8.1f}ms {r50:>8.1f}ms {r95:>8.1f}ms {a50 / r50:>7.2f}x {a95 / r95:>7.2f}x")
    return a95


def main(argv=None) -> int:
    parser = arguments(__doc__, requests=100)
    args = parser.parse_args(argv)

    with big_directory(args.establishments, args.students, for_figures=True) as config:
        # the second factor is measured elsewhere: here heads and the identity team sign in by password
        app = create_app({**config, "SESAME_STAFF_TOTP": "off"})
        directory = app.extensions["sesame.directory"]
        redis = app.extensions["sesame.redis"]
        add_identity_team_member(directory)
        school = args.establishments // 2
        uai = uai_of(school)
        head = signed_in(app, f"head.{school}")
        guardians = sum(directory.count_by_state(GUARDIANS, uai).values())
        print(f"school {uai}: {sum(directory.count_by_state(STUDENTS, uai).values()):,} students, "
              f"{guardians:,} parents")

        def page(client, url):
            def get():
                response = client.get(url)
                assert response.status_code == 200, url
            return get

        def forgetting(get):
            def run():
                redis.delete(f"sesame:figures:{uai}")
                get()
            return run

        raw = raw_figure_reads(config, uai, app.config["SESAME_PROVISIONAL_DAYS"])
        raw()
        raw_times = timed(raw, args.requests)
        head.get("/")
        key = f"sesame:figures:{uai}"
        redis_times = timed(lambda: redis.get(key), args.requests)
        print(f"\n{'one school (raw: its figures read from Redis / from slapd)':58} {'app p50':>10} {'app p95':>10}"
              f" {'raw p50':>10} {'raw p95':>10} {'ratio50':>8} {'ratio95':>8}")
        results = {}
        for label, url in (("« Statistiques » (élèves)", "/statistiques"), ("« Accueil »", "/")):
            get = page(head, url)
            get()
            results[label + ", figures kept"] = _row(label + ", figures kept (Redis GET)", timed(get, args.requests),
                                                     redis_times)
            results[label + ", read again"] = _row(label + ", figures read again (LDAP reads)",
                                                   timed(forgetting(get), max(10, args.requests // 4)), raw_times)

        admin = signed_in(app, ADMIN)
        overview = page(admin, "/statistiques/etablissements")
        for key in redis.scan_iter("sesame:figures:*"):
            redis.delete(key)
        started = time.perf_counter()
        overview()
        cold = time.perf_counter() - started
        everyone = _raw_every_school(config, args.establishments, app.config["SESAME_PROVISIONAL_DAYS"])
        started = time.perf_counter()
        everyone()
        raw_cold = time.perf_counter() - started
        print(f"\n{'every establishment (identity team)':58} {'app p50':>10} {'app p95':>10}"
              f" {'raw p50':>10} {'raw p95':>10} {'ratio50':>8} {'ratio95':>8}")
        keys = [f"sesame:figures:{uai_of(n)}" for n in range(args.establishments)]

        def redis_reads():
            redis.mget(keys)
        results["overview"] = _row(f"all {args.establishments} establishments, figures kept; raw = Redis reads",
                                   timed(overview, args.requests), timed(redis_reads, args.requests))
        print(f"{'all establishments, every figure read again (once)':58} {cold * 1000:>8.0f}ms"
              f"{'':11} {raw_cold * 1000:>8.0f}ms{'':11} {cold / raw_cold:>7.2f}x")

        print("\ntargets (DESIGN.md): a school's pages p95 <= 150 ms; all establishments p95 <= 500 ms")
        print(f"worst school page p95, figures kept {max(results[k] for k in results if 'kept' in k):.1f} ms; "
              f"read again {max(results[k] for k in results if 'again' in k):.1f} ms; "
              f"all establishments p95 {results['overview']:.1f} ms (first view of the day {cold:.1f} s)")
        return 0


def _raw_every_school(config, establishments: int, provisional_days: int):
    reads = [raw_figure_reads(config, uai_of(n), provisional_days) for n in range(establishments)]

    def run():
        for read in reads:
            read()
    return run


if __name__ == "__main__":
    sys.exit(main())
