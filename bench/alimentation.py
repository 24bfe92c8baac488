"""« Alimentation » on 200,000 students: the preview of a 2,000-student export and the apply of its 2,000
updates on a real worker, each against its floor measured in the same run (reading those 2,000 entries;
writing 2,000 modifies), then the same import a second time (nothing to write).

Run with `make bench-alimentation`. Prints medians over the rounds, the floors and the ratios.
"""
from __future__ import annotations

import io
import os
import re
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import ldap3
from redis import Redis

from directory import attributes as A
from directory.escaping import equals
from devtools.demo_exports import ExportStudent, students_xml
from directory.registry.preview import STUDENT_ATTRIBUTES as PREVIEW_ATTRIBUTES
from webapp import create_app
from webapp.jobs.store import FAILED, FINISHED, JobStore

from .common import arguments, CSRF, SERVICE_DN, STAFF_PASSWORD, SUFFIX, big_directory, uai_of

ROOT = Path(__file__).resolve().parent.parent
JOB_URL = re.compile(r"/alimentation/travaux/([0-9a-f]{32})$")
OUTCOME = re.compile(r'data-outcome="(\w+)">(\d+)<')


def _born(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


class Bench:
    def __init__(self, config: dict, establishment: int):
        self.config = config
        self.uai = uai_of(establishment)
        self.app = create_app(config)
        self.client = self.app.test_client()
        self.store = JobStore(Redis.from_url(config["SESAME_REDIS_URL"]))
        self.raw = ldap3.Connection(ldap3.Server(config["SESAME_LDAP_URL"]), SERVICE_DN,
                                    config["SESAME_LDAP_BIND_PASSWORD"], auto_bind=True)
        head = f"uid=head.{establishment},{A.STAFF},{SUFFIX}"     # made one of the identity team
        self.raw.modify(f"cn={A.ADMIN_GROUP_CN},{A.GROUPS},{SUFFIX}", {A.MEMBER: [(ldap3.MODIFY_ADD, [head])]})
        token = CSRF.search(self.client.get("/connexion").get_data(as_text=True)).group(1)
        signed = self.client.post("/connexion", data={"csrf_token": token, "uid": f"head.{establishment}",
                                                      "password": STAFF_PASSWORD})
        assert signed.status_code == 302, "could not sign in"
        self.students = self.read_students()

    def read_students(self) -> list[tuple[str, dict]]:
        """The floor of the preview: the establishment's entries, read as the preview reads them."""
        self.raw.search(f"{A.STUDENTS},{SUFFIX}", equals(A.UAI, self.uai), ldap3.LEVEL,
                        attributes=PREVIEW_ATTRIBUTES)
        return [(e["dn"], e["attributes"]) for e in self.raw.response if e.get("type") == "searchResEntry"]

    def write_floor(self, class_code: str) -> float:
        """2,000 modifies of the apply's shape (the class's old value deleted, the new added, the mark)."""
        self.students = self.read_students()     # as the last round's import left them
        start = time.perf_counter()
        for entry_dn, entry in self.students:
            old = entry[A.CLASS_CODE][0] if isinstance(entry[A.CLASS_CODE], list) else entry[A.CLASS_CODE]
            self.raw.modify(entry_dn, {A.CLASS_CODE: [(ldap3.MODIFY_DELETE, [old]), (ldap3.MODIFY_ADD, [class_code])],
                                       A.LAST_JOB: [(ldap3.MODIFY_REPLACE, ["bench-floor"])]})
            assert self.raw.result["result"] == 0, self.raw.result
            entry[A.CLASS_CODE] = [class_code]
        return time.perf_counter() - start

    def export(self, class_code: str) -> bytes:
        """The establishment's SIECLE export naming every student, each in `class_code`."""
        rows = []
        for n, (_, entry) in enumerate(self.students):
            one = lambda name: (entry.get(name) or [""])[0] if isinstance(entry.get(name), list) else entry.get(name)  # noqa: E731
            born = one(A.BIRTH_DATE)
            born = born.date() if hasattr(born, "date") else _born(str(born))
            rows.append(ExportStudent(str(100000 + n), one(A.INE), one(A.SURNAME), one(A.GIVEN_NAME), born,
                                      class_code, one(A.MEF_CODE)))
        return students_xml(self.uai, rows)

    def preview(self, export: bytes) -> tuple[float, str]:
        token = CSRF.search(self.client.get("/alimentation").get_data(as_text=True)).group(1)
        start = time.perf_counter()
        response = self.client.post("/alimentation/apercu", data={
            "csrf_token": token, "fichiers": [(io.BytesIO(export), "ElevesSansAdresses.xml")]},
            content_type="multipart/form-data")
        elapsed = time.perf_counter() - start
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        return elapsed, response.headers["Location"].replace("http://localhost", "")

    def apply(self, preview_path: str) -> tuple[float, dict]:
        token = CSRF.search(self.client.get(preview_path).get_data(as_text=True)).group(1)
        start = time.perf_counter()
        response = self.client.post(preview_path + "/appliquer", data={"csrf_token": token})
        job_id = JOB_URL.search(response.headers["Location"]).group(1)
        while (job := self.store.get(job_id)).status not in (FINISHED, FAILED):
            time.sleep(0.005)
        elapsed = time.perf_counter() - start
        assert job.status == FINISHED, job.message
        page = self.client.get(f"/alimentation/travaux/{job_id}").get_data(as_text=True)
        return elapsed, {k: int(v) for k, v in OUTCOME.findall(page)}


def _median(values) -> float:
    return statistics.median(values)


def main(argv=None) -> int:
    parser = arguments(__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    with big_directory(args.establishments, args.students) as config:
        config = {**config, "SESAME_STAFF_TOTP": "off"}
        bench = Bench(config, args.establishments // 2)
        count = len(bench.students)
        env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")}
        env.update({k: str(v) for k, v in config.items() if k.startswith("SESAME_")})
        worker = subprocess.Popen([sys.executable, "-m", "webapp.jobs.worker"], cwd=ROOT, env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        figures: dict[str, list[float]] = {k: [] for k in ("read", "preview", "write", "apply", "preview2", "apply2")}
        try:
            time.sleep(2)   # the worker starts (imports, app) before the clock does
            for k in range(args.rounds):
                figures["write"].append(bench.write_floor(f"W{k}"))
                reads = []
                for _ in range(5):
                    start = time.perf_counter()
                    assert len(bench.read_students()) == count
                    reads.append(time.perf_counter() - start)
                figures["read"].append(_median(reads))
                export = bench.export(f"P{k}")
                elapsed, path = bench.preview(export)
                figures["preview"].append(elapsed)
                elapsed, report = bench.apply(path)
                assert report == {"done": count, "unchanged": 0, "refused": 0}, report
                figures["apply"].append(elapsed)
                elapsed, path = bench.preview(export)
                figures["preview2"].append(elapsed)
                elapsed, report = bench.apply(path)
                assert report == {"done": 0, "unchanged": count, "refused": 0}, report
                figures["apply2"].append(elapsed)
                print(f"round {k + 1}: " + ", ".join(f"{name} {values[-1]:.2f} s" for name, values in figures.items()),
                      flush=True)
        finally:
            worker.terminate()
            worker.wait(10)

    m = {name: _median(values) for name, values in figures.items()}
    print(f"\nmedians over {args.rounds} rounds, an export of {count:,} students against "
          f"{args.establishments * args.students:,}:")
    print(f"preview (upload, read, reconcile, keep)   {m['preview']:6.2f} s   floor: reading the {count:,} entries "
          f"{m['read']:5.2f} s -> {m['preview'] / m['read']:.2f}x   (targets <= 2 s and <= 3x)")
    print(f"apply of {count:,} updates (ask -> report) {m['apply']:6.2f} s   floor: {count:,} modifies "
          f"{m['write']:5.2f} s -> {m['apply'] / m['write']:.2f}x   (target <= 1.5x)")
    print(f"second identical import: preview {m['preview2']:.2f} s, apply (nothing written) {m['apply2']:.2f} s "
          f"-> apply {m['apply2'] / m['preview']:.2f}x the first preview (target <= 1x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
