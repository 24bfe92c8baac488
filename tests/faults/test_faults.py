"""Faults done for real mid-job — slapd, the worker and Redis killed, a modify's answer lost, a
confirmation posted twice — each ending with the report, the letters and the directory agreeing."""
import html
import re
import signal

from redis import Redis

from directory import audit

from faults.helpers import (LYC, accounts, assert_agreement, head_of_lyc, job_status, make_app, marked, report,
                      snapshot, start_job, students, wait_until)
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

    # nobody holds it: the page says so, and « Relancer » is offered
    wait_until(lambda: not Redis.from_url(servers.config["SESAME_REDIS_URL"]).exists(f"sesame:job:{job_id}:lock"),
               timeout=10)
    page = html.unescape(client.get(f"/travaux/{job_id}").get_data(as_text=True))
    assert "En attente d'un serveur de traitement" in page and "Relancer l'opération" in page, \
        page[page.find('<section id="job"'):][:1500]
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
    servers = fresh
    app = make_app(servers.config)
    client = head_of_lyc(app)
    assert client.get("/eleves").status_code == 200
    import time
    time.sleep(1.5)            # the append-only file is flushed every second
    servers.kill_redis(signal.SIGTERM)
    try:
        for url, headers in (("/eleves", {}), ("/eleves", {"HX-Request": "true"}), ("/travaux", {})):
            down = client.get(url, headers=headers)
            assert down.status_code == 503, (url, down.status_code)
            assert "Service momentanément indisponible" in html.unescape(down.get_data(as_text=True))
        stranger = app.test_client()
        assert stranger.get("/connexion").status_code == 503
        assert stranger.post("/connexion", data={"uid": "chef.lyc", "password": "x"}).status_code == 503
    finally:
        servers.redis.start()
    assert client.get("/eleves").status_code == 200, "the session is still valid once Redis is back"


def test_redis_killed_mid_job_the_worker_waits_and_the_job_ends_right(fresh):
    servers = fresh
    client, ids, before, worker, job_id = _job_under_way(servers, 300)
    servers.kill_redis()
    import time
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
