"""What the benchmarks share: a big directory built with slapadd, an app on it, and percentiles."""
from __future__ import annotations

import argparse
import base64
import os
import random
import re
import secrets
import statistics
import tempfile
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path

import ldap3

from directory import attributes as A
from devtools.demo import BOYS, GIRLS, SURNAMES
from devtools.slapd import EmbeddedSlapd
from directory.escaping import dn
from directory.ine import with_key
from directory.ldif import dump
from directory.migrations import MigrationSettings, Migrator
from directory.names import identifier_stem, search_keys, sort_name
from directory.passwords import PasswordHasher
from directory.uai import check_letter
from devtools.embedded import EmbeddedRedis

SUFFIX = "dc=sesame,dc=bench"
SERVICE_DN = f"cn=sesame,ou=services,{SUFFIX}"
STAFF_PASSWORD = "bench-password"
ADMIN = "admin.bench"        # the identity team's member in the benchmarks
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
CLASSES = [(f"{level}{n:02d}", f"{label} {n}") for level, label in (("2", "Seconde"), ("1", "Première"),
                                                                     ("T", "Terminale")) for n in range(1, 21)]
STATES = ("NOT_NOTIFIED", "NOTIFIED", "ACTIVE")


def arguments(doc: str, requests: int = 0, **formatter) -> argparse.ArgumentParser:
    """The options every benchmark on the big directory shares: its establishments and their students (and the
    requests timed for each scenario, when `requests` says how many by default)."""
    parser = argparse.ArgumentParser(description=doc, **formatter)
    parser.add_argument("--establishments", type=int, default=100, help="establishments (100: 200,000 students)")
    parser.add_argument("--students", type=int, default=2000, help="students per establishment")
    if requests:
        parser.add_argument("--requests", type=int, default=requests, help="requests per scenario")
    return parser


def uai_of(number: int) -> str:
    digits = f"{990100 + number:07d}"
    return digits + check_letter(digits)


def birth_date_of(account_id: str) -> str:
    day = date(2008, 1, 1) + timedelta(days=int(account_id[:6], 16) % 1800)
    return f"{day:%Y%m%d}000000Z"


def percentile(values, fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def summary(values) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    return statistics.median(values) * 1000, percentile(values, 0.95) * 1000


def timed(function, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def write_directory_ldif(path: Path, establishments: int, students_each: int, head_hash: str,
                         state_weights=(30, 30, 40), first: int = 0, mode: str = "w",
                         second_parent: float | None = None, schools: dict | None = None,
                         for_figures: bool = False, each_student=None) -> None:
    """`establishments` schools of `students_each` students, one head per school (`head.<n>`),
    numbered from `first` (mode "a": added to the file, for schools of another size). With
    `second_parent`, each student has a parent, and a second one at that rate. `schools`, if given,
    is filled with each student's school (account id → UAI). `for_figures` (bench/stats): notification
    and activation dates spread over the school year, some e-mails, one parent per student and a second
    for one in four, drawn from a generator of their own so that the students are those of the other
    benchmarks. `each_student(uai, attributes, parents)`, if given, is told every student written with its
    parents' attributes (bench/rentree: what the next year's exports start from)."""
    rng = random.Random(2026 + first)
    extra = random.Random(15 + first)
    taken: dict[str, int] = {}
    ines: set[str] = set()
    with open(path, mode, encoding="utf-8") as out:
        for n in range(first, first + establishments):
            uai = uai_of(n)
            school = dn(A.UAI, uai, f"{A.ESTABLISHMENTS},{SUFFIX}")
            out.write(dump(school, {A.OBJECT_CLASS: [A.OC_ESTABLISHMENT], A.UAI: [uai],
                                    A.ORGANIZATION: [f"LYC Bench {n}"], A.HEAD_NAME: [f"Chef {n}"]}))
            out.write(dump(dn(A.MEF_CODE, "20010018110", school), {
                A.OBJECT_CLASS: [A.OC_MEF], A.MEF_CODE: ["20010018110"], A.UAI: [uai],
                A.MEF_LABEL: ["2NDE GENERALE & TECHNO."]}))
            for code, label in CLASSES:
                out.write(dump(dn(A.CN, code, school), {A.OBJECT_CLASS: [A.OC_SCHOOL_CLASS], A.CN: [code],
                                                          A.UAI: [uai], A.DESCRIPTION: [label],
                                                          A.MEF_CODE: ["20010018110"]}))
            out.write(dump(dn(A.UID, f"head.{n}", f"{A.STAFF},{SUFFIX}"), {
                A.OBJECT_CLASS: [A.OC_PERSON, A.OC_STAFF], A.UID: [f"head.{n}"], A.CN: [f"Chef {n}"],
                A.SURNAME: [f"Chef {n}"], A.HEAD_OF: [uai], A.USER_PASSWORD: [head_hash]}))
            for _ in range(students_each):
                given = rng.choice(GIRLS + BOYS)
                surname = rng.choice(SURNAMES)
                account_id = f"{rng.getrandbits(128):032x}"
                state = rng.choices(STATES, state_weights)[0]
                attributes = {
                    A.OBJECT_CLASS: [A.OC_PERSON, A.OC_ACCOUNT], A.ACCOUNT_ID: [account_id],
                    A.CN: [f"{given} {surname}"], A.SURNAME: [surname], A.GIVEN_NAME: [given],
                    A.UAI: [uai], A.CLASS_CODE: [rng.choice(CLASSES)[0]], A.MEF_CODE: ["20010018110"],
                    A.INE: [_unique_ine(f"{rng.randrange(10**10):010d}", ines)], A.ACCOUNT_STATE: [state],
                    A.ACCOUNT_ORIGIN: ["REGISTRY"], A.SEARCH_KEY: search_keys(given, surname), A.SORT_NAME: [sort_name(given, surname)],
                    # a birth date from the account id (the random sequence above stays as it was): the
                    # registry imports match on INE and birth date
                    A.BIRTH_DATE: [birth_date_of(account_id)],
                }
                if state != "NOT_NOTIFIED":
                    stem = identifier_stem(given, surname)
                    taken[stem] = taken.get(stem, 0) + 1
                    attributes[A.UID] = [stem if taken[stem] == 1 else f"{stem}{taken[stem]}"]
                    attributes[A.NOTIFICATION_DATE] = ["20260915080000Z"]
                if state == "ACTIVE":
                    attributes[A.PWD_LAST_SUCCESS] = ["20261001080000Z"]
                student_dn = dn(A.ACCOUNT_ID, account_id, f"{A.STUDENTS},{SUFFIX}")
                if for_figures:
                    _figures_attributes(attributes, state, extra)
                out.write(dump(student_dn, attributes))
                if schools is not None:
                    schools[account_id] = uai
                if for_figures:
                    for _ in range(2 if extra.random() < 0.25 else 1):
                        out.write(_parent(student_dn, uai, surname, extra))
                parents = []
                if second_parent is not None:
                    first_given = None
                    for parent in range(1 + (rng.random() < second_parent)):
                        parent_given = rng.choice(GIRLS + BOYS)
                        if parent_given == first_given:     # two parents of one child never share a full name
                            names = GIRLS + BOYS           # (no draw more: the directory stays what it was)
                            parent_given = names[(names.index(parent_given) + 1) % len(names)]
                        first_given = parent_given
                        parent_id = f"{rng.getrandbits(128):032x}"
                        parents.append({
                            A.OBJECT_CLASS: [A.OC_PERSON, A.OC_ACCOUNT], A.ACCOUNT_ID: [parent_id],
                            A.CN: [f"{parent_given} {surname}"], A.SURNAME: [surname], A.GIVEN_NAME: [parent_given],
                            A.UAI: [uai], A.CHILD: [student_dn], A.ACCOUNT_STATE: ["NOT_NOTIFIED"],
                            A.ACCOUNT_ORIGIN: ["REGISTRY"], A.SEARCH_KEY: search_keys(parent_given, surname),
                            A.SORT_NAME: [sort_name(parent_given, surname)]})
                        out.write(dump(dn(A.ACCOUNT_ID, parent_id, f"{A.GUARDIANS},{SUFFIX}"), parents[-1]))
                if each_student is not None:
                    each_student(uai, attributes, parents)


def _unique_ine(body: str, taken: set[str]) -> str:
    """A valid INE (its key letter computed) no student of the file has yet: a body drawn twice (about 60 pairs
    in 1.1 million) moves on to the next number, the random draws stay the same (the directory's unique overlay,
    which slapadd -q skips, refuses twins)."""
    ine = with_key(body)
    while ine in taken:
        body = f"{(int(body) + 1) % 10 ** 10:010d}"
        ine = with_key(body)
    taken.add(ine)
    return ine


def disk_use(folder: Path) -> int:
    """Bytes the files under `folder` really take (mdb's map is sparse: its size says little)."""
    return sum(f.stat().st_blocks * 512 for f in folder.rglob("*") if f.is_file())


def _moment(rng) -> str:
    start = datetime(2026, 9, 1, 8, 0, 0)
    return (start + timedelta(seconds=rng.randrange(80 * 86400))).strftime("%Y%m%d%H%M%SZ")


def _figures_attributes(attributes: dict, state: str, rng) -> None:
    if state == "NOT_NOTIFIED":
        return
    attributes[A.NOTIFICATION_DATE] = [_moment(rng)]
    if state == "ACTIVE":
        attributes[A.OBJECT_CLASS] = attributes[A.OBJECT_CLASS] + [A.OC_ACTIVATION]
        attributes[A.ACTIVATION_DATE] = [max(attributes[A.NOTIFICATION_DATE][0], _moment(rng))]
        if rng.random() < 0.4:
            attributes[A.MAIL] = [f"{attributes[A.UID][0]}@example.org"]
            attributes[A.MAIL_VERIFIED] = ["TRUE" if rng.random() < 0.9 else "FALSE"]


def _parent(child_dn: str, uai: str, surname: str, rng) -> str:
    given = rng.choice(GIRLS + BOYS)
    account_id = f"{rng.getrandbits(128):032x}"
    state = rng.choices(STATES, (30, 30, 40))[0]
    attributes = {
        A.OBJECT_CLASS: [A.OC_PERSON, A.OC_ACCOUNT], A.ACCOUNT_ID: [account_id], A.CN: [f"{given} {surname}"],
        A.SURNAME: [surname], A.GIVEN_NAME: [given], A.UAI: [uai], A.CHILD: [child_dn], A.ACCOUNT_STATE: [state],
        A.ACCOUNT_ORIGIN: ["REGISTRY"], A.SEARCH_KEY: search_keys(given, surname),
        A.SORT_NAME: [sort_name(given, surname)]}
    if state != "NOT_NOTIFIED":
        attributes[A.UID] = [f"p.{account_id[:12]}"]
    _figures_attributes(attributes, state, rng)
    return dump(dn(A.ACCOUNT_ID, account_id, f"{A.GUARDIANS},{SUFFIX}"), attributes)


@contextmanager
def big_directory(establishments: int = 100, students_each: int = 2000, say=print, state_weights=(30, 30, 40),
                  more_entries=None, for_figures: bool = False, second_parent: float | None = None,
                  schools: dict | None = None, max_size: int = 8 * 1024**3, each_student=None,
                  servers: dict | None = None):
    """A private slapd holding the big directory, a Redis, and the app's settings for them.
    `more_entries(out)`, if given, writes further LDIF records into the same slapadd; `for_figures` adds
    the dates and parents « Statistiques » reads; `second_parent`, `schools` and `each_student` as
    write_directory_ldif. `servers`, if given, is filled with the slapd, the Redis and the folder."""
    with tempfile.TemporaryDirectory(prefix="sesame-bench-", dir=os.environ.get("SESAME_BENCH_DIR")) as folder:
        root = Path(folder)
        service_password = secrets.token_urlsafe(16)
        slapd = EmbeddedSlapd(root / "slapd", SUFFIX, max_size=max_size, no_sync=False).start()
        redis = EmbeddedRedis(root / "redis", persist=False).start()
        try:
            Migrator(MigrationSettings(url=slapd.ldapi_url, suffix=SUFFIX, service_dn=SERVICE_DN,
                                       service_password=service_password, migrator_dn=slapd.manager_dn,
                                       argon2=(1, 1024, 1))).migrate(say=lambda _: None)
            started = time.monotonic()
            ldif = root / "bench.ldif"
            write_directory_ldif(ldif, establishments, students_each,
                                 PasswordHasher(1, 1024, 1).hash(STAFF_PASSWORD), state_weights,
                                 second_parent=second_parent, schools=schools, for_figures=for_figures,
                                 each_student=each_student)
            if more_entries is not None:
                with open(ldif, "a", encoding="utf-8") as out:
                    more_entries(out)
            written = time.monotonic()
            ldif_size = ldif.stat().st_size
            slapd.load(ldif)
            loaded = time.monotonic()
            ldif.unlink()
            if servers is not None:
                servers.update(slapd=slapd, redis=redis, root=root)
            parents = "" if second_parent is None else f" and their parents ({1 + second_parent:.2f} a student)"
            say(f"directory: {establishments * students_each:,} students in {establishments} establishments{parents}: "
                f"LDIF {ldif_size / 1e9:.2f} GB written in {written - started:.0f} s, slapadd -q {loaded - written:.0f} s, "
                f"database {disk_use(root / 'slapd') / 1e9:.2f} GB on disk")
            yield {
                "TESTING": False,
                "SESAME_SECRET_KEY": secrets.token_urlsafe(32),
                "SESAME_LDAP_URL": slapd.ldap_url,
                "SESAME_LDAP_SUFFIX": SUFFIX,
                "SESAME_LDAP_BIND_DN": SERVICE_DN,
                "SESAME_LDAP_BIND_PASSWORD": service_password,
                "SESAME_REDIS_URL": redis.url,
                "SESAME_SEAL_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
                "SESAME_FILES_DIR": str(root / "files"),
                "SESAME_STAFF_TOTP": "off",       # heads sign in with their password alone here
            }
        finally:
            redis.stop()
            slapd.stop()


def add_identity_team_member(directory, uid: str = ADMIN) -> None:
    """A member of the identity team (the administrators' group), signing in with the benchmark's password."""
    staff_dn = dn(A.UID, uid, directory.base(A.STAFF))
    directory.writes.run(lambda conn: conn.add(staff_dn, [A.OC_PERSON, A.OC_STAFF], {
        A.UID: uid, A.CN: uid, A.SURNAME: uid, A.USER_PASSWORD: PasswordHasher(1, 1024, 1).hash(STAFF_PASSWORD)}))
    group = f"cn={A.ADMIN_GROUP_CN},{directory.base(A.GROUPS)}"
    directory.writes.run(lambda conn: conn.modify(group, {A.MEMBER: [(ldap3.MODIFY_ADD, [staff_dn])]}))


def signed_in(app, uid: str):
    """A test client of `app` signed in as the staff member `uid` (the benchmark's password)."""
    client = app.test_client()
    token = CSRF.search(client.get("/connexion").get_data(as_text=True)).group(1)
    signed = client.post("/connexion", data={"csrf_token": token, "uid": uid, "password": STAFF_PASSWORD})
    assert signed.status_code == 302, f"could not sign in as {uid}"
    return client
