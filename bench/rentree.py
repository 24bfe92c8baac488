"""The rentrée of an académie in one night: every establishment's « next year » SIECLE exports (students and
parents) written with known changes, then previewed and applied as the identity team does it — zips of many
establishments uploaded on « Alimentation » over HTTP through gunicorn as the Procfile runs it, one import job
per upload on real workers — each beside its floor measured in the same run (reading the same entries; the same
adds and modifies sent raw over LDAP, with as many connections as the import, to a twin of the directory); then
the directory checked against what the generator expects (counts per category, a sample of entries field by field).

Run with `make bench-rentree` (the académie: 550 establishments of 2,000 students and their 1.64 parents a
student, built as `make bench-academie` builds it; hours, 20 GB of disk), or
`make bench-rentree BENCH_ARGS="--establishments 20"` for the smoke run CI makes (about 5 minutes here).
"""
from __future__ import annotations

import argparse
import io
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import ldap3
from redis import Redis

from directory import attributes as A
from devtools.demo import BOYS, GIRLS, SURNAMES
from devtools.slapd import EmbeddedSlapd
from directory.escaping import any_of, equals
from directory.ine import check_key
from directory.names import sort_name
from devtools.demo_exports import ExportParent, ExportStudent, parents_xml, students_xml
from directory.registry.preview import GUARDIAN_ATTRIBUTES, STUDENT_ATTRIBUTES
from webapp import create_app
from webapp.alimentation import previews
from webapp.jobs.store import FAILED, FINISHED, JobStore

from . import load
from .academie import SECOND_PARENT
from .common import ADMIN, CLASSES, CSRF, SERVICE_DN, SUFFIX, add_identity_team_member, big_directory, uai_of
from .procs import CpuMeter, PeakMemory, server_pids

ROOT = Path(__file__).resolve().parent.parent
MEF = "20010018110"
LEAVE, MOVE, CLASS, RENAME, NEW, SAME = "leave", "move", "class", "rename", "new", "same"
SHARES = {LEAVE: 0.07, MOVE: 0.05, CLASS: 0.12, RENAME: 0.01}     # of an establishment's students
NEWCOMERS = 0.08
# one conflict an establishment, of these kinds in turn (the preview's own words in brackets)
BIRTH, TWIN_INE, FORMULA, NAMESAKE = "birth date", "same INE twice", "formula", "probable duplicate"
CONFLICTS = (BIRTH, TWIN_INE, FORMULA, NAMESAKE)
CODES = [code for code, _ in CLASSES]
JOB_URL = re.compile(r"/alimentation/travaux/([0-9a-f]{32})$")
PREVIEW_URL = re.compile(r"/alimentation/apercu/([0-9a-f]{32})$")

GiB = 1024 ** 3


# --- the generator ---------------------------------------------------------------------------------------------

class Pupil:
    """A student as the directory holds them (or a newcomer), and what next year's export says of them."""
    __slots__ = ("ine", "surname", "given", "born", "class_code", "parents", "uai", "fate", "to", "new_class",
                 "new_surname", "conflict", "eleve_id", "export_born", "export_given")

    def __init__(self, ine, surname, given, born, class_code, parents, uai, fate=SAME):
        self.ine, self.surname, self.given, self.born = ine, surname, given, born
        self.class_code, self.parents, self.uai, self.fate = class_code, parents, uai, fate
        self.to, self.new_class, self.new_surname, self.conflict = uai, class_code, surname, ""
        self.eleve_id, self.export_born, self.export_given = "", born, given

    @property
    def key(self) -> tuple[str, date]:
        """What the preview calls a probable duplicate: the same folded name and birth date."""
        return sort_name(self.given, self.surname), self.born

    @property
    def parent_rows(self) -> int:
        """The preview's rows for this student's known parents: two of the same name are one account to it."""
        return len(set(self.parents))


@dataclass
class Expected:
    """What one upload's preview must count, per (kind, category), and its job's report."""
    uais: list[str]
    rows: Counter = field(default_factory=Counter)

    def report(self) -> dict[str, int]:
        done = sum(n for (kind, category), n in self.rows.items()
                   if category in ("create", "update", "move-in", "leave"))
        return {"done": done, "unchanged": sum(n for (_, c), n in self.rows.items() if c == "unchanged"),
                "refused": sum(n for (_, c), n in self.rows.items() if c == "conflict")}


class Rentree:
    """Every establishment's students as the build wrote them, then next year: who leaves, moves, changes class,
    is renamed, arrives, and the few rows in conflict; what each upload's preview and report must count, and the
    directory afterwards."""

    def __init__(self, seed: int = 2027):
        self.at: dict[str, list[Pupil]] = {}
        self.rng = random.Random(seed)
        self.next_ine = 0

    def see(self, uai: str, attributes: dict, parents: list[dict]) -> None:
        """bench.common's hook: a student written into the directory, with their parents."""
        born = attributes[A.BIRTH_DATE][0]
        self.at.setdefault(uai, []).append(Pupil(
            attributes[A.INE][0], attributes[A.SURNAME][0], attributes[A.GIVEN_NAME][0],
            date(int(born[:4]), int(born[4:6]), int(born[6:8])), attributes[A.CLASS_CODE][0],
            tuple(p[A.GIVEN_NAME][0] for p in parents), uai))

    def ine(self) -> str:
        """A newcomer's INE whose key letter never checks: never one of the build's INEs, which all check, and
        never judged another pupil's by « Doublons »' rule (two INEs that both check are two pupils), so that a
        newcomer with a student's name and birth date is the probable duplicate the preview must stop. (A
        fixed "N" checked for one body in 23: two of the 100-establishment run's namesakes were created.)"""
        self.next_ine += 1
        body = f"{self.next_ine:010d}"
        return body + ("P" if check_key(body) == "N" else "N")

    def newcomer(self, uai: str) -> Pupil:
        rng = self.rng
        surname = rng.choice(SURNAMES)
        parents = tuple(rng.choice(GIRLS + BOYS) for _ in range(1 + (rng.random() < SECOND_PARENT)))
        # born in the same years as the students of the build (bench.common.birth_date_of): a few share a name
        # and a birth date with one of them, and are probable duplicates
        pupil = Pupil(self.ine(), surname, rng.choice(GIRLS + BOYS), date(2008, 1, 1) + timedelta(rng.randrange(1800)),
                      rng.choice(CODES), parents, uai, NEW)
        pupil.new_class = pupil.class_code
        return pupil

    def plan(self, per_upload: int) -> None:
        rng = self.rng
        self.uais = list(self.at)
        self.uploads = [self.uais[i:i + per_upload] for i in range(0, len(self.uais), per_upload)]
        self.upload_of = {uai: n // per_upload for n, uai in enumerate(self.uais)}
        self.rows: dict[str, list[Pupil]] = {uai: [] for uai in self.uais}
        self.newcomers: dict[str, list[Pupil]] = {uai: [] for uai in self.uais}
        for number, uai in enumerate(self.uais):
            pupils = self.at[uai]
            order = rng.sample(pupils, len(pupils))
            start = 0
            for fate, share in SHARES.items():
                count = round(share * len(pupils))
                for pupil in order[start:start + count]:
                    pupil.fate = fate
                    if fate == MOVE:
                        pupil.to = rng.choice([u for u in self.uais if u != uai]) if len(self.uais) > 1 else uai
                        pupil.new_class = rng.choice(CODES)
                    elif fate == CLASS:
                        pupil.new_class = rng.choice([c for c in CODES if c != pupil.class_code])
                    elif fate == RENAME:
                        pupil.new_surname = f"{pupil.surname}-{rng.choice(SURNAMES)}"
                start += count
            newcomers = [self.newcomer(uai) for _ in range(round(NEWCOMERS * len(pupils)))]
            kind = CONFLICTS[number % len(CONFLICTS)]
            if kind == BIRTH:           # a student's row with another birth date than their account's
                pupil = next(p for p in order if p.fate == SAME)
                pupil.export_born, pupil.conflict = pupil.born + timedelta(days=1), BIRTH
            elif kind == TWIN_INE:      # two newcomers given the same INE
                twins = [self.newcomer(uai), self.newcomer(uai)]
                twins[1].ine = twins[0].ine
                for pupil in twins:
                    pupil.conflict = TWIN_INE
                newcomers += twins
            elif kind == FORMULA:       # a first name that a spreadsheet would run
                pupil = self.newcomer(uai)
                pupil.export_given, pupil.conflict = "=SOMME(A1:A9)", FORMULA
                newcomers.append(pupil)
            else:                       # a newcomer with a student's name and birth date, and another INE
                pupil = self.newcomer(uai)
                other = rng.choice([p for p in self.at[self.uais[number - 1]] if p.fate != RENAME])
                pupil.surname, pupil.new_surname, pupil.given, pupil.export_given = \
                    other.surname, other.surname, other.given, other.given
                pupil.born = pupil.export_born = other.born
                pupil.conflict = NAMESAKE
                newcomers.append(pupil)
            self.newcomers[uai] = newcomers
        for uai in self.uais:
            for pupil in self.at[uai]:
                if pupil.fate != LEAVE:
                    self.rows[pupil.to].append(pupil)
            self.rows[uai] += self.newcomers[uai]
        for uai in self.uais:
            for number, pupil in enumerate(self.rows[uai], start=1):
                pupil.eleve_id = str(100000 + number)
        self.expected = self._expected()

    def _expected(self) -> list[Expected]:
        """Upload after upload, as the identity team applies them: a student who moves to an establishment of a
        later upload leaves first (absent from their school's export), then arrives; a newcomer with the name and
        birth date of a student the directory holds when it is previewed is a probable duplicate."""
        keys = Counter(p.key for uai in self.uais for p in self.at[uai])     # every student the directory holds
        found = []
        for number, uais in enumerate(self.uploads):
            expected, pending = Expected(uais), []
            for uai in uais:
                for pupil in self.rows[uai]:
                    if pupil.fate == NEW and not pupil.conflict and keys[pupil.key]:
                        pupil.conflict = NAMESAKE
                    if pupil.conflict:
                        category, parents, count = "conflict", "conflict", len(pupil.parents)
                    elif pupil.fate == NEW:
                        category, parents, count = "create", "create", len(pupil.parents)
                        pending.append(pupil.key)
                    elif pupil.fate == MOVE:
                        category, parents, count = "move-in", "update", pupil.parent_rows
                    else:
                        category = "update" if pupil.fate in (CLASS, RENAME) else "unchanged"
                        parents, count = "unchanged", pupil.parent_rows
                    expected.rows["student", category] += 1
                    expected.rows["parent", parents] += count
                for pupil in self.at[uai]:
                    if pupil.fate == LEAVE or (pupil.fate == MOVE and self.upload_of[pupil.to] > number):
                        expected.rows["student", "leave"] += 1
            for pupil in (p for uai in uais for p in self.at[uai] if p.fate == RENAME):   # once applied
                keys[pupil.key] -= 1
                keys[sort_name(pupil.given, pupil.new_surname), pupil.born] += 1
            keys.update(pending)
            found.append(expected)
        return found

    def students_after(self, uai: str) -> int:
        """The students the establishment has once every upload is applied."""
        return sum(1 for p in self.rows[uai] if not p.conflict or p.conflict == BIRTH)

    def exports(self, uai: str) -> tuple[bytes, bytes]:
        """The establishment's students' and parents' SIECLE exports for next year."""
        students, parents, person = [], [], 500000
        for pupil in self.rows[uai]:
            students.append(ExportStudent(pupil.eleve_id, pupil.ine, pupil.new_surname, pupil.export_given,
                                          pupil.export_born, pupil.new_class, MEF))
            for legal, given in enumerate(pupil.parents, start=1):
                person += 1
                parents.append(ExportParent(str(person), pupil.surname, given, "", [pupil.eleve_id], legal=str(legal)))
        return students_xml(uai, students), parents_xml(uai, parents)

    def zipped(self, number: int) -> bytes:
        """Upload `number`: a zip of its establishments' exports."""
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for uai in self.uploads[number]:
                students, parents = self.exports(uai)
                archive.writestr(f"ElevesSansAdresses_{uai}.xml", students)
                archive.writestr(f"ResponsablesSansAdresses_{uai}.xml", parents)
        return out.getvalue()


# --- the identity team over HTTP ---------------------------------------------------------------------------------

class IdentityTeam(load.Head):
    """A member of the identity team in a browser: uploads, previews, applies."""

    def token(self) -> str:
        status, page = self.request("GET", "/alimentation")
        assert status == 200, status
        return CSRF.search(page).group(1)

    def preview(self, name: str, content: bytes) -> tuple[str, float, float]:
        """The upload posted (« Voir l'aperçu »), then the preview page: (its id, seconds to the answer, seconds
        to the page)."""
        token = self.token()
        started = time.perf_counter()
        status, page = self.request("POST", "/alimentation/apercu", {"csrf_token": token},
                                    files=[("fichiers", name, content, "application/zip")])
        posted = time.perf_counter()
        assert status == 303, (status, page[:3000])
        path = urlsplit(self.headers["location"]).path
        status, page = self.request("GET", path)
        assert status == 200, status
        return PREVIEW_URL.search(path).group(1), posted - started, time.perf_counter() - posted

    def apply(self, preview_id: str, confirm: list[str], store: JobStore) -> tuple[str, float]:
        """« Appliquer l'import » with every establishment's brake confirmed, until the job's report is ready."""
        token = self.token()
        started = time.perf_counter()
        status, page = self.request("POST", f"/alimentation/apercu/{preview_id}/appliquer",
                                    [("csrf_token", token)] + [("confirmer", uai) for uai in confirm])
        assert status == 303, (status, page[:3000])
        job_id = JOB_URL.search(self.headers["location"]).group(1)
        while (job := store.get(job_id)) is None or job.status not in (FINISHED, FAILED):
            time.sleep(0.1)
        elapsed = time.perf_counter() - started
        assert job.status == FINISHED, job.message
        return job_id, elapsed


# --- the floors --------------------------------------------------------------------------------------------------

def raw_connection(url: str, password: str) -> ldap3.Connection:
    """A plain ldap3 connection as the service identity, with the app's options."""
    return ldap3.Connection(ldap3.Server(url, get_info=ldap3.NONE), SERVICE_DN, password, auto_bind=True,
                            raise_exceptions=False, return_empty_attributes=False)


def _entries(conn) -> list:
    return [e for e in conn.response if e.get("type") == "searchResEntry"]


def read_floor(conn, uais: list[str], arriving: list[str]) -> tuple[int, float]:
    """Reading what the preview reads, by the plainest indexed searches on one connection: the establishments'
    students and parents, the students arriving from elsewhere (by INE) and their parents. (entries, seconds)"""
    students, guardians = f"{A.STUDENTS},{SUFFIX}", f"{A.GUARDIANS},{SUFFIX}"
    started, count, found = time.perf_counter(), 0, []
    for uai in uais:
        conn.search(students, equals(A.UAI, uai), ldap3.LEVEL, attributes=STUDENT_ATTRIBUTES)
        count += len(_entries(conn))
        conn.search(guardians, equals(A.UAI, uai), ldap3.LEVEL, attributes=GUARDIAN_ATTRIBUTES)
        count += len(_entries(conn))
    for start in range(0, len(arriving), 200):
        conn.search(students, any_of(*(equals(A.INE, i) for i in arriving[start:start + 200])), ldap3.LEVEL,
                    attributes=STUDENT_ATTRIBUTES)
        found += [e["dn"] for e in _entries(conn)]
        count += len(found)
    for start in range(0, len(found), 200):
        conn.search(guardians, any_of(*(equals(A.CHILD, d) for d in found[start:start + 200])), ldap3.LEVEL,
                    attributes=GUARDIAN_ATTRIBUTES)
        count += len(_entries(conn))
    return count, time.perf_counter() - started


_OPERATIONS = {"add": ldap3.MODIFY_ADD, "delete": ldap3.MODIFY_DELETE, "replace": ldap3.MODIFY_REPLACE}


def writes_of(preview) -> list[list[tuple]]:
    """The adds and modifies the import's rows make, students' then parents', as raw LDAP operations (without
    Sésame's own: the job's mark, the INE's claim, the journal)."""
    phases = [[], []]
    for row in preview.rows():
        plan = row.plan
        phase = phases[row.kind != "student"]
        if row.category == "conflict" or plan.get("op") not in ("create", "modify"):
            continue
        if plan["op"] == "create":
            phase.append(("add", plan["dn"], plan.get("object_classes") or [A.OC_PERSON, A.OC_ACCOUNT], plan["values"]))
        else:
            changes: dict[str, list] = {}
            for attribute, operation, values in plan["modifications"]:
                changes.setdefault(attribute, []).append((_OPERATIONS[operation], list(values)))
            phase.append(("modify", plan["dn"], changes))
    return phases


def write_floor(url: str, password: str, phases: list[list[tuple]], connections: int) -> tuple[int, float, int]:
    """The operations sent raw to `url` with `connections` connections at once, each phase after the other.
    (operations, seconds, refused)"""
    local = threading.local()
    refused = []

    def send(operation):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = raw_connection(url, password)
        if operation[0] == "add":
            conn.add(operation[1], operation[2], operation[3])
        else:
            conn.modify(operation[1], operation[2])
        if conn.result["result"] != 0:
            refused.append(conn.result)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=connections) as pool:
        for phase in phases:
            list(pool.map(send, phase, chunksize=16))
    return sum(len(p) for p in phases), time.perf_counter() - started, len(refused)


@contextmanager
def twin(servers: dict, say=print):
    """A second slapd on a copy of the directory as it is now (its files copied while nobody writes): what the
    write floor changes, so that the benchmark's own directory stays the import's."""
    source: EmbeddedSlapd = servers["slapd"]
    folder = servers["root"] / "twin"
    started = time.monotonic()
    shutil.copytree(source.root, folder, ignore=shutil.ignore_patterns("data", "ldapi", "slapd.pid", "slapd.args",
                                                                       "port", "*.log"))
    (folder / "data").mkdir()
    for item in source.data_dir.iterdir():
        subprocess.run(["cp", "--sparse=always", str(item), str(folder / "data" / item.name)], check=True)
    for ldif in (folder / "slapd.d").rglob("*.ldif"):     # its own folder, pid file and socket
        text = ldif.read_text(encoding="utf-8").replace(str(source.root), str(folder))
        ldif.write_text("".join(line for line in text.splitlines(True) if not line.startswith("# CRC32")),
                        encoding="utf-8")
    copy = EmbeddedSlapd(folder, SUFFIX, max_size=source.max_size, no_sync=source.no_sync).start()
    say(f"the write floor's twin of the directory: copied and started in {time.monotonic() - started:.0f} s")
    try:
        yield copy
    finally:
        copy.stop()
        shutil.rmtree(folder, ignore_errors=True)


# --- the directory afterwards ------------------------------------------------------------------------------------

def _one(entry: dict, name: str) -> str:
    values = entry["attributes"].get(name) or [""]
    return str(values[0] if isinstance(values, list) else values)


def check_directory(conn, rentree: Rentree, sample_every: int, say=print) -> list[str]:
    """The directory against the generator: every establishment's students, the leavers, every account created,
    then a sample of students (and their parents) field by field. Returns what differs."""
    students, guardians = f"{A.STUDENTS},{SUFFIX}", f"{A.GUARDIANS},{SUFFIX}"
    problems = []

    def count(base, filter_) -> int:
        """Entries matching, their DNs read a page at a time (a million would not fit in memory at once)."""
        return sum(1 for e in conn.extend.standard.paged_search(base, filter_, ldap3.LEVEL, attributes=["1.1"],
                                                                paged_size=2000, generator=True)
                   if e.get("type") == "searchResEntry")

    for uai in rentree.uais:
        found, wanted = count(students, equals(A.UAI, uai)), rentree.students_after(uai)
        if found != wanted:
            problems.append(f"{uai}: {found} students, expected {wanted}")
    pupils = [p for uai in rentree.uais for p in rentree.at[uai]]
    newcomers = [p for uai in rentree.uais for p in rentree.newcomers[uai]]
    leavers = sum(1 for p in pupils if p.fate == LEAVE)
    created = [p for p in newcomers if not p.conflict]
    totals = {"leavers": (count(students, f"({A.LEFT_ON}=*)"), leavers),
              "students": (count(students, equals(A.OBJECT_CLASS, A.OC_ACCOUNT)), len(pupils) + len(created)),
              "parents": (count(guardians, equals(A.OBJECT_CLASS, A.OC_ACCOUNT)),
                          sum(len(p.parents) for p in pupils) + sum(len(p.parents) for p in created))}
    for label, (found, wanted) in totals.items():
        if found != wanted:
            problems.append(f"{label}: {found}, expected {wanted}")
    sample = (pupils + newcomers)[::sample_every]
    checked = Counter()
    for pupil in sample:
        conn.search(students, equals(A.INE, pupil.ine), ldap3.LEVEL,
                    attributes=[A.UAI, A.CLASS_CODE, A.SURNAME, A.GIVEN_NAME, A.CN, A.BIRTH_DATE, A.LEFT_ON,
                                A.LEFT_UAI, A.ACCOUNT_STATE, A.ACCOUNT_ORIGIN, A.MEF_CODE])
        found = _entries(conn)
        label = pupil.conflict or pupil.fate
        checked[label] += 1
        if pupil.fate == NEW and pupil.conflict:
            if found:
                problems.append(f"newcomer {pupil.ine} in conflict ({pupil.conflict}) was created")
            continue
        if len(found) != 1:
            problems.append(f"{label} {pupil.ine}: {len(found)} entries")
            continue
        entry = found[0]
        if pupil.fate == LEAVE:
            wanted = {A.UAI: "", A.LEFT_UAI: pupil.uai, A.CLASS_CODE: pupil.class_code}
        else:
            wanted = {A.UAI: pupil.to, A.LEFT_UAI: "", A.LEFT_ON: "", A.CLASS_CODE: pupil.new_class,
                      A.SURNAME: pupil.new_surname, A.GIVEN_NAME: pupil.given, A.CN: f"{pupil.given} {pupil.new_surname}",
                      A.MEF_CODE: MEF}
            if pupil.fate == NEW:
                wanted.update({A.ACCOUNT_STATE: "NOT_NOTIFIED", A.ACCOUNT_ORIGIN: "REGISTRY",
                               A.BIRTH_DATE: f"{pupil.born:%Y%m%d}"})
        for name, value in wanted.items():
            have = _one(entry, name)
            if name == A.BIRTH_DATE:
                have = re.sub(r"\D", "", have)[:8]
            if have != value:
                problems.append(f"{label} {pupil.ine}: {name} is {have!r}, expected {value!r}")
        if pupil.fate == LEAVE and not _one(entry, A.LEFT_ON):
            problems.append(f"leaver {pupil.ine}: no {A.LEFT_ON}")
        conn.search(guardians, equals(A.CHILD, entry["dn"]), ldap3.LEVEL, attributes=[A.GIVEN_NAME, A.UAI])
        parents = _entries(conn)
        if sorted(_one(p, A.GIVEN_NAME) for p in parents) != sorted(pupil.parents):
            problems.append(f"{label} {pupil.ine}: parents {sorted(_one(p, A.GIVEN_NAME) for p in parents)}, "
                            f"expected {sorted(pupil.parents)}")
        elif pupil.fate == MOVE and pupil.to != pupil.uai and not any(
                pupil.to in (p["attributes"].get(A.UAI) or []) for p in parents):
            problems.append(f"mover {pupil.ine}: no parent attached to {pupil.to}")
    say(f"directory check: {len(rentree.uais)} establishments' students counted, leavers {leavers:,}, "
        f"students {totals['students'][0]:,}, parents {totals['parents'][0]:,}; {len(sample):,} students of the "
        f"generator read field by field with their parents ({', '.join(f'{k} {n}' for k, n in sorted(checked.items()))})"
        f": {'every one as expected' if not problems else f'{len(problems)} difference(s)'}")
    return problems


# --- the run -----------------------------------------------------------------------------------------------------

def _workers(config: dict, count: int, profile: str | None = None) -> list[subprocess.Popen]:
    """`count` job workers as the Procfile's `worker:` runs them (the first under py-spy when profiled)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")}
    env.update({k: str(v) for k, v in config.items() if k.startswith("SESAME_")})
    started = []
    for number in range(count):
        command = [sys.executable, "-m", "webapp.jobs.worker"]
        if profile and number == 0:
            command = [str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses", "--gil",
                       "--nonblocking", "--format", "raw", "-o", profile, "--"] + command
        started.append(subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True))
    return started


def _spy(pid: int, profile: str) -> subprocess.Popen:
    """py-spy sampling a running process and its children (only the thread that holds the interpreter)."""
    return subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses", "--gil",
                             "--nonblocking", "--format", "raw", "-o", profile, "--pid", str(pid)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        os.killpg(process.pid, 2)
    for process in processes:
        try:
            process.wait(60)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)


def _categories(preview) -> Counter:
    return Counter((r.kind, r.category) for r in preview.rows() if r.plan.get("counted", True))


def _load() -> str:
    return " ".join(f"{v:.1f}" for v in os.getloadavg())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--establishments", type=int, default=550, help="establishments of the académie (550)")
    parser.add_argument("--students", type=int, default=2000, help="students per establishment (2,000)")
    parser.add_argument("--per-upload", type=int, default=25, help="establishments per zip uploaded (25)")
    parser.add_argument("--workers", type=int, default=2, help="job workers, as the Procfile's worker: (2)")
    parser.add_argument("--sample", type=int, default=2000, help="students read back field by field (about)")
    parser.add_argument("--profile-worker", metavar="FILE", help="the first worker under py-spy, stacks to FILE")
    parser.add_argument("--profile-web", metavar="FILE", help="gunicorn's workers under py-spy, stacks to FILE")
    args = parser.parse_args(argv)
    from webapp.alimentation.job import WRITERS
    rentree = Rentree()
    servers: dict = {}
    started = time.monotonic()
    with big_directory(args.establishments, args.students, second_parent=SECOND_PARENT, max_size=64 * GiB,
                       each_student=rentree.see, servers=servers) as config:
        built = time.monotonic() - started
        rentree.plan(args.per_upload)
        pupils = sum(len(v) for v in rentree.at.values())
        print(f"the académie built in {built / 60:.1f} min; next year: {len(rentree.uploads)} zip(s) of "
              f"{args.per_upload} establishments' exports, {sum(len(v) for v in rentree.rows.values()):,} students "
              f"named ({', '.join(f'{k} {n:,}' for k, n in Counter(p.fate for v in rentree.at.values() for p in v).items())}, "
              f"newcomers {sum(len(v) for v in rentree.newcomers.values()):,}) out of {pupils:,}; load average {_load()}",
              flush=True)
        app = create_app(config)
        add_identity_team_member(app.extensions["sesame.directory"])
        store = JobStore(Redis.from_url(config["SESAME_REDIS_URL"]))
        password = config["SESAME_LDAP_BIND_PASSWORD"]
        reader = raw_connection(config["SESAME_LDAP_URL"], password)
        figures, problems = [], []
        with twin(servers) as copy, load.gunicorn(config) as port:
            workers = _workers(config, args.workers, args.profile_worker)
            try:
                time.sleep(3)      # the workers start (imports, app) before the clock does
                team = IdentityTeam(port, ADMIN, "", timeout=4 * 3600)
                team.sign_in()
                watched = {"web": [load.master_pid(port)], "worker": [w.pid for w in workers]}
                pids = server_pids(config)
                meter = CpuMeter({**watched, "slapd": [pids["slapd"]], "redis": [pids["redis"]], "bench": [None],
                                  "twin": [copy.running_pid()]})
                if args.profile_web:
                    workers.append(_spy(load.master_pid(port), args.profile_web))
                with PeakMemory(watched) as memory:
                    for number, expected in enumerate(rentree.expected):
                        content = rentree.zipped(number)
                        cpu = meter.read()
                        preview_id, posted, shown = team.preview(f"rentree-2027-{number + 1:03d}.zip", content)
                        cpu_preview, cpu = meter.since(cpu), meter.read()
                        with app.app_context():
                            preview = previews.load(preview_id)
                        found = _categories(preview)
                        if found != +expected.rows:
                            problems.append(f"upload {number + 1}: preview counts {dict(found)}, expected "
                                            f"{dict(+expected.rows)}")
                        arriving = [p.ine for uai in expected.uais for p in rentree.rows[uai]
                                    if p.fate == MOVE and p.uai not in expected.uais]
                        cpu = meter.read()
                        entries, read = read_floor(reader, expected.uais, arriving)
                        cpu_read = meter.since(cpu)
                        phases = writes_of(preview)
                        del preview
                        cpu = meter.read()
                        writes, written, refused = write_floor(copy.ldap_url, password, phases, WRITERS)
                        cpu_written = meter.since(cpu)
                        if refused:
                            problems.append(f"upload {number + 1}: the write floor's twin refused {refused} writes")
                        cpu = meter.read()
                        job_id, applied = team.apply(preview_id, expected.uais, store)
                        cpu_applied = meter.since(cpu)
                        report = Counter(o for o, _ in store.outcomes(job_id).values())
                        if dict(report) != {k: v for k, v in expected.report().items() if v}:
                            problems.append(f"upload {number + 1}: report {dict(report)}, expected {expected.report()}")
                        figures.append({"zip": len(content), "preview": posted + shown, "posted": posted,
                                        "page": shown, "read": read, "entries": entries, "apply": applied,
                                        "written": written, "writes": writes,
                                        "cpu preview": cpu_preview["web"] + cpu_preview["slapd"],
                                        "cpu read": cpu_read["bench"] + cpu_read["slapd"],
                                        "cpu apply": sum(cpu_applied[k] for k in ("web", "worker", "slapd", "redis")),
                                        "cpu written": cpu_written["bench"] + cpu_written["twin"]})
                        print(f"upload {number + 1}/{len(rentree.uploads)} ({len(expected.uais)} establishments, "
                              f"zip {len(content) / 1e6:.1f} MB, {sum(found.values()):,} rows): preview {posted:.1f} s "
                              f"+ page {shown:.1f} s, floor {read:.1f} s ({entries:,} entries); apply {applied:.1f} s, "
                              f"floor {written:.1f} s ({writes:,} writes); peak memory web "
                              f"{memory.peaks['web'] / 2**20:.0f} MiB, worker {memory.peaks['worker'] / 2**20:.0f} MiB; "
                              f"load average {_load()}", flush=True)
                        print("    CPU seconds: " + "; ".join(
                            f"{label} " + ", ".join(f"{k} {v:.1f}" for k, v in spent.items() if v >= 0.05)
                            for label, spent in (("preview", cpu_preview), ("read floor", cpu_read),
                                                 ("apply", cpu_applied), ("write floor", cpu_written))), flush=True)
            finally:
                _stop(workers)
        problems += check_directory(reader, rentree, max(1, round(pupils * (1 + NEWCOMERS) / args.sample)))
    total = {k: sum(f[k] for f in figures) for k in figures[0]}
    print(f"\nthe rentrée of {args.establishments} establishments ({pupils:,} students), {len(figures)} uploads of "
          f"{args.per_upload}, {WRITERS} connection(s) writing, {args.workers} workers; load average {_load()}:")
    print(f"preview (upload to page shown)  {total['preview'] / 60:7.1f} min   floor (reading the same "
          f"{total['entries']:,} entries) {total['read'] / 60:.1f} min -> {total['preview'] / total['read']:.2f}x   "
          f"(targets <= 15 min for the académie, <= 1.5x)")
    print(f"apply (ask to report ready)     {total['apply'] / 60:7.1f} min   floor (the same {total['writes']:,} adds "
          f"and modifies raw, {WRITERS} connections) {total['written'] / 60:.1f} min -> "
          f"{total['apply'] / total['written']:.2f}x   (targets <= 60 min for the académie, <= 1.5x)")
    print(f"writes per second: apply {total['writes'] / total['apply']:.0f}, floor "
          f"{total['writes'] / total['written']:.0f}")
    print(f"CPU time (what another session's load moves least): preview, the web worker's and slapd's "
          f"{total['cpu preview']:.0f} s against the floor's (this process and slapd) {total['cpu read']:.0f} s -> "
          f"{total['cpu preview'] / total['cpu read']:.2f}x; apply, the workers', the web's, slapd's and Redis's "
          f"{total['cpu apply']:.0f} s against the floor's (this process and the twin) {total['cpu written']:.0f} s "
          f"-> {total['cpu apply'] / total['cpu written']:.2f}x")
    print(f"peak memory: web process {memory.peaks['web'] / 2**20:.0f} MiB, worker {memory.peaks['worker'] / 2**20:.0f} "
          f"MiB (target <= 1024 MiB each)")
    for problem in problems[:50]:
        print("DIFFERENCE:", problem)
    print(f"the directory afterwards: {'as the generator expects' if not problems else f'{len(problems)} difference(s)'}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
