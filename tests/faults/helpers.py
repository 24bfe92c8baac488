"""What the fault tests share: their own servers, which they kill, and how they read the report, the letters and the directory."""
from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from directory.populations import STUDENTS
from directory import attributes as A
from directory.accounts import Accounts
from devtools.slapd import EmbeddedSlapd
from directory.passwords import Sealer
from directory.repository import Directory
from devtools.embedded import EmbeddedRedis

from support import (JOB_URL, ROOT, SEAL_KEY, binds, confirmed, csrf_token, pdf_pages, sign_in,  # noqa: F401
                     wait_until, worker_environment)

LYC = "0990003R"


@dataclass
class Servers:
    slapd: EmbeddedSlapd
    redis: EmbeddedRedis
    directory: Directory
    config: dict
    root: Path
    workers: list = field(default_factory=list)

    def kill_slapd(self) -> None:
        os.killpg(self.slapd.process.pid, signal.SIGKILL)
        self.slapd.process.wait()
        self.slapd.process = None

    def kill_redis(self, sig=signal.SIGKILL) -> None:
        os.killpg(self.redis.process.pid, sig)
        self.redis.process.wait()
        self.redis.process = None

    def start_worker(self, environment: dict | None = None, command: list[str] | None = None,
                     **overrides) -> subprocess.Popen:
        """A real worker on these servers; `environment`: more of its environment (a PATH with a fault in it),
        `command`: how it is started (a worker made to say it is of another version)."""
        log = open(self.root / f"worker-{len(self.workers)}.log", "ab")
        process = subprocess.Popen(command or [sys.executable, "-m", "webapp.jobs.worker"], cwd=ROOT,
                                   env={**worker_environment(self.config, **overrides), **(environment or {})},
                                   stdout=log, stderr=log, start_new_session=True)
        log.close()
        self.workers.append(process)
        return process

    def kill(self, process: subprocess.Popen) -> None:
        """SIGKILL to the worker and to the work horse it forked (RQ puts that in a session of its
        own): as when the machine dies."""
        for pid in [process.pid] + descendants(process.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        process.wait()


def descendants(pid: int) -> list[int]:
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def make_app(config, **overrides):
    from webapp import create_app
    return create_app({**config, **overrides})


def head_of_lyc(app):
    client = app.test_client()
    assert sign_in(client, "chef.lyc").status_code == 302
    return client


def accounts(directory) -> Accounts:
    return Accounts(directory, STUDENTS, None, Sealer(SEAL_KEY))


def students(directory, start: int, count: int) -> list[str]:
    """A slice of the lycée's students, by name order: each test takes its own."""
    from directory.search import AccountCriteria
    return sorted(directory.students.ids(LYC, AccountCriteria()))[start:start + count]


def snapshot(directory, ids) -> dict:
    """What each account holds: state, mark, identifier, seal and hash."""
    found = directory.search(directory.base(A.STUDENTS),
                             "(|" + "".join(f"({A.ACCOUNT_ID}={i})" for i in ids) + ")",
                             [A.ACCOUNT_ID, A.ACCOUNT_STATE, A.LAST_JOB, A.UID, A.USER_PASSWORD])
    sealed = accounts(directory).read(LYC, ids)
    return {e[A.ACCOUNT_ID][0]: (e.get(A.ACCOUNT_STATE), e.get(A.LAST_JOB), e.get(A.UID), e.get(A.USER_PASSWORD),
                                 sealed[e[A.ACCOUNT_ID][0]].sealed) for _, e in found}


def start_job(client, ids, kind="notify", data=None) -> str:
    """Select `ids` in « Élèves » and confirm the action, as the head would; the job's id."""
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    client.post("/eleves/selection/vider", data={"csrf_token": token})
    for account_id in ids:
        client.post("/eleves/selection", data={"csrf_token": token, "id": account_id, "ids": [account_id]})
    url = {"notify": "/eleves/notifications", "reset": "/eleves/reinitialisations"}[kind]
    response = client.post(url, data=confirmed({"csrf_token": token, **(data or {})}))
    assert response.status_code == 303, response.get_data(as_text=True)
    return JOB_URL.search(response.headers["Location"]).group(1)


def marked(directory, job_id) -> set[str]:
    return accounts(directory).marked(job_id)


def job_status(config, job_id) -> str:
    from redis import Redis
    from webapp.jobs.store import JobStore
    job = JobStore(Redis.from_url(config["SESAME_REDIS_URL"])).get(job_id)
    return job.status if job else ""


def report(client, job_id) -> dict[str, str]:
    """The report account by account, as the head downloads it: account number → result."""
    response = client.get(f"/travaux/{job_id}/compte-rendu.csv")
    assert response.status_code == 200, response.get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["Nom", "Prénom", "Identifiant", "Numéro de compte", "Résultat", "Motif"]
    return {row[3]: row[4] for row in rows[1:]}


def letters(client, job_id) -> dict[str, str]:
    """The letters PDF, read back: identifier → provisional password printed."""
    page = client.get(f"/travaux/{job_id}").get_data(as_text=True)
    link = re.search(r'href="(/fichiers/[^"]+)"', page)
    assert link, "no letters to download"
    found = {}
    for text in pdf_pages(client.get(link.group(1)).data):
        identifier = re.search(r"Identifiant : (\S+)", text).group(1)
        password = re.search(r"Mot de passe provisoire : (\S+)", text)
        found[identifier] = password.group(1) if password else ""
    return found


def assert_agreement(servers, client, job_id, ids, before, with_letters=False, bind_sample=8):
    """The report, the directory and (once finished) the letters say the same of every account."""
    said = report(client, job_id)
    assert set(said) == set(ids)
    now = snapshot(servers.directory, ids)
    records = accounts(servers.directory).read(LYC, ids)
    done = {i for i, result in said.items() if result == "Fait"}
    for account_id in ids:
        carries_mark = now[account_id][1] == [job_id]
        assert (account_id in done) == carries_mark, (account_id, said[account_id], now[account_id][1])
        if account_id not in done:
            assert now[account_id] == before[account_id], f"{account_id} untouched by the report, changed in fact"
    for account_id in sorted(done)[:bind_sample]:
        record = records[account_id]
        assert binds(servers.slapd.ldap_url, record.dn, accounts(servers.directory).provisional_password(record))
    if with_letters:
        printed = letters(client, job_id)
        assert set(printed) == {records[i].identifier for i in done}
        for account_id in done:
            record = records[account_id]
            assert printed[record.identifier] == accounts(servers.directory).provisional_password(record)
    return done
