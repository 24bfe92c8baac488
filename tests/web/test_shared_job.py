"""One job on three workers: a list of 20,000 accounts and a notify of 3,000 with letters, cut into
chunks that each worker claims; every account changed once (counted on the wire), one report, one
document — and a worker killed mid-chunk loses nothing. A slapd of its own, filled by slapadd, behind
a proxy that counts the modifies per entry. (A notify of 20,000 takes over two minutes on two
cores: too long for the suite; the list of 20,000 shows the sharing at that size.)"""
from __future__ import annotations

import base64
import csv
import io
import os
import re
import signal
import subprocess
import time
from collections import Counter

import pytest
from redis import Redis

from bench.common import SERVICE_DN as BENCH_SERVICE_DN, STAFF_PASSWORD, SUFFIX as BENCH_SUFFIX, \
    uai_of, write_directory_ldif
from directory import attributes as A
from directory.connection import DirectorySettings
from devtools.slapd import terminate
from directory.names import letter_order
from directory.passwords import PasswordHasher
from directory.repository import Directory
from faults.ldap_proxy import LdapProxy
from webapp.jobs.store import FAILED, FINISHED, JobStore
from support import ARGON2, FILE_URL, JOB_URL, SEAL_KEY, binds, confirmed, csrf_token, pdf_pages, start_worker, \
    wait_for_job, migrated_slapd

ACCOUNTS = 20_000           # the list's school
NOTIFIED = 3_000            # the notify's school
PRINTED = 600               # the school whose letters are printed piece by piece, two a sheet
CHUNK = 250
SERVICE_PASSWORD = "shared-job-" + base64.b16encode(os.urandom(6)).decode()


@pytest.fixture(scope="module")
def big(tmp_path_factory, redis_server):
    """20,000 never-notified students of one school (and 1,200 of a second), loaded with slapadd."""
    root = tmp_path_factory.mktemp("shared-job")
    slapd = migrated_slapd(root / "slapd", BENCH_SUFFIX, BENCH_SERVICE_DN, SERVICE_PASSWORD)
    ldif = root / "students.ldif"
    head_hash = PasswordHasher(*ARGON2).hash(STAFF_PASSWORD)
    write_directory_ldif(ldif, 1, ACCOUNTS, head_hash, (100, 0, 0))
    write_directory_ldif(ldif, 1, NOTIFIED, head_hash, (100, 0, 0), first=1, mode="a")
    write_directory_ldif(ldif, 1, PRINTED, head_hash, (100, 0, 0), first=2, mode="a")
    slapd.load(ldif)
    proxy = LdapProxy(slapd.port)
    redis_url = redis_server.url.rsplit("/", 1)[0] + "/5"    # a database of its own: no other worker here
    Redis.from_url(redis_url).flushdb()
    config = {
        "TESTING": True, "SESAME_FAILED_SIGN_IN_DELAY": 0, "SESAME_SECRET_KEY": "shared-" + SERVICE_PASSWORD,
        "SESAME_LDAP_URL": proxy.url, "SESAME_LDAP_SUFFIX": BENCH_SUFFIX, "SESAME_LDAP_BIND_DN": BENCH_SERVICE_DN,
        "SESAME_LDAP_BIND_PASSWORD": SERVICE_PASSWORD, "SESAME_REDIS_URL": redis_url,
        "SESAME_SEAL_KEY": base64.b64encode(SEAL_KEY).decode(), "SESAME_FILES_DIR": str(root / "files"),
        "SESAME_STAFF_TOTP": "off", "SESAME_SMTP_PORT": 9,
        "SESAME_LDAP_TIMEOUT": 30,    # three workers and slapd on a shared machine: slow answers, not a dead directory
        "SESAME_ARGON2_TIME_COST": ARGON2[0], "SESAME_ARGON2_MEMORY_COST": ARGON2[1],
        "SESAME_ARGON2_PARALLELISM": ARGON2[2],
        "SESAME_JOB_CHUNK": CHUNK, "SESAME_JOB_HOLD_SECONDS": 3, "SESAME_JOB_SWEEP_SECONDS": 1,
    }
    directory = Directory(DirectorySettings(url=slapd.ldap_url, suffix=BENCH_SUFFIX, bind_dn=BENCH_SERVICE_DN,
                                            bind_password=SERVICE_PASSWORD))
    yield slapd, proxy, config, directory
    directory.close()
    proxy.close()
    slapd.stop()


def _head(config, school: int):
    from webapp import create_app
    app = create_app(dict(config))
    client = app.test_client()
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    assert client.post("/connexion", data={"csrf_token": token, "uid": f"head.{school}",
                                           "password": STAFF_PASSWORD}).status_code == 302
    return app, client


def _select_all_and_confirm(client, url: str, data: dict) -> str:
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    client.post("/eleves/selection/vider", data={"csrf_token": token})
    selected = client.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1"})
    assert selected.status_code in (200, 302, 303)
    response = client.post(url, data=confirmed({"csrf_token": token, **data}))
    assert response.status_code == 303, response.get_data(as_text=True)
    return JOB_URL.search(response.headers["Location"]).group(1)


def _entries(directory, school: int):
    found = directory.search(directory.base(A.STUDENTS), f"({A.UAI}={uai_of(school)})",
                             [A.ACCOUNT_ID, A.ACCOUNT_STATE, A.LAST_JOB, A.UID, A.CLASS_CODE, A.GIVEN_NAME, A.SURNAME])
    return {dn: entry for dn, entry in found}


def _in_letter_order(printed: list[str], entries: dict) -> bool:
    """Whether the letters (their identifiers, page after page) go class by class, then by name."""
    key = {e[A.UID][0]: letter_order(e[A.CLASS_CODE][0], e[A.GIVEN_NAME][0], e[A.SURNAME][0]) for e in entries.values()}
    keys = [key[identifier] for identifier in printed]
    return keys == sorted(keys)


def _chunks_by_worker(redis, job_id: str) -> Counter:
    """How many of the job's chunks each worker noted done."""
    return Counter(w.decode() for w in redis.hvals(f"sesame:job:{job_id}:chunks-done"))


def _workers(config, count):
    return [start_worker(config) for _ in range(count)]


def test_three_workers_share_a_notify_with_letters_one_killed_mid_chunk_each_account_changed_once(big):
    slapd, proxy, config, directory = big
    app, client = _head(config, 1)
    workers = _workers(config, 3)
    try:
        proxy.modifies.clear(), proxy.applied.clear()
        job_id = _select_all_and_confirm(client, "/eleves/notifications",
                                         {"notification": "courrier"})
        redis = Redis.from_url(config["SESAME_REDIS_URL"])
        # one worker is killed in the middle of its chunk; its chunk is taken up by the two others
        # (once each worker has finished a chunk of its own: a chunk counts as done once its letters are printed)
        deadline = time.monotonic() + 120
        while (redis.hlen(f"sesame:job:{job_id}:outcomes") < NOTIFIED // 3 or len(_chunks_by_worker(redis, job_id)) < 3) \
                and time.monotonic() < deadline:
            time.sleep(0.05)
        killed = workers[0]
        os.killpg(killed.pid, signal.SIGKILL)
        killed.wait()
        job = wait_for_job(config["SESAME_REDIS_URL"], job_id, timeout=300)
    finally:
        for process in workers:
            terminate(process)
    assert job.status == "finished", job.message

    # the chunks were shared: by three workers, each claimed by the one that noted it done
    by_worker = _chunks_by_worker(redis, job_id)
    assert sum(by_worker.values()) == -(-NOTIFIED // CHUNK) and len(by_worker) == 3, by_worker

    # every account changed exactly once, as the directory and the wire tell
    entries = {dn.lower(): e for dn, e in _entries(directory, 1).items()}
    assert len(entries) == NOTIFIED
    assert all(e[A.LAST_JOB] == [job_id] and e[A.ACCOUNT_STATE] == ["NOTIFIED"] and len(e[A.UID]) == 1
               for e in entries.values())
    assert len({e[A.UID][0] for e in entries.values()}) == NOTIFIED, "identifiers are unique"
    # a modify refused (an identifier another worker took meanwhile, then the next number) is sent
    # again; a modify applied never is
    applied = {dn.lower(): n for dn, n in proxy.applied.items() if dn.lower() in entries}
    assert len(applied) == NOTIFIED and set(applied.values()) == {1}, Counter(applied.values())

    # one report: the account-by-account CSV and the audit record say the same
    report = list(csv.reader(io.StringIO(client.get(f"/travaux/{job_id}/compte-rendu.csv").data.decode("utf-8-sig")),
                             delimiter=";"))[1:]
    assert len(report) == NOTIFIED and {row[4] for row in report} == {"Fait"}
    record = directory.search(f"cn={job_id},{directory.base(A.AUDIT)}", "(objectClass=*)",
                              [A.TARGET, A.JOB_STATE, A.DESCRIPTION], "BASE")[0][1]
    assert record[A.JOB_STATE] == ["closed"] and len(record[A.TARGET]) == NOTIFIED
    summary = record[A.DESCRIPTION][0]
    assert summary.startswith("(Re)notification des comptes (avec courrier,") and \
        f") : {NOTIFIED} fait(s)," in summary, summary

    # one letters PDF, assembled once from every chunk: a page per account, in class then name order
    assert not redis.exists(f"sesame:job:{job_id}:parts"), "the chunks' parts go once the letters are made"
    link = FILE_URL.search(client.get(f"/travaux/{job_id}").get_data(as_text=True)).group(1)
    pages = pdf_pages(client.get(link).data)
    printed = [re.search(r"Identifiant : (\S+)", page).group(1) for page in pages]
    assert sorted(printed) == sorted(e[A.UID][0] for e in entries.values())
    assert _in_letter_order(printed, entries)
    passwords = {re.search(r"Identifiant : (\S+)", page).group(1):
                 re.search(r"Mot de passe provisoire : (\S+)", page).group(1) for page in pages[:: NOTIFIED // 6]}
    for identifier, password in passwords.items():
        dn = next(dn for dn, e in entries.items() if e[A.UID] == [identifier])
        assert binds(slapd.ldap_url, dn, password), f"the letter of {identifier} signs in"


def test_letters_printed_piece_by_piece_as_the_accounts_are_written_make_one_document_in_order(big):
    """Two workers, chunks of 250: each chunk's letters are printed by pieces of 120 accounts while the
    hashing goes on, kept sealed in Redis, and put end to end once the last chunk is done."""
    slapd, proxy, config, directory = big
    app, client = _head(config, 2)
    redis = Redis.from_url(config["SESAME_REDIS_URL"])
    workers = _workers(config, 2)
    try:
        job_id = _select_all_and_confirm(client, "/eleves/notifications", {"notification": "courrier", "layout": "2"})
        store, pieces_seen = JobStore(redis), 0
        deadline = time.monotonic() + 300
        while store.get(job_id).status not in (FINISHED, FAILED) and time.monotonic() < deadline:
            pieces_seen = max(pieces_seen, redis.hlen(f"sesame:job:{job_id}:pdfs"))
            time.sleep(0.05)
        job = wait_for_job(config["SESAME_REDIS_URL"], job_id, timeout=1)
    finally:
        for process in workers:
            terminate(process)
    assert job.status == "finished", job.message
    # 600 accounts: chunks of 250, 250 and 100; pieces of 120, 120 and 10 letters, then 100
    assert pieces_seen >= 2, "pieces were printed while the job ran"
    assert not redis.exists(f"sesame:job:{job_id}:pdfs") and not redis.exists(f"sesame:job:{job_id}:parts")

    entries = _entries(directory, 2)
    assert len(entries) == PRINTED and all(e[A.LAST_JOB] == [job_id] for e in entries.values())
    link = FILE_URL.search(client.get(f"/travaux/{job_id}").get_data(as_text=True)).group(1)
    document = client.get(link).data
    info = subprocess.run(["pdfinfo", "-"], input=document, capture_output=True, check=True).stdout.decode()
    assert "wkhtmltopdf" not in info, "the pieces were put end to end (pdfunite), not printed again whole"
    pages = pdf_pages(document)
    assert len(pages) == PRINTED // 2, "two letters a sheet, no sheet left half empty"
    printed = [identifier for page in pages for identifier in re.findall(r"Identifiant : (\S+)", page)]
    assert sorted(printed) == sorted(e[A.UID][0] for e in entries.values()), "each account's letter, once"
    assert _in_letter_order(printed, entries)
    by_uid = {e[A.UID][0]: dn for dn, e in entries.items()}
    for page in pages[:: len(pages) // 5]:
        identifier = re.search(r"Identifiant : (\S+)", page).group(1)
        password = re.search(r"Mot de passe provisoire : (\S+)", page).group(1)
        assert binds(slapd.ldap_url, by_uid[identifier], password), f"the letter of {identifier} signs in"


def test_three_workers_share_a_csv_list_of_20000_accounts_made_once(big):
    slapd, proxy, config, directory = big
    app, client = _head(config, 0)
    files_before = set(os.listdir(config["SESAME_FILES_DIR"])) if os.path.isdir(config["SESAME_FILES_DIR"]) else set()
    workers = _workers(config, 3)
    try:
        proxy.modifies.clear()
        job_id = _select_all_and_confirm(client, "/eleves/listes", {"format": "csv"})
        job = wait_for_job(config["SESAME_REDIS_URL"], job_id, timeout=180)
    finally:
        for process in workers:
            terminate(process)
    assert job.status == "finished", job.message
    redis = Redis.from_url(config["SESAME_REDIS_URL"])
    by_worker = _chunks_by_worker(redis, job_id)
    assert len(by_worker) >= 2, f"the list's chunks were shared: {by_worker}"
    assert not redis.exists(f"sesame:job:{job_id}:parts"), "the chunks' parts go once the list is made"
    assert not [dn for dn in proxy.modifies if dn.endswith(f"{A.STUDENTS},{BENCH_SUFFIX}")], "a list changes no account"

    # one document, made once, holding each account once
    files_after = set(os.listdir(config["SESAME_FILES_DIR"])) - files_before
    assert len(files_after) == 1, files_after
    link = FILE_URL.search(client.get(f"/travaux/{job_id}").get_data(as_text=True)).group(1)
    rows = list(csv.reader(io.StringIO(client.get(link).data.decode("utf-8-sig")), delimiter=";"))
    listed = Counter((row[7], row[6]) for row in rows[1:])
    labels = {"NOT_NOTIFIED": "Compte non notifié", "NOTIFIED": "Compte notifié et non activé"}
    entries = _entries(directory, 0)
    assert len(rows) - 1 == ACCOUNTS
    assert listed == Counter(((e.get(A.UID) or [""])[0], labels[e[A.ACCOUNT_STATE][0]]) for e in entries.values())
