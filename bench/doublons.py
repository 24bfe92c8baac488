"""« Doublons » over a whole directory: the search for duplicates (what its job runs) beside the raw read of the same
entries — a paged search of the same attributes, nothing done with them — on the 200,000-student directory with its
parents, and, with `--academie N`, on an académie of N schools of 2,000 (550: 1.1 million students, 1.8 million
parents). Into each, a known set is planted (devtools/planted.py): the run says how many were found, and that no
twin nor sibling was proposed. Each search runs in a process of its own (which reads students and parents side by
side in two more, as the job does; once also in one alone), whose peak memory is printed.

Run with `make bench-doublons` (200,000: about 5 minutes), `make bench-doublons BENCH_ARGS="--academie 550"` (also
the académie: about 45 minutes and 20 GB of disk on a quiet machine; SESAME_BENCH_DIR picks where).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import time

import ldap3

from devtools.planted import plant
from directory.connection import DirectorySettings
from directory.duplicates import pairs, scan
from directory.duplicates.rules import DUPLICATE
from directory.repository import Directory

from .common import SERVICE_DN, SUFFIX, big_directory, uai_of

SECOND_PARENT = 0.636          # 1.64 parents a student: 1.8 million at the académie


def _directory(config) -> Directory:
    return Directory(DirectorySettings(config["SESAME_LDAP_URL"], SUFFIX, SERVICE_DN,
                                       config["SESAME_LDAP_BIND_PASSWORD"], timeout=600))


def raw_read(config) -> tuple[float, dict[str, int]]:
    """The floor: every account read once, a page at a time, the same attributes, on one connection."""
    conn = ldap3.Connection(ldap3.Server(config["SESAME_LDAP_URL"], get_info=ldap3.NONE), SERVICE_DN,
                            config["SESAME_LDAP_BIND_PASSWORD"], auto_bind=True, receive_timeout=600)
    started, read = time.perf_counter(), {}
    for kind, branch in scan.BRANCHES.items():
        read[kind] = sum(1 for e in conn.extend.standard.paged_search(
            f"{branch},{SUFFIX}", "(objectClass=sesameAccount)", ldap3.LEVEL, attributes=scan.STREAMED[kind],
            paged_size=scan.PAGE, generator=True) if e.get("type") == "searchResEntry")
    conn.unbind()
    return time.perf_counter() - started, read


def _search(config, processes, answers) -> None:
    """In a process of its own: the search, its time and its peak memory (this process's and that of the processes
    it reads with: they start small)."""
    directory = _directory(config)
    started = time.perf_counter()
    findings = scan.find(directory, processes=processes)
    seconds = time.perf_counter() - started
    written = time.perf_counter()
    counts = pairs.keep(directory, findings, f"bench-{int(time.time())}")
    answers.put({"seconds": seconds, "keep": time.perf_counter() - written, "counts": counts,
                 "peak_mb": max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF,
                                                                               resource.RUSAGE_CHILDREN)) / 1024,
                 "streamed": findings.streamed, "candidates": findings.candidates, "crowded": findings.crowded,
                 "found": {(f.first.account_id, f.second.account_id): f.verdict.kind for f in findings.found}})


def search(config, processes: int = 2) -> dict:
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    process = context.Process(target=_search, args=(config, processes, answers))
    process.start()
    answer = answers.get()
    process.join()
    return answer


def measure(label: str, establishments: int, runs: int, say=print) -> dict:
    planted = {}

    def more(out):
        planted["set"] = plant(out, SUFFIX, [uai_of(n) for n in range(establishments)], each=10)
    started = time.monotonic()
    with big_directory(establishments, 2000, say=say, second_parent=SECOND_PARENT, more_entries=more,
                       max_size=64 * 1024**3) as config:
        known = planted["set"]
        say(f"\n== {label}: {establishments * 2000:,} students and their parents, {known.accounts} planted "
            f"(built in {(time.monotonic() - started) / 60:.1f} min) ==")
        raws, searches, sequential = [], [], []
        for run in range(runs):
            seconds, read = raw_read(config)
            raws.append(seconds)
            say(f"run {run + 1}: raw read of {read['student']:,} students and {read['parent']:,} parents: {seconds:.1f} s")
            found = search(config)
            searches.append(found)
            duplicates = {p for p, kind in found["found"].items() if kind == DUPLICATE}
            say(f"run {run + 1}: search {found['seconds']:.1f} s ({found['seconds'] / seconds:.2f}x the raw read), "
                f"peak memory {found['peak_mb']:.0f} MB, {found['candidates']:,} accounts read again, "
                f"{len(duplicates):,} duplicates and {len(found['found']) - len(duplicates):,} siblings found; pairs "
                f"written in {found['keep']:.1f} s {found['counts']}")
            say(f"        planted duplicates found: {len(set(known.duplicates) & duplicates)} of "
                f"{len(known.duplicates)}; twins, siblings and namesakes proposed: {len(known.never & duplicates)}")
            if run == 0:
                alone = search(config, processes=1)
                sequential.append(alone["seconds"])
                say(f"run 1: the same search in one process (students, then parents): {alone['seconds']:.1f} s "
                    f"({alone['seconds'] / seconds:.2f}x the raw read), peak memory {alone['peak_mb']:.0f} MB")
        raw = statistics.median(raws)
        searched = statistics.median(f["seconds"] for f in searches)
        return {"raw": raw, "search": searched, "peak": max(f["peak_mb"] for f in searches), "alone": sequential[0],
                "found": searches[-1], "planted": known, "load": os.getloadavg()}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--establishments", type=int, default=100, help="schools of 2,000 students (100: 200,000)")
    parser.add_argument("--academie", type=int, default=0, help="then an académie of this many schools (550: 1.1 M)")
    parser.add_argument("--runs", type=int, default=3, help="raw read and search, alternated, this many times")
    args = parser.parse_args(argv)
    results = [("200,000" if args.establishments == 100 else f"{args.establishments * 2000:,}",
                measure("the benchmark directory", args.establishments, args.runs))]
    if args.academie:
        results.append(("académie", measure("the académie", args.academie, max(1, args.runs // 3))))
    print(f"\n{'directory':12} {'raw read (median)':>18} {'search (median)':>16} {'ratio':>6} {'in one process':>15} "
          f"{'peak memory':>12} {'load average':>14}")
    for label, r in results:
        print(f"{label:12} {r['raw']:>16.1f} s {r['search']:>14.1f} s {r['search'] / r['raw']:>5.2f}x "
              f"{r['alone']:>13.1f} s {r['peak']:>9.0f} MB {'/'.join(f'{x:.1f}' for x in r['load']):>14}")
    print("target (issue 31): the académie in minutes, not hours; memory at most 1 GiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
