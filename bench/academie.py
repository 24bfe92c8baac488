"""An académie in the directory: 1,100,000 students and 1,800,000 parents built by `slapadd -q`, the
search fragment of a 2,000-student school and the cross-establishment search by name, each beside
the raw LDAP query, and the same at 200,000 students in the same run to show how the cost grows.

Run with `make bench-academie` (about 25 minutes, 20 GB of free disk; SESAME_BENCH_DIR picks where).
"""
from __future__ import annotations

import argparse
import sys
import time

from directory.demo import SURNAMES
from directory.students import StudentCriteria
from webapp import create_app

from . import load
from .common import big_directory, summary, timed
from .search import RawQuery, search_figures

SECOND_PARENT = 0.636          # 1.1 million students, 1.8 million parents
CROSS = {"surname across the académie": StudentCriteria(name=SURNAMES[7]),
         "given name and surname": StudentCriteria(name=f"emma {SURNAMES[7]}")}


def cross_establishment(config, requests: int, say=print) -> dict[str, tuple]:
    """The identity team's search by name over every establishment. Sésame has no such screen yet
    (issue 14 builds it): the raw LDAP query it will make — every school, sorted, first page of 50
    with the total — is measured; the closest existing path is the per-establishment name search
    above, which the identity team uses after choosing an establishment."""
    raw = RawQuery(config)
    found = {}
    for label, criteria in CROSS.items():
        filter_ = criteria.filter(None)
        raw(filter_)
        r50, r95 = summary(timed(lambda: raw(filter_), requests))
        found[label] = (raw(filter_), r50, r95)
        say(f"raw LDAP, {label} ({criteria.name!r}): first page of {found[label][0]} rows, p50 {r50:.1f} ms, "
            f"p95 {r95:.1f} ms")
    return found


def measure(label: str, establishments: int, requests: int, say=print) -> dict:
    started = time.monotonic()
    with big_directory(establishments, 2000, say=say, second_parent=SECOND_PARENT, max_size=64 * 1024**3) as config:
        built = time.monotonic() - started
        app = create_app(config)
        say(f"\n== {label}: {establishments * 2000:,} students, about {establishments * 2000 * (1 + SECOND_PARENT):,.0f} "
            f"parents (built in {built / 60:.1f} min) ==")
        with load.gunicorn(config, say=say) as port:
            figures = search_figures(config, app, port, establishments // 2, requests, say=say)
        say("cross-establishment search by name (identity team; no screen yet: raw LDAP only):")
        cross = cross_establishment(config, max(20, requests // 4), say=say)
    return {"figures": figures, "cross": cross, "built": built}


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
        print(f"{'raw LDAP, ' + label:44} {'':>9} {'':>13} {s[2]:>9.1f} {b[2]:>13.1f}")
    worst = max(f[3] for f in big["figures"].values())
    ratio = max(f[3] / f[5] for f in big["figures"].values())
    print(f"\ntarget (DESIGN.md): académie fragment p95 <= 50 ms over HTTP and <= 2x raw; "
          f"measured worst {worst:.1f} ms, {ratio:.2f}x")
    print("« Statistiques » (all establishments) does not exist yet: not measured.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
