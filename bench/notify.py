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
from pathlib import Path

from redis import Redis

from directory.model import AccountState
from directory.passwords import PasswordHasher
from directory.students import StudentCriteria
from webapp import create_app
from webapp.documents.letters import Letter, letter_settings, letters_html
from webapp.documents.lists import STUDENT_LIST, ListRow
from webapp.documents.pdf import OPTIONS, html_to_pdf
from webapp.jobs.store import FINISHED, JobStore
from webapp.jobs.tasks import run_job
from webapp.jobs.worker import queue

from .common import big_directory, uai_of

ROOT = Path(__file__).resolve().parent.parent


def hashing_floor(count: int, cores: int, config) -> tuple[float, float]:
    hasher = PasswordHasher(config["SESAME_ARGON2_TIME_COST"], config["SESAME_ARGON2_MEMORY_COST"],
                            config["SESAME_ARGON2_PARALLELISM"])
    samples = []
    for _ in range(15):
        start = time.perf_counter()
        hasher.hash("PT4HUMM2")
        samples.append(time.perf_counter() - start)
    per_hash = statistics.median(samples)
    return per_hash, count * per_hash / cores


def wkhtmltopdf_alone(html: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "letters.html", Path(folder) / "letters.pdf"
        source.write_text(html, encoding="utf-8")
        args = ["wkhtmltopdf"]
        for name, value in OPTIONS.items():
            args += [f"--{name}"] + ([value] if value is not None else [])
        start = time.perf_counter()
        subprocess.run(args + [str(source), str(target)], check=True, capture_output=True)
        return time.perf_counter() - start


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=0, help="hashing threads of the worker (0: its default)")
    parser.add_argument("--profile", metavar="FILE", help="run the worker under py-spy, collapsed stacks to FILE")
    args = parser.parse_args(argv)
    cores = os.cpu_count() or 1

    with big_directory(1, args.accounts, state_weights=(100, 0, 0)) as config:
        app = create_app(config)
        uai = uai_of(0)
        redis = Redis.from_url(config["SESAME_REDIS_URL"])
        with app.app_context():
            directory = app.extensions["sesame.directory"]
            ids = directory.students.ids(uai, StudentCriteria(states=(AccountState.NOT_NOTIFIED,)))
            per_hash, floor = hashing_floor(len(ids), cores, app.config)
        print(f"hashing floor: {len(ids)} × {per_hash * 1000:.1f} ms ÷ {cores} cores = {floor:.1f} s "
              f"(argon2id t={app.config['SESAME_ARGON2_TIME_COST']} m={app.config['SESAME_ARGON2_MEMORY_COST']} KiB)")

        env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")}
        env.update({k: str(v) for k, v in config.items() if k.startswith("SESAME_")})
        if args.threads:
            env["SESAME_HASH_THREADS"] = str(args.threads)
        for name in ("SESAME_ARGON2_TIME_COST", "SESAME_ARGON2_MEMORY_COST"):   # to see the cost without hashing
            if name in os.environ:
                env[name] = os.environ[name]
        command = [sys.executable, "-m", "webapp.jobs.worker"]
        if args.profile:
            command = [str(Path(sys.executable).with_name("py-spy")), "record", "--subprocesses", "--rate", "200",
                       "--format", "raw", "-o", args.profile, "--"] + command
        worker = subprocess.Popen(command, cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            time.sleep(2)   # the worker starts (imports, app) before the clock does
            store = JobStore(redis)
            job, _ = store.create("notify", "head.0", uai, "students", ids, {"letters": True, "reset": False})
            start = time.perf_counter()
            queue(redis).enqueue(run_job, job.id, job_timeout=3600)
            written = None
            while True:
                current = store.get(job.id)
                if written is None and store.progress(job.id) >= len(ids):
                    written = time.perf_counter() - start
                if current.status in (FINISHED, "failed"):
                    break
                time.sleep(0.05)
            total = time.perf_counter() - start
            assert current.status == FINISHED, current.message
            print(f"notify {len(ids)} accounts: all written in {written:.1f} s, letters ready at {total:.1f} s"
                  f" -> {total / floor:.2f}x the hashing floor (target <= 1.3x)")

            list_job, _ = store.create("list", "head.0", uai, "students", ids, {"format": "csv"})
            start = time.perf_counter()
            queue(redis).enqueue(run_job, list_job.id, job_timeout=3600)
            while store.get(list_job.id).status not in (FINISHED, "failed"):
                time.sleep(0.02)
            print(f"CSV list of {len(ids)} accounts as a job (read, unseal, write): "
                  f"{time.perf_counter() - start:.2f} s (target <= 1 s)")
        finally:
            if args.profile:
                worker.send_signal(signal.SIGINT)      # py-spy writes its file, then the worker goes
                worker.wait(60)
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(10)

        with app.app_context(), app.test_request_context():
            establishment = directory.establishment(uai)
            letters = [Letter(f"Nom{i}", f"Prénom{i}", f"prenom{i}.nom{i}", "PT4HUMM2", "2nde 1")
                       for i in range(len(ids))]
            html = letters_html(establishment, letter_settings(app.config), letters)
            start = time.perf_counter()
            pdf = html_to_pdf(html)
            ours = time.perf_counter() - start
            alone = wkhtmltopdf_alone(html)
            print(f"{len(letters)}-page letters PDF: pdfkit {ours:.2f} s, wkhtmltopdf alone {alone:.2f} s"
                  f" -> {ours / alone:.2f}x (target <= 1.3x); {len(pdf) / 1e6:.1f} MB")
            rows = [ListRow(f"Nom{i}", f"Prénom{i}", AccountState.NOTIFIED, f"p{i}.n{i}", "PT4HUMM2", "201",
                            "Seconde 1", "2NDE GENERALE", None, None) for i in range(len(ids))]
            samples = []
            for _ in range(5):
                start = time.perf_counter()
                STUDENT_LIST.csv(establishment, rows)
                samples.append(time.perf_counter() - start)
            print(f"CSV of {len(rows)} rows, writing alone: median {statistics.median(samples) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
