"""(Re)notify 2,000 accounts end to end on a real worker, against the hashing floor; letters and CSV.

Run with `make bench-notify`. Prints each figure, its floor or reference, and the ratio.
"""
from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from redis import Redis

from directory.model import AccountState
from directory.passwords import PasswordHasher, provisional_password
from directory.search import AccountCriteria
from webapp import create_app
from webapp.documents.letters import MARGINS, Letter, letter_options, letter_settings, letters_html, letters_pdf
from webapp.documents.lists import STUDENT_LIST, ListRow
from webapp.documents.pdf import OPTIONS, html_to_pdf, pdf_options
from webapp.jobs.store import FINISHED, JobStore
from webapp.account_jobs.writing import pool_size
from webapp.jobs.tasks import run_job
from webapp.jobs.formats import queue

from .common import STAFF_PASSWORD, big_directory, uai_of, write_directory_ldif
from .procs import cpu_seconds, server_pids

ROOT = Path(__file__).resolve().parent.parent


def hashing_floor(count: int, threads: int, config) -> tuple[float, float]:
    """Seconds to hash `count` passwords at the configured cost with `threads` threads, as the worker
    does (its pool's size): what no notify can beat on this machine right now."""
    hasher = PasswordHasher(config["SESAME_ARGON2_TIME_COST"], config["SESAME_ARGON2_MEMORY_COST"],
                            config["SESAME_ARGON2_PARALLELISM"])
    start, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(hasher.hash, (provisional_password() for _ in range(count))))
    return time.perf_counter() - start, time.process_time() - cpu


def run_job_and_wait(redis, store: JobStore, job, spread: int) -> tuple[float, float]:
    """(seconds until every account was noted, seconds until the job finished) from its enqueueing."""
    start = time.perf_counter()
    for _ in range(spread):
        queue(redis).enqueue(run_job, job.id, job_timeout=3600)
    written = None
    while True:
        current = store.get(job.id)
        if written is None and store.progress(job.id) >= job.total:
            written = time.perf_counter() - start
        if current.status in (FINISHED, "failed"):
            break
        time.sleep(0.02)
    assert current.status == FINISHED, current.message
    return written or time.perf_counter() - start, time.perf_counter() - start


def wkhtmltopdf_alone(html: str, options: dict = OPTIONS) -> float:
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "letters.html", Path(folder) / "letters.pdf"
        source.write_text(html, encoding="utf-8")
        args = ["wkhtmltopdf"]
        for name, value in options.items():
            args += [f"--{name}"] + ([value] if value is not None else [])
        start = time.perf_counter()
        subprocess.run(args + [str(source), str(target)], check=True, capture_output=True)
        return time.perf_counter() - start


LAYOUTS = "1,2en,4,4ar"      # letters per sheet, and a second language if any


def letters_by_layout(establishment, config, count: int, layouts: str = LAYOUTS) -> None:
    """The letters as jobs make them now (QR codes, layouts, a second language), from the Letter records
    to the PDF, against wkhtmltopdf alone on the same HTML: medians of three runs."""
    for choice in layouts.split(","):
        per_sheet, language = int(choice[0]), choice[1:]
        letters = [Letter(f"Nom{i}", f"Prénom{i}", f"prenom{i}.nom{i}", "PT4HUMM2", "2nde 1", "", language)
                   for i in range(count)]
        options = letter_options(config, per_sheet)
        ours, alone = [], []
        for _ in range(3):
            start = time.perf_counter()
            pdf = letters_pdf(establishment, letter_settings(config), letters, options)
            ours.append(time.perf_counter() - start)
            alone.append(wkhtmltopdf_alone(letters_html(establishment, letter_settings(config), letters, options),
                                           pdf_options(MARGINS)))
        ours_s, alone_s = statistics.median(ours), statistics.median(alone)
        pages = -(-count // per_sheet)
        print(f"{count} letters, {per_sheet} per sheet{' + ' + language if language else ''} ({pages} pages, "
              f"QR codes): HTML + PDF {ours_s:.2f} s, wkhtmltopdf alone {alone_s:.2f} s -> {ours_s / alone_s:.2f}x "
              f"(target <= 1.3x); {len(pdf) / 1e6:.1f} MB")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=3, help="runs of each figure; their median is quoted")
    parser.add_argument("--threads", type=int, default=0, help="hashing threads of the worker (0: its default)")
    parser.add_argument("--letters-only", action="store_true", help="only the letters by layout (no notify job)")
    parser.add_argument("--layouts", default=LAYOUTS, help="letters per sheet and language, e.g. 4,4ar")
    parser.add_argument("--profile", metavar="FILE", help="run the worker under py-spy, collapsed stacks to FILE "
                        "(only the thread holding the interpreter: what Python costs beside the hashing)")
    parser.add_argument("--around", type=int, default=0, metavar="N",
                        help="N more schools of 2,000 students (70 %% with an identifier) around the notified ones")
    parser.add_argument("--chunk", type=int, default=0, help="accounts per chunk of a job (0: the default)")
    parser.add_argument("--without-letters", action="store_true", help="notify without letters (the writes alone)")
    args = parser.parse_args(argv)

    # one school of never-notified students per run
    def around(out):
        # schools as in the other benchmarks, their accounts mostly notified: identifiers to avoid
        write_directory_ldif(Path(out.name), args.around, 2000, PasswordHasher(1, 1024, 1).hash(STAFF_PASSWORD),
                             first=args.runs, mode="a")
    with big_directory(args.runs, args.accounts, state_weights=(100, 0, 0),
                       more_entries=around if args.around else None) as config:
        if args.threads:
            config["SESAME_HASH_THREADS"] = args.threads
        if args.chunk:
            config["SESAME_JOB_CHUNK"] = args.chunk
        for name in ("SESAME_ARGON2_TIME_COST", "SESAME_ARGON2_MEMORY_COST"):   # to see the cost without hashing
            if name in os.environ:
                config[name] = int(os.environ[name])
        app = create_app(config)
        if args.letters_only:
            with app.app_context(), app.test_request_context():
                letters_by_layout(app.extensions["sesame.directory"].establishment(uai_of(0)), app.config,
                                  args.accounts, args.layouts)
            return 0
        redis = Redis.from_url(config["SESAME_REDIS_URL"])
        threads = pool_size(app.config)
        servers = server_pids(config)
        what = "without letters" if args.without_letters else "with letters"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")}
        env.update({k: str(v) for k, v in config.items() if k.startswith("SESAME_")})
        command = [sys.executable, "-m", "webapp.jobs.worker"]
        if args.profile:
            command = [str(Path(sys.executable).with_name("py-spy")), "record", "--subprocesses", "--gil", "--rate", "200",
                       "--format", "raw", "-o", args.profile, "--"] + command
        worker = subprocess.Popen(command, cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        floors, notifies, writes, lists, cpu_ratios = [], [], [], [], []
        try:
            time.sleep(2)   # the worker starts (imports, app) before the clock does
            store = JobStore(redis)
            print(f"argon2id t={app.config['SESAME_ARGON2_TIME_COST']} m={app.config['SESAME_ARGON2_MEMORY_COST']} KiB, "
                  f"{os.cpu_count()} cores, the worker's pool and the floor's: {threads} threads")
            for run in range(args.runs):
                uai = uai_of(run)
                with app.app_context():
                    students = app.extensions["sesame.directory"].students
                    # in the order of their letters, as the confirming page puts a job's accounts
                    ids = students.in_letter_order(uai, students.ids(uai, AccountCriteria(states=(AccountState.NOT_NOTIFIED,))))
                    floor, floor_cpu = hashing_floor(len(ids), threads, app.config)
                    job, _ = store.create("notify", f"head.{run}", uai, "students", ids,
                                          {"letters": not args.without_letters, "reset": False})
                    spread = min(-(-len(ids) // app.config["SESAME_JOB_CHUNK"]), app.config["SESAME_JOB_SPREAD"])
                worker_cpu = cpu_seconds(worker.pid)
                servers_cpu = {name: cpu_seconds(pid) for name, pid in servers.items()}
                written, total = run_job_and_wait(redis, store, job, spread)
                time.sleep(0.5)     # the work horse is reaped: its CPU time counts in the worker's
                cpu_ratio = (cpu_seconds(worker.pid) - worker_cpu) / floor_cpu
                servers_ratio = {name: (cpu_seconds(pid) - servers_cpu[name]) / floor_cpu
                                 for name, pid in servers.items()}
                list_job, _ = store.create("list", f"head.{run}", uai, "students", ids, {"format": "csv"})
                _, listed = run_job_and_wait(redis, store, list_job, 1)
                floors.append(floor), notifies.append(total), writes.append(written), lists.append(listed)
                cpu_ratios.append(cpu_ratio)
                print(f"run {run + 1}: hashing floor {floor:.1f} s; notify {len(ids)} {what}: written "
                      f"{written:.1f} s, letters ready {total:.1f} s -> {total / floor:.2f}x; the worker's CPU "
                      f"{cpu_ratio:.2f}x the floor's ("
                      + ", ".join(f"{name} {ratio:.2f}x" for name, ratio in servers_ratio.items())
                      + f" more); CSV list job {listed:.2f} s")
        finally:
            if args.profile:
                worker.send_signal(signal.SIGINT)      # py-spy writes its file, then the worker goes
                worker.wait(60)
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(10)
        median = statistics.median
        ratios = [n / f for n, f in zip(notifies, floors)]
        print(f"\nmedians of {args.runs} runs: hashing floor {median(floors):.1f} s, notify {args.accounts} {what} "
              f"{median(notifies):.1f} s (all written at {median(writes):.1f} s) -> median ratio "
              f"{median(ratios):.2f}x the floor (target <= 1.3x); the worker's CPU time (its horses and "
              f"wkhtmltopdf included, slapd's not) median {median(cpu_ratios):.2f}x the floor's, whatever the "
              "machine's other load")
        print(f"CSV list of {args.accounts} accounts as a job (read, unseal, write): median {median(lists):.2f} s "
              f"(target <= 1 s)")
        directory = app.extensions["sesame.directory"]
        uai = uai_of(0)

        with app.app_context(), app.test_request_context():
            establishment = directory.establishment(uai)
            letters = [Letter(f"Nom{i}", f"Prénom{i}", f"prenom{i}.nom{i}", "PT4HUMM2", "2nde 1")
                       for i in range(args.accounts)]
            html = letters_html(establishment, letter_settings(app.config), letters)
            start = time.perf_counter()
            pdf = html_to_pdf(html, items=len(letters))
            ours = time.perf_counter() - start
            alone = wkhtmltopdf_alone(html)
            print(f"{len(letters)}-page letters PDF: pdfkit {ours:.2f} s, wkhtmltopdf alone {alone:.2f} s"
                  f" -> {ours / alone:.2f}x (target <= 1.3x); {len(pdf) / 1e6:.1f} MB")
            letters_by_layout(establishment, app.config, len(ids), args.layouts)
            rows = [ListRow(f"Nom{i}", f"Prénom{i}", AccountState.NOTIFIED, f"p{i}.n{i}", "PT4HUMM2", "201",
                            "Seconde 1", "2NDE GENERALE", None, None) for i in range(args.accounts)]
            samples = []
            for _ in range(5):
                start = time.perf_counter()
                STUDENT_LIST.csv(establishment, rows, 90)
                samples.append(time.perf_counter() - start)
            print(f"CSV of {len(rows)} rows, writing alone: median {statistics.median(samples) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
