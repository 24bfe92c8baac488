"""The provider's slapd killed with `kill -9` mid-notify: the report, read through the consumer while the provider is
down, says what the workers noted and names the accounts it cannot vouch for; once the provider is back it agrees
account by account with the job's marks in the directory, and « Relancer » finishes the job, nothing done twice."""
import csv
import html
import io
import os
import signal
import time

from redis import Redis

from directory.accounts import Accounts
from directory.passwords import Sealer
from directory.populations import STUDENTS
from directory.search import AccountCriteria
from webapp.jobs.store import JobStore
from support import JOB_URL, SEAL_KEY, confirmed, csrf_token, sign_in

LYC = "0990003R"


def _wait(condition, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"not within {timeout} s")


def _report(head, job_id) -> dict[str, tuple[str, str]]:
    response = head.get(f"/travaux/{job_id}/compte-rendu.csv")
    assert response.status_code == 200, response.status_code
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    return {row[3]: (row[4], row[5]) for row in rows[1:]}


def test_a_report_read_while_the_provider_is_down_after_kill_9_agrees_with_its_marks(servers, app):
    accounts = Accounts(servers.directory, STUDENTS, None, Sealer(SEAL_KEY))
    ids = sorted(servers.directory.students.ids(LYC, AccountCriteria()))[1000:1120]
    before = accounts.read(LYC, ids)
    status = lambda: JobStore(Redis.from_url(servers.config["SESAME_REDIS_URL"])).get(job_id).status  # noqa: E731
    servers.start_worker()
    head = app.test_client()
    assert sign_in(head, "chef.lyc").status_code == 302
    token = csrf_token(head.get("/eleves").get_data(as_text=True))
    for account_id in ids:
        head.post("/eleves/selection", data={"csrf_token": token, "id": account_id, "ids": [account_id]})
    posted = head.post("/eleves/notifications", data=confirmed(
        {"csrf_token": token, "notification": "sans-courrier", "reset_password": "y"}))
    job_id = JOB_URL.search(posted.headers["Location"]).group(1)
    _wait(lambda: len(accounts.marked(job_id)) >= 15)
    os.killpg(servers.provider.process.pid, signal.SIGKILL)
    servers.provider.process.wait()
    servers.provider.process = None
    try:
        _wait(lambda: status() == "failed", timeout=30)
        page = head.get(f"/travaux/{job_id}")
        assert page.status_code == 200, "the report is read through the consumer"
        text = html.unescape(page.get_data(as_text=True))
        assert "Interrompu" in text and "L'annuaire ne répond pas : ce compte rendu vient des notes" in text
        while_down = _report(head, job_id)
    finally:
        servers.provider.start()

    now = accounts.read(LYC, ids)
    marked = {i for i, record in now.items() if record.last_job == job_id}
    said = {i: result for i, (result, _) in while_down.items()}
    assert set(said) == set(ids) and 15 <= len(marked) < len(ids)
    doubtful = {i for i, result in said.items() if result == "Incertain"}
    for account_id in ids:
        if said[account_id] == "Fait":
            assert account_id in marked, account_id
        elif account_id in marked:
            assert account_id in doubtful, f"{account_id} carries the job's mark, the report said {said[account_id]}"
        else:
            assert now[account_id].sealed == before[account_id].sealed, f"{account_id}: said untouched, changed"
            assert now[account_id].state == before[account_id].state
    assert len(doubtful) <= 3 * (os.cpu_count() or 2), "only the writes under way are in doubt"
    assert all("en cours d'écriture quand l'annuaire s'est arrêté" in why
               for i, (result, why) in while_down.items() if i in doubtful)

    servers.wait_until_caught_up(30)
    back = {i: result for i, (result, _) in _report(head, job_id).items()}
    assert {i for i, result in back.items() if result == "Fait"} == marked, "once it answers, the marks decide"
    page = head.get(f"/travaux/{job_id}").get_data(as_text=True)
    assert head.post(f"/travaux/{job_id}/relancer", data={"csrf_token": csrf_token(page)}).status_code == 303
    _wait(lambda: status() == "finished")
    final = accounts.read(LYC, ids)
    assert all(record.last_job == job_id for record in final.values())
    assert all(final[i].sealed == now[i].sealed for i in marked), "an account done before the crash was done again"
    servers.stop_worker()
