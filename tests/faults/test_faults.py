"""Faults done for real mid-job — slapd, the worker and Redis killed, a modify's answer lost, a
confirmation posted twice — each ending with the report, the letters and the directory agreeing."""
import html
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis

from directory import audit

from faults.helpers import (LYC, accounts, assert_agreement, head_of_lyc, job_status, letters, make_app, marked,
                           report, snapshot, start_job, students, wait_until)
from faults.ldap_proxy import LdapProxy
from support import binds, confirmed, csrf_token

NOTIFY_WITH_RESET = {"notification": "courrier", "reset_password": "y"}


def _job_under_way(servers, start: int, count: int = 120):
    """chef.lyc notifies `count` students with letters and reset, on a worker of its own; returned
    once the directory holds at least ten of its marks: halfway, to break something."""
    client = head_of_lyc(make_app(servers.config))
    ids = students(servers.directory, start, count)
    before = snapshot(servers.directory, ids)
    worker = servers.start_worker()
    job_id = start_job(client, ids, data=NOTIFY_WITH_RESET)
    wait_until(lambda: len(marked(servers.directory, job_id)) >= 10)
    return client, ids, before, worker, job_id


def test_slapd_killed_mid_job_the_report_names_every_account_it_changed(fresh):
    servers = fresh
    client, ids, before, _, job_id = _job_under_way(servers, 0)
    servers.kill_slapd()
    wait_until(lambda: job_status(servers.config, job_id) == "failed", timeout=30)
    servers.slapd.start()

    page = html.unescape(client.get(f"/travaux/{job_id}").get_data(as_text=True))
    assert "Interrompu" in page and "Relancer l'opération" in page
    done = assert_agreement(servers, client, job_id, ids, before)
    assert 10 <= len(done) < len(ids)
    seals = _seals_at(servers, done)

    token = csrf_token(page)
    assert client.post(f"/travaux/{job_id}/relancer", data={"csrf_token": token}).status_code == 303
    wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=60)
    finished = assert_agreement(servers, client, job_id, ids, before, with_letters=True)
    assert finished == set(ids)
    # those done before the crash kept the password they were given then
    now = snapshot(servers.directory, ids)
    assert all(now[i][4] == seals[i] for i in done)


def _seals_at(servers, ids):
    return {i: r.sealed for i, r in accounts(servers.directory).read(LYC, ids).items()}


def test_a_worker_killed_then_the_resumed_job_killed_again_never_stays_running(fresh):
    servers = fresh
    client, ids, before, first, job_id = _job_under_way(servers, 120)
    servers.kill(first)
    after_first = _seals_at(servers, marked(servers.directory, job_id))

    # nobody holds it, nobody takes it up: after the time a sweeper would take, the page says so, offers « Relancer »
    wait_until(lambda: not Redis.from_url(servers.config["SESAME_REDIS_URL"]).exists(f"sesame:job:{job_id}:lock"),
               timeout=10)
    page = wait_until(lambda: (lambda text: text if "Relancer l'opération" in text else None)(
        html.unescape(client.get(f"/travaux/{job_id}").get_data(as_text=True))), timeout=20, every=0.5)
    assert "En attente d'un serveur de traitement" in page, page[page.find('<section id="job"'):][:1500]
    assert client.post(f"/travaux/{job_id}/relancer", data={"csrf_token": csrf_token(page)}).status_code == 303

    second = servers.start_worker()
    wait_until(lambda: len(marked(servers.directory, job_id)) >= len(after_first) + 10)
    servers.kill(second)
    after_second = _seals_at(servers, marked(servers.directory, job_id))
    servers.start_worker()     # its sweeper takes the job up by itself
    wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=60)

    done = assert_agreement(servers, client, job_id, ids, before, with_letters=True)
    assert done == set(ids)
    final = _seals_at(servers, ids)
    assert all(final[i] == after_second[i] for i in after_second), "an account was done twice"
    assert all(final[i] == after_first[i] for i in after_first)


def test_a_lost_answer_to_a_modify_is_read_back_not_sent_again(fresh):
    servers = fresh
    proxy = LdapProxy(servers.slapd.port, lose=lambda n: n % 7 == 1)    # the 1st, 8th, 15th... answer
    try:
        through = dict(servers.config, SESAME_LDAP_URL=proxy.url)
        app = make_app(through)
        client = head_of_lyc(app)

        # one row's reset whose answer is lost: the row shows the password that was set
        row_id = students(servers.directory, 240, 1)[0]
        token = csrf_token(client.get("/eleves").get_data(as_text=True))
        lost_before = proxy.lost
        posted = client.post(f"/eleves/{row_id}/reinitialisation", data={"csrf_token": token})
        assert proxy.lost == lost_before + 1, "the proxy was to lose this modify's answer"
        assert posted.status_code == 303, posted.get_data(as_text=True)
        response = client.get(posted.headers["Location"])
        record = accounts(servers.directory).read(LYC, [row_id])[row_id]
        password = accounts(servers.directory).provisional_password(record)
        assert password in response.get_data(as_text=True)
        assert binds(servers.slapd.ldap_url, record.dn, password)

        ids = students(servers.directory, 250, 40)
        before = snapshot(servers.directory, ids)
        servers.start_worker(SESAME_LDAP_URL=proxy.url)
        job_id = start_job(client, ids, data=NOTIFY_WITH_RESET)
        wait_until(lambda: job_status(servers.config, job_id) in ("finished", "failed"), timeout=60)
        assert job_status(servers.config, job_id) == "finished"
        assert proxy.lost >= 5
        records = accounts(servers.directory).read(LYC, ids + [row_id])
        sent = {dn.lower(): n for dn, n in proxy.modifies.items()}
        assert all(sent[r.dn.lower()] == 1 for r in records.values()), "a modify was sent twice"
        done = assert_agreement(servers, client, job_id, ids, before, with_letters=True, bind_sample=40)
        assert done == set(ids)
    finally:
        proxy.close()


def test_redis_away_pages_answer_503_in_french_and_the_session_survives(fresh):
    """Every address of the app, asked as a page and as an HTMX fragment, by a signed-in head and by someone who just
    loaded the sign-in form, with each's CSRF token when it posts (a staff sign-in among them): « Service
    momentanément indisponible » (503), as the README says, never a 400 nor a 500."""
    servers = fresh
    app = make_app(servers.config)
    client = head_of_lyc(app)
    assert client.get("/eleves").status_code == 200
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    stranger = app.test_client()
    stranger_token = csrf_token(stranger.get("/connexion").get_data(as_text=True))
    addresses = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint != "static":
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: "0" * 32 if "id" in m.group(1) else "x", rule.rule)
            addresses += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    time.sleep(1.5)            # the append-only file is flushed every second
    servers.kill_redis(signal.SIGTERM)
    refused = []
    try:
        for who, asking, its_token in (("head", client, token), ("stranger", stranger, stranger_token)):
            for method, path in addresses:
                form = {"csrf_token": its_token, "uid": "chef.lyc", "password": "demo-sesame-2026"}
                for headers in ({}, {"HX-Request": "true"}):
                    down = asking.open(path, method=method, data=form if method == "POST" else None, headers=headers)
                    said = html.unescape(down.get_data(as_text=True))
                    if down.status_code != 503 or "Service momentanément indisponible" not in said:
                        refused.append((who, method, path, headers, down.status_code))
    finally:
        servers.redis.start()
    assert len(addresses) > 50 and not refused
    assert client.get("/eleves").status_code == 200, "the session is still valid once Redis is back"


def test_redis_killed_mid_job_the_worker_waits_and_the_job_ends_right(fresh):
    servers = fresh
    client, ids, before, worker, job_id = _job_under_way(servers, 300)
    servers.kill_redis()
    time.sleep(2)
    assert worker.poll() is None, "the worker waits for Redis instead of quitting"
    servers.redis.start()
    wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=60)
    assert worker.poll() is None
    done = assert_agreement(servers, client, job_id, ids, before, with_letters=True)
    assert done == set(ids)


def test_a_job_whose_record_was_lost_is_found_again_from_the_directory(fresh):
    servers = fresh
    client, ids, before, worker, job_id = _job_under_way(servers, 420)
    servers.kill(worker)
    # worse than a crash within the second the append-only file may lose: every record of it gone
    connection = Redis.from_url(servers.config["SESAME_REDIS_URL"])
    connection.delete(*connection.keys(f"sesame:job:{job_id}*"))
    connection.srem("sesame:jobs:open", job_id)
    connection.lrem("sesame:jobs:chef.lyc", 0, job_id)
    assert audit.job_trace(servers.directory, job_id).state == audit.OPEN

    listed = html.unescape(client.get("/travaux").get_data(as_text=True))
    assert f"/travaux/{job_id}" in listed
    page = html.unescape(client.get(f"/travaux/{job_id}").get_data(as_text=True))
    assert "Le suivi de cette opération a été perdu" in page
    assert_agreement(servers, client, job_id, ids, before)
    servers.start_worker()
    assert client.post(f"/travaux/{job_id}/relancer", data={"csrf_token": csrf_token(page)}).status_code == 303
    wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=60)
    done = assert_agreement(servers, client, job_id, ids, before, with_letters=True)
    assert done == set(ids)
    assert audit.job_trace(servers.directory, job_id).state == audit.CLOSED


def test_the_same_confirmation_posted_twice_makes_one_job(fresh):
    servers = fresh
    app = make_app(servers.config)
    client = head_of_lyc(app)
    ids = students(servers.directory, 540, 5)
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    client.post("/eleves/selection/vider", data={"csrf_token": token})
    for account_id in ids:
        client.post("/eleves/selection", data={"csrf_token": token, "id": account_id, "ids": [account_id]})
    form = client.get("/eleves/notifier").get_data(as_text=True)
    confirmation = re.search(r'name="confirmation" type="hidden" value="([^"]+)"|'
                             r'id="confirmation" name="confirmation" type="hidden" value="([^"]+)"', form)
    assert confirmation, form
    data = {"csrf_token": token, "notification": "courrier", "reset_password": "y",
            "confirmation": confirmation.group(1) or confirmation.group(2)}
    first = client.post("/eleves/notifications", data=data)
    second = client.post("/eleves/notifications", data=data)
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    connection = Redis.from_url(servers.config["SESAME_REDIS_URL"])
    assert connection.llen("sesame:jobs:chef.lyc") == 1
    other = client.post("/eleves/notifications", data=confirmed({k: v for k, v in data.items() if k != "confirmation"}))
    assert other.headers["Location"] != first.headers["Location"], "a new confirmation is a new job"


def test_a_holders_password_change_whose_answer_is_lost_is_not_told_a_conflict(fresh):
    """The new password's stamp on the entry says the change applied: no second modify, no
    « votre mot de passe provisoire a changé » for a change that worked."""
    from directory.model import AccountState, provisional_expired
    servers = fresh
    losing = {"on": False}
    proxy = LdapProxy(servers.slapd.port, lose=lambda n: losing["on"])
    try:
        app = make_app(dict(servers.config, SESAME_LDAP_URL=proxy.url))
        chosen = "Un-mot-de-passe-2026"
        notified = [r for r in accounts(servers.directory).read(LYC, students(servers.directory, 600, 200)).values()
                    if r.state is AccountState.NOTIFIED
                    and not provisional_expired(r.state, r.password_changed, 90)]
        record = notified[0]
        provisional = accounts(servers.directory).provisional_password(record)
        holder = app.test_client()

        def post(url, data):
            token = csrf_token(holder.get(url).get_data(as_text=True))
            return holder.post(url, data={"csrf_token": token, **data})
        assert post("/compte/connexion", {"identifier": record.identifier, "password": provisional}).status_code == 302
        losing["on"] = True
        done = post("/compte/mot-de-passe", {"password": chosen, "confirm": chosen})
        losing["on"] = False
        assert proxy.lost == 1, "the proxy was to lose that modify's answer"
        assert done.status_code == 302 and done.headers["Location"] == "/compte/naissance", \
            html.unescape(done.get_data(as_text=True))[:2000]
        assert binds(servers.slapd.ldap_url, record.dn, chosen)
        assert {dn.lower(): n for dn, n in proxy.modifies.items()}[record.dn.lower()] == 1
    finally:
        proxy.close()


# --- the letters and the document under races and faults (issue 24, item 11) ---------------------------------------

REAL_WKHTMLTOPDF = shutil.which("wkhtmltopdf")
SLOW_PRINTER = """#!/bin/sh
# wkhtmltopdf slowed down while {flag} exists (a loaded machine): the letters are printed well after their writes
[ -e '{flag}' ] && sleep 4
exec {real} "$@"
"""
HANGING_PRINTER = """#!/bin/sh
# a wkhtmltopdf that hangs while {flag} exists, waiting on a child of its own as a wrapper would
echo $$ >> '{pids}'
if [ -e '{flag}' ]; then sleep 3600 & echo $! >> '{pids}'; wait; fi
exec {real} "$@"
"""


def _faulty_printer(tmp_path, script: str) -> dict:
    """A PATH whose wkhtmltopdf is `script`, put in front of the real one: the fault, not a mock of it."""
    folder = tmp_path / "bin"
    folder.mkdir()
    fake = folder / "wkhtmltopdf"
    fake.write_text(script)
    fake.chmod(0o755)
    return {"PATH": f"{folder}:{os.environ['PATH']}"}


def _relancer(client, job_id, config, timeout=60):
    page = client.get(f"/travaux/{job_id}").get_data(as_text=True)
    assert client.post(f"/travaux/{job_id}/relancer", data={"csrf_token": csrf_token(page)}).status_code == 303
    wait_until(lambda: job_status(config, job_id) == "finished", timeout=timeout)


def test_a_notify_with_letters_racing_row_resets_prints_only_passwords_that_bind(fresh, tmp_path):
    """Before the letters are joined, each is checked against the directory: those reset meanwhile are set aside
    and named, and every password the document prints signs in (read back with pdftotext, bound on slapd)."""
    servers = fresh
    client = head_of_lyc(make_app(servers.config))
    ids = students(servers.directory, 800, 40)
    flag = tmp_path / "slow"
    flag.touch()
    servers.start_worker(environment=_faulty_printer(tmp_path, SLOW_PRINTER.format(flag=flag, real=REAL_WKHTMLTOPDF)))
    job_id = start_job(client, ids, data=NOTIFY_WITH_RESET)
    wait_until(lambda: len(marked(servers.directory, job_id)) == len(ids))
    # every account written, its letter being printed: meanwhile five of them are reset row by row
    raced = ids[3:8]
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    for account_id in raced:
        assert client.post(f"/eleves/{account_id}/reinitialisation", data={"csrf_token": token}).status_code == 303
    assert job_status(servers.config, job_id) == "running", "the resets were to race the letters, not follow them"
    flag.unlink()
    wait_until(lambda: job_status(servers.config, job_id) == "finished")

    records = accounts(servers.directory).read(LYC, ids)
    printed = letters(client, job_id)
    assert set(printed) == {records[i].identifier for i in ids if i not in raced}
    by_identifier = {r.identifier: r for r in records.values()}
    for identifier, password in printed.items():
        assert binds(servers.slapd.ldap_url, by_identifier[identifier].dn, password), identifier
    page = html.unescape(client.get(f"/travaux/{job_id}").get_data(as_text=True))
    assert "Courriers écartés" in page
    named = page[page.index("Courriers écartés"):]
    named = named[:named.index("</ul>")]
    assert named.count("<li>") == len(raced)
    for account_id in raced:
        assert f"{records[account_id].surname.upper()} {records[account_id].given_name} :" in named


def test_a_letters_job_whose_wkhtmltopdf_hangs_ends_in_french_and_relancer_finishes_it(fresh, tmp_path):
    """Every wkhtmltopdf is bounded (SESAME_PRINT_SECONDS): the hung one is killed with what it started, the piece
    and then the whole document fail, the job ends « Interrompu » saying why; « Relancer » makes the letters."""
    servers = fresh
    client = head_of_lyc(make_app(servers.config))
    ids = students(servers.directory, 840, 8)
    before = snapshot(servers.directory, ids)
    flag, pids = tmp_path / "hang", tmp_path / "pids"
    flag.touch()
    pids.touch()
    script = HANGING_PRINTER.format(flag=flag, pids=pids, real=REAL_WKHTMLTOPDF)
    servers.start_worker(environment=_faulty_printer(tmp_path, script), SESAME_PRINT_SECONDS=2)
    try:
        job_id = start_job(client, ids, data=NOTIFY_WITH_RESET)
        wait_until(lambda: job_status(servers.config, job_id) == "failed", timeout=40)
        page = html.unescape(client.get(f"/travaux/{job_id}").get_data(as_text=True))
        assert "L'impression du document n'a pas abouti : le programme d'impression ne répondait plus" in page
        assert "Relancer l'opération" in page
        hung = [int(pid) for pid in pids.read_text().split()]
        assert len(hung) >= 4, "the fault was to be met, for the piece and for the whole document"
        assert not [pid for pid in hung if _running(pid)], "a hung wkhtmltopdf, or the child it waits on, still runs"
        assert assert_agreement(servers, client, job_id, ids, before) == set(ids)

        flag.unlink()
        _relancer(client, job_id, servers.config)
        assert assert_agreement(servers, client, job_id, ids, before, with_letters=True) == set(ids)
    finally:
        for pid in [int(pid) for pid in pids.read_text().split()]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def _running(pid: int) -> bool:
    """Whether that process still runs (a zombie waiting for its reaper does not)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _small_folder(folder, size: str) -> None:
    """A tmpfs of `size` mounted on `folder` (root, or sudo without a password, as `make test` runs)."""
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    subprocess.run([*sudo, "mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder)], check=True)


def test_a_full_files_folder_ends_the_job_interrupted_in_french_and_deletes_the_begun_letters(fresh, tmp_path):
    """SESAME_FILES_DIR on a 256 KB tmpfs filled up: the letters cannot be kept, the job ends « Interrompu » saying
    why, and nothing of the letters (they hold passwords) is left in the folder; with room again, « Relancer »."""
    servers = fresh
    folder = tmp_path / "files"
    folder.mkdir()
    _small_folder(folder, "256k")
    try:
        stats = os.statvfs(folder)
        room = 8192
        (folder / "filler").write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - room))
        config = dict(servers.config, SESAME_FILES_DIR=str(folder))
        client = head_of_lyc(make_app(config))
        ids = students(servers.directory, 850, 6)
        before = snapshot(servers.directory, ids)
        servers.start_worker(SESAME_FILES_DIR=str(folder))
        job_id = start_job(client, ids, data=NOTIFY_WITH_RESET)
        wait_until(lambda: job_status(servers.config, job_id) == "failed", timeout=40)
        page = html.unescape(client.get(f"/travaux/{job_id}").get_data(as_text=True))
        assert "Le serveur n'a plus de place pour enregistrer le document" in page
        assert "ce qui en était déjà écrit a été effacé aussitôt" in page and "Relancer l'opération" in page
        assert [p.name for p in folder.iterdir()] == ["filler"], "a begun letters file was left behind"
        assert assert_agreement(servers, client, job_id, ids, before) == set(ids)

        (folder / "filler").unlink()
        _relancer(client, job_id, servers.config)
        assert assert_agreement(servers, client, job_id, ids, before, with_letters=True) == set(ids)
        kept = [p for p in folder.iterdir()]
        assert len(kept) == 1 and kept[0].stat().st_size > room, "the letters did not fit in the room left before"
    finally:
        subprocess.run([*([] if os.geteuid() == 0 else ["sudo", "-n"]), "umount", str(folder)], check=False)


def test_a_worker_asked_to_stop_mid_job_hands_its_chunk_back_and_another_finishes_it(fresh):
    """SIGTERM (a deployment, make run's Ctrl-C, a test's teardown): the worker stops at its chunk's next account
    instead of finishing the whole job first; the job is not failed, and another worker finishes it, nothing twice."""
    servers = fresh
    client, ids, before, worker, job_id = _job_under_way(servers, 900, count=160)
    worker.terminate()
    worker.wait(30)
    assert worker.returncode == 0
    assert job_status(servers.config, job_id) == "running", "the worker finished the whole job before it stopped"
    handed_back = _seals_at(servers, marked(servers.directory, job_id))
    assert len(handed_back) < len(ids)
    servers.start_worker()
    wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=60)
    assert assert_agreement(servers, client, job_id, ids, before, with_letters=True) == set(ids)
    final = _seals_at(servers, ids)
    assert all(final[i] == handed_back[i] for i in handed_back), "an account was done twice"


# --- upgrades without a stop (issue 30, item 4) -------------------------------------------------------------------

def _worker_of_format(servers, format: int, **overrides):
    """A worker of a later version, simulated: this code, saying it writes and reads the jobs' format `format`."""
    code = f"import webapp.jobs.formats as f; f.FORMAT = {format}; from webapp.jobs.worker import main; main()"
    return servers.start_worker(command=[sys.executable, "-c", code], **overrides)


def _alive(config) -> list[dict]:
    from webapp.health import presences
    return list(presences(Redis.from_url(config["SESAME_REDIS_URL"])).values())


def test_a_job_of_a_newer_format_is_left_to_a_newer_worker_never_failed_by_an_older_one(fresh, monkeypatch):
    """Two versions side by side: the web node and one worker of the next version (jobs' format 2), one worker of this
    one (format 1). The older worker, idle, never receives the new job — not from the queue, not from its sweeper —
    which waits for the newer worker and is finished by it; a job of this version's format is taken by either."""
    from webapp.jobs import formats
    servers = fresh
    older = servers.start_worker(SESAME_JOB_CHUNK=20)
    wait_until(lambda: any(p.get("format") == formats.FORMAT for p in _alive(servers.config)), timeout=30)
    monkeypatch.setattr(formats, "FORMAT", formats.FORMAT + 1)        # this test's web node: the next version
    client = head_of_lyc(make_app(servers.config, SESAME_JOB_CHUNK=20))
    ids = students(servers.directory, 1100, 60)
    before = snapshot(servers.directory, ids)
    job_id = start_job(client, ids, data=NOTIFY_WITH_RESET)
    time.sleep(3)       # the older worker is idle: had it received the job, it would have begun
    assert job_status(servers.config, job_id) == "queued" and not marked(servers.directory, job_id)

    newer = _worker_of_format(servers, formats.FORMAT, SESAME_JOB_CHUNK=20)
    wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=60)
    done_by = Redis.from_url(servers.config["SESAME_REDIS_URL"]).hgetall(f"sesame:job:{job_id}:chunks-done")
    assert len(done_by) == 3 and {w.decode().rsplit(":", 1)[1] for w in done_by.values()} == {str(newer.pid)}
    assert assert_agreement(servers, client, job_id, ids, before, with_letters=True) == set(ids)

    monkeypatch.setattr(formats, "FORMAT", formats.FORMAT - 1)        # a web node of this version, meanwhile
    ids = students(servers.directory, 1160, 5)
    before = snapshot(servers.directory, ids)
    job_id = start_job(client, ids, kind="reset")
    wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=60)
    assert assert_agreement(servers, client, job_id, ids, before) == set(ids)
    assert older.poll() is None and newer.poll() is None
