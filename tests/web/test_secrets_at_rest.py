"""Secrets are not kept at rest: a row's new password (without JavaScript) and the recovery codes live sealed in
Redis for one showing and a minute at most, never in the session; and CSV downloads say their charset once."""
import re

import pytest
from redis import Redis

from directory.model import AccountState
from support import FILE_URL, csrf_token, run_action, through_the_proxy


def _session_bytes(client, redis_url) -> bytes:
    """The server-side session of `client` as Redis keeps it."""
    sid = client.get_cookie("sesame").value
    return Redis.from_url(redis_url).get(f"sesame:session:{sid}") or b""


def test_a_rows_new_password_without_javascript_is_shown_once_and_never_kept_in_the_session(
        client, make_account, app_config):
    redis = Redis.from_url(app_config["SESAME_REDIS_URL"])
    record, _ = make_account.student(AccountState.NOTIFIED)
    through_the_proxy(client)
    query = {"q": f"{record.given_name} {record.surname}"}
    token = csrf_token(client.get("/eleves", query_string=query).get_data(as_text=True))
    before = set(redis.scan_iter("sesame:once:*"))        # other tests' of the last minute
    answer = client.post(f"/eleves/{record.account_id}/reinitialisation", data={"csrf_token": token, **query})
    assert answer.status_code == 303
    kept = list(set(redis.scan_iter("sesame:once:*")) - before)
    assert len(kept) == 1 and 0 < redis.ttl(kept[0]) <= 60          # a minute at most, shown or not
    at_rest = redis.get(kept[0]) + _session_bytes(client, app_config["SESAME_REDIS_URL"])
    shown = client.get(answer.headers["Location"]).get_data(as_text=True)
    password = re.findall(r'<strong class="credential">([A-Z2-9]{8})</strong>', shown)[-1]
    assert password.encode() not in at_rest                         # sealed while it waits; not in the session
    assert not redis.exists(kept[0])                                # read once: gone
    assert password.encode() not in _session_bytes(client, app_config["SESAME_REDIS_URL"])
    assert "a bien été réinitialisé" in shown
    again = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "a bien été réinitialisé" not in again                   # a reload shows the list, not the message


def test_what_is_kept_for_its_showing_is_sealed_and_lapses_within_a_minute(app, app_config):
    from flask import session

    from webapp import once
    redis = Redis.from_url(app_config["SESAME_REDIS_URL"])
    with app.test_request_context():
        once.keep("just_reset", {"password": "PT4HUMM2"})
        key = f"sesame:once:{session['once:just_reset']}"
        assert b"PT4HUMM2" not in redis.get(key) and redis.ttl(key) <= once.SECONDS
        redis.delete(key)                          # as when the minute is over
        assert once.take("just_reset") is None


@pytest.mark.parametrize("url", ["/journal/export.csv", "/statistiques/classes.csv", "/statistiques/etablissements.csv"])
def test_csv_downloads_say_their_charset_once(signed_in, url):
    response = signed_in("admin.idt").get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"


def test_a_jobs_csv_list_and_report_say_their_charset_once(signed_in, worker, app_config, make_account):
    record, _ = make_account.student(AccountState.NOTIFIED)
    head = signed_in("chef.lp")
    token = csrf_token(head.get("/eleves").get_data(as_text=True))
    head.post("/eleves/selection/vider", data={"csrf_token": token})
    head.post("/eleves/selection", data={"csrf_token": token, "id": record.account_id, "ids": [record.account_id]})
    job, page = run_action(head, app_config["SESAME_REDIS_URL"], "/eleves/listes", {"csrf_token": token, "format": "csv"})
    for response in (head.get(FILE_URL.search(page).group(1)), head.get(f"/travaux/{job.id}/compte-rendu.csv")):
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
