"""A worker killed halfway through a job, then another started: every account notified exactly once."""
import os
import signal
import time

import ldap3
from redis import Redis

from directory.populations import STUDENTS
from directory import attributes as A
from directory.model import AccountState
from directory.passwords import Sealer
from directory.search import AccountCriteria
from devtools.slapd import terminate
from support import SEAL_KEY, start_worker, wait_for_job

LYC = "0990003R"
ACCOUNTS = 80


def _sealed(demo_directory, ids):
    found = demo_directory.search(demo_directory.base(A.STUDENTS),
                                  "(|" + "".join(f"({A.ACCOUNT_ID}={i})" for i in ids) + ")",
                                  [A.ACCOUNT_ID, A.UID, A.LAST_JOB, A.ACCOUNT_STATE])
    return {e[A.ACCOUNT_ID][0]: e for _, e in found}


def test_killing_the_worker_halfway_ends_with_every_account_notified_once(demo_directory, app_config, slapd):
    from webapp.jobs.store import DONE, JobStore
    from webapp.jobs.tasks import run_job
    from webapp.jobs.worker import queue

    # a Redis database of its own, so that the suite's worker does not take the job
    url = app_config["SESAME_REDIS_URL"].rsplit("/", 1)[0] + "/3"
    redis = Redis.from_url(url)
    redis.flushdb()
    ids = demo_directory.students.ids(LYC, AccountCriteria(states=(AccountState.NOT_NOTIFIED,)))[:ACCOUNTS]
    store = JobStore(redis, hold=3)
    job, _ = store.create("notify", "chef.lyc", LYC, "students", ids, {"letters": True, "reset": False})
    queue(redis).enqueue(run_job, job.id, job_timeout=600)

    # slow hashing (about 0.1 s a hash) so that there is a "halfway" to kill it at
    slow = start_worker(app_config, SESAME_REDIS_URL=url, SESAME_ARGON2_MEMORY_COST=65536,
                        SESAME_ARGON2_TIME_COST=3, SESAME_JOB_HOLD_SECONDS=3, SESAME_JOB_SWEEP_SECONDS=1)
    deadline = time.monotonic() + 60
    while store.progress(job.id) < ACCOUNTS // 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(slow.pid, signal.SIGKILL)
    slow.wait()
    done_before = store.progress(job.id)
    assert 0 < done_before < ACCOUNTS, "the job must be stopped halfway"
    before = {i: e for i, e in _sealed(demo_directory, ids).items() if e.get(A.LAST_JOB)}
    passwords_before = _passwords(demo_directory, list(before))

    second = start_worker(app_config, SESAME_REDIS_URL=url, SESAME_JOB_HOLD_SECONDS=3, SESAME_JOB_SWEEP_SECONDS=1)
    try:
        finished = wait_for_job(url, job.id, timeout=90)
    finally:
        terminate(second)
    assert finished.status == "finished"
    outcomes = store.outcomes(job.id)
    assert len(outcomes) == ACCOUNTS and all(outcome == DONE for outcome, _ in outcomes.values())
    after = _sealed(demo_directory, ids)
    assert all(e[A.ACCOUNT_STATE] == [AccountState.NOTIFIED.value] for e in after.values())
    assert all(len(e[A.UID]) == 1 and e[A.LAST_JOB] == [job.id] for e in after.values())
    # those done before the crash were not notified again: same identifier, same password
    accounts_read = _passwords(demo_directory, ids)
    for account_id, entry in before.items():
        assert after[account_id][A.UID] == entry[A.UID]
        assert accounts_read[account_id] == passwords_before[account_id]
    for account_id in list(ids)[:10]:
        dn, password = accounts_read[account_id]
        conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), dn, password)
        assert conn.bind()
        conn.unbind()


def _passwords(demo_directory, ids):
    from directory.accounts import Accounts
    accounts = Accounts(demo_directory, STUDENTS, None, Sealer(SEAL_KEY))
    return {i: (r.dn, accounts.provisional_password(r)) for i, r in accounts.read(LYC, ids).items()}
