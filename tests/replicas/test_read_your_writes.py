"""Through the web app on a provider and a lagging consumer: who acted sees it on the next page, others once
the consumer catches up; a consumer that stops is skipped; a provider that stops stops only the writes."""
import html
import os
import re
import signal
import time

import pytest

from directory.model import AccountState
from webapp.replicas import MARK
from support import (AccountFactory, JOB_URL, confirmed, csrf_token, own_staff_member, remove_entry, sign_in,
                     wait_for_job)

LP = "0990002P"
OTHER_HEAD, OTHER_PASSWORD = "chef.lp.adjoint", "Adjoint-LP-2026!"
_PROFILE_STATE = re.compile(r"<dt>Statut du compte</dt><dd><span[^>]*></span>([^<{]+?)(?:\s*<|$)")


@pytest.fixture
def accounts(servers):
    with AccountFactory(servers.directory) as factory:
        yield factory


@pytest.fixture
def other_head(servers):
    """A second head of the LP, who did nothing: what the consumer shows everybody."""
    dn = own_staff_member(servers.directory, OTHER_HEAD, OTHER_PASSWORD)
    yield
    remove_entry(servers.directory, dn)


def _signed_in(app, uid, password="demo-sesame-2026"):
    client = app.test_client()
    response = sign_in(client, uid, password)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def _state_on_profile(client, account_id) -> str:
    response = client.get(f"/eleves/fiche/{account_id}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return _PROFILE_STATE.search(response.get_data(as_text=True)).group(1).strip()


def _select(client, record):
    page = client.get("/eleves", query_string={"q": record.surname}).get_data(as_text=True)
    assert record.account_id in page
    token = csrf_token(page)
    client.post("/eleves/selection/vider", data={"csrf_token": token})
    client.post("/eleves/selection", data={"csrf_token": token, "id": record.account_id, "ids": record.account_id})
    return token


def test_a_heads_notify_is_on_their_next_page_while_the_consumer_lags_then_on_everybodys(
        servers, app, accounts, other_head):
    record, _ = accounts.student(AccountState.NOT_NOTIFIED)
    servers.wait_until_caught_up()        # the student and the second head are on the consumer
    head, other = _signed_in(app, "chef.lp"), _signed_in(app, OTHER_HEAD, OTHER_PASSWORD)
    token = _select(head, record)
    servers.stop_worker()                 # the job waits: the consumer catches up with the confirmation
    response = head.post("/eleves/notifications", data=confirmed({"csrf_token": token,
                                                                  "notification": "sans-courrier"}))
    assert response.status_code == 303, response.get_data(as_text=True)
    job_page = response.headers["Location"]
    servers.wait_until_caught_up()
    assert head.get(job_page).status_code == 200
    servers.link.hold()                   # from here the consumer hears nothing of the provider
    try:
        servers.start_worker()            # the job's writes happen while the consumer lags
        job = wait_for_job(servers.config["SESAME_REDIS_URL"], JOB_URL.search(job_page).group(1))
        assert job.status == "finished"
        assert _state_on_profile(head, record.account_id) == AccountState.NOTIFIED.label
        assert record.account_id in head.get("/eleves", query_string={"q": record.surname, "etat": "notifie"}
                                             ).get_data(as_text=True)
        # the consumer really lags: whoever did not act still reads it there, as it was
        assert _state_on_profile(other, record.account_id) == AccountState.NOT_NOTIFIED.label
    finally:
        servers.link.release()
    servers.wait_until_caught_up()
    assert _state_on_profile(other, record.account_id) == AccountState.NOTIFIED.label
    assert _state_on_profile(head, record.account_id) == AccountState.NOTIFIED.label


def test_a_row_reset_is_on_the_next_page_of_who_did_it_while_the_consumer_lags(servers, app, accounts, other_head):
    record, _ = accounts.student(AccountState.NOT_NOTIFIED)
    servers.wait_until_caught_up()
    head, other = _signed_in(app, "chef.lp"), _signed_in(app, OTHER_HEAD, OTHER_PASSWORD)
    token = csrf_token(head.get("/eleves").get_data(as_text=True))
    servers.link.hold()
    try:
        response = head.post(f"/eleves/{record.account_id}/reinitialisation", data={"csrf_token": token},
                             headers={"HX-Request": "true"})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert _state_on_profile(head, record.account_id) == AccountState.NOTIFIED.label
        assert _state_on_profile(other, record.account_id) == AccountState.NOT_NOTIFIED.label
    finally:
        servers.link.release()
    with head.session_transaction() as session:
        assert session.get(MARK)                  # the head still reads from the provider
    servers.wait_until_caught_up()
    assert _state_on_profile(other, record.account_id) == AccountState.NOTIFIED.label
    assert _state_on_profile(head, record.account_id) == AccountState.NOTIFIED.label
    with head.session_transaction() as session:
        assert MARK not in session                # caught up: back to the consumer like everybody


def test_killing_the_consumer_leaves_searches_and_sign_in_working(servers, app):
    head = _signed_in(app, "chef.lp")
    servers.kill_consumer()
    page = head.get("/eleves", query_string={"q": "martin"})
    assert page.status_code == 200
    assert "élève(s)" in page.get_data(as_text=True) and "MARTIN" in page.get_data(as_text=True).upper()
    assert _signed_in(app, "chef.lyc").get("/eleves").status_code == 200


def test_a_consumer_that_stops_answering_is_skipped_after_one_slow_answer(servers, app):
    head = _signed_in(app, "chef.lp")
    os.killpg(servers.consumer.process.pid, signal.SIGSTOP)   # alive, listening, silent
    try:
        assert head.get("/eleves").status_code == 200          # waits for the timeout once, then the provider
        started = time.monotonic()
        assert head.get("/eleves", query_string={"q": "martin"}).status_code == 200
        assert time.monotonic() - started < 1.5                 # skipped: not asked again meanwhile
    finally:
        os.killpg(servers.consumer.process.pid, signal.SIGCONT)


def test_with_the_provider_stopped_writes_answer_503_in_french_and_reads_go_on(servers, app, accounts):
    record, _ = accounts.student(AccountState.NOT_NOTIFIED)
    servers.wait_until_caught_up()
    head = _signed_in(app, "chef.lp")
    token = csrf_token(head.get("/eleves").get_data(as_text=True))
    servers.provider.stop()
    try:
        search = head.get("/eleves", query_string={"q": record.surname})
        assert search.status_code == 200 and record.account_id in search.get_data(as_text=True)
        assert _state_on_profile(head, record.account_id) == AccountState.NOT_NOTIFIED.label
        refused = head.post(f"/eleves/{record.account_id}/reinitialisation", data={"csrf_token": token})
        assert refused.status_code == 503
        text = html.unescape(refused.get_data(as_text=True))
        assert "Service momentanément indisponible" in text and "aucune modification n'a été faite" in text
    finally:
        servers.provider.start()
    assert accounts.accounts.read_one(LP, record.account_id).state is AccountState.NOT_NOTIFIED


def _on_consumer(servers):
    """The delegations as the consumer alone has them."""
    from dataclasses import replace

    from directory.delegations import Delegations
    from directory.repository import Directory
    return Delegations(Directory(replace(servers.directory.settings, url=servers.consumer.ldap_url, read_urls=())))


def test_with_the_consumer_held_back_an_ended_delegation_refuses_the_delegates_very_next_request(
        servers, app, accounts):
    from datetime import datetime, timezone

    from directory.delegations import Delegations
    from parametrage import grant
    record, _ = accounts.student(AccountState.NOTIFIED)
    head = _signed_in(app, "chef.lp")
    assert grant(head, "secretariat.lp", "SUPPORT").status_code == 303
    delegations = Delegations(servers.directory)
    try:
        servers.wait_until_caught_up()
        delegate = _signed_in(app, "secretariat.lp")
        page = delegate.get("/eleves")
        assert page.status_code == 200
        token = csrf_token(page.get_data(as_text=True))
        running, = [d for d in delegations.of_establishment(LP) if d.delegate == "secretariat.lp"
                    and d.active(datetime.now(timezone.utc))]
        servers.link.hold()
        try:
            asked = head.get(f"/parametrage/delegations/{running.id}/fin")
            ended = head.post(f"/parametrage/delegations/{running.id}/fin",
                              data={"csrf_token": csrf_token(asked.get_data(as_text=True))})
            assert ended.status_code == 303
            assert _on_consumer(servers).roles_of("secretariat.lp") == {LP: running.kind.role}, "the consumer lags"
            refused = delegate.post(f"/eleves/{record.account_id}/reinitialisation", data={"csrf_token": token},
                                    headers={"HX-Request": "true"})
            assert refused.status_code == 401, refused.get_data(as_text=True)
            assert delegate.get("/eleves").status_code == 302
        finally:
            servers.link.release()
        assert accounts.accounts.read_one(LP, record.account_id).sealed == record.sealed   # no reset went through
    finally:
        for d in delegations.of_establishment(LP):
            if d.delegate == "secretariat.lp":
                dn = f"cn={d.id},sesameUAI={LP},ou=establishments,{servers.directory.suffix}"
                servers.directory.writes.run(lambda conn, dn=dn: conn.delete(dn))
