"""A head lists two accounts of their own as CSV in Chromium: the job page follows the chunked job to
« Terminé » by itself, a reload shows the same report, and without JavaScript the page says the same; right after
« Confirmer » it says « En attente » only after a real wait, and offers « Relancer » only when no worker can take it."""
import os
import re
import signal
import threading
import time

import pytest

from directory.model import AccountState
from support import sign_in_page

pytestmark = pytest.mark.browser


def _head_lists(page, live_server, surname, javascript=True, signed_in=False):
    if not signed_in:
        sign_in_page(page, live_server, "chef.lp")
    page.goto(f"{live_server}/eleves?q={surname}")
    boxes = page.locator("table.accounts tbody input[type=checkbox]").all()
    assert boxes, "the head's own accounts are found"
    for box in boxes:
        box.check()
    if javascript:
        page.locator("#selection-counter strong").filter(has_text=re.compile(rf"^{len(boxes)}$")).wait_for()
    else:
        page.get_by_role("button", name="Mettre à jour la sélection").click()
    page.get_by_role("link", name="Lister les comptes").click()
    page.get_by_label("CSV").check()
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_url(re.compile(r".*/travaux/[0-9a-f]{32}$"))


def test_a_list_job_page_reaches_its_report_by_itself_and_after_a_reload(page, live_server, make_account, worker):
    surname = "Navigateurlist"
    for given in ("Alix", "Basile"):
        make_account.student(AccountState.NOT_NOTIFIED, given=given, surname=surname)
    _head_lists(page, live_server, surname.lower())
    page.get_by_role("link", name="Télécharger la liste au format CSV").wait_for(timeout=30_000)
    assert "Terminé" in page.locator("#job").inner_text()
    assert "2 / 2 compte(s) traité(s)" in page.locator("#job").inner_text()
    page.reload()
    assert "Terminé" in page.locator("#job").inner_text()
    assert page.get_by_role("link", name="Télécharger la liste au format CSV").count() == 1


def test_without_javascript_the_job_page_shows_its_report_on_reload(page_without_javascript, live_server,
                                                                   make_account, worker):
    page = page_without_javascript
    surname = "Sansjavascript"
    make_account.student(AccountState.NOT_NOTIFIED, given="Camille", surname=surname)
    _head_lists(page, live_server, surname.lower(), javascript=False)
    for _ in range(60):
        if "Terminé" in page.locator("#job").inner_text():
            break
        page.wait_for_timeout(500)
        page.reload()
    assert "1 / 1 compte(s) traité(s)" in page.locator("#job").inner_text()
    assert page.get_by_role("link", name="Télécharger la liste au format CSV").count() == 1


@pytest.fixture
def own_queue(app_config, demo_directory):
    """A live server on a Redis database of this test's own, that the suite's worker does not serve: the test says
    when a worker is alive there, and when it is busy with another job."""
    from redis import Redis
    from werkzeug.serving import make_server

    from webapp import create_app
    url = app_config["SESAME_REDIS_URL"].rsplit("/", 1)[0] + "/6"
    Redis.from_url(url).flushdb()
    server = make_server("127.0.0.1", 0, create_app({**app_config, "SESAME_REDIS_URL": url}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    Redis.from_url(url).flushdb()


def _html(page) -> str:
    """The page as it is now (a page that loads itself again may be between two loads)."""
    for _ in range(20):
        try:
            return page.content()
        except Exception:   # noqa: BLE001 - navigating: asked again a moment later
            page.wait_for_timeout(100)
    return page.content()


def test_a_job_page_never_offers_relancer_while_a_worker_is_alive_and_refreshes_without_javascript(
        page, page_without_javascript, own_queue, app_config, make_account):
    """Right after « Confirmer », while the one worker alive finishes someone else's long job: « En cours », then
    « En attente » behind the other jobs, never « Relancer »; without JavaScript the page loads itself again (a meta
    refresh while the job runs, none once it is over). With no worker alive, the page says so after the wait and
    offers « Relancer »."""
    from redis import Redis
    from rq import Queue

    from devtools.slapd import terminate
    from faults.helpers import descendants
    from support import start_worker
    url, server = own_queue
    surname = "Attentejob"
    for given in ("Ambre", "Bruno"):
        make_account.student(AccountState.NOT_NOTIFIED, given=given, surname=surname)
    connection = Redis.from_url(url)
    worker = start_worker(app_config, SESAME_REDIS_URL=url)
    try:
        deadline = time.monotonic() + 30
        while not list(connection.scan_iter("sesame:worker:alive:*")) and time.monotonic() < deadline:
            time.sleep(0.1)
        # another person's long job, ended by the test once both pages said they wait behind it (a fixed length
        # would race the two sign-ins: the pages must see it still running after GRACE)
        other = Queue("sesame", connection=connection).enqueue(time.sleep, 120, job_timeout=180)
        while other.get_status() != "started" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert other.get_status() == "started"

        _head_lists(page, server, surname.lower())
        _head_lists(page_without_javascript, server, surname.lower(), javascript=False)
        for seen in (page, page_without_javascript):
            first = _html(seen)
            assert "Relancer l'opération" not in first and "L'opération démarre" in first
            assert re.search(r'<noscript><meta http-equiv="refresh" content="\d+"></noscript>', first)
        said = set()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = [_html(page), _html(page_without_javascript)]     # the one without JavaScript is never reloaded here
            assert not any("Relancer l'opération" in text for text in now), "« Relancer » while a worker is alive"
            said.update(state for text in now for state in re.findall(r'data-wait="([a-z-]+)"', text))
            if other.get_status() == "started" and all('data-wait="behind"' in text for text in now):
                for horse in descendants(worker.pid):      # the other job's work horse: the worker goes on
                    os.kill(horse, signal.SIGKILL)
            if all("Télécharger la liste au format CSV" in text for text in now):
                break
            page.wait_for_timeout(250)
        assert said >= {"starting", "behind"}, said
        for seen in (page, page_without_javascript):
            over = _html(seen)
            assert "Terminé" in over and "2 / 2 compte(s) traité(s)" in over
        assert 'http-equiv="refresh"' not in _html(page_without_javascript), "a finished job's page loads no more"

        terminate(worker)
        assert worker.returncode == 0
        _head_lists(page, server, surname.lower(), signed_in=True)
        assert "Relancer l'opération" not in _html(page)
        page.get_by_text("aucun n'est en marche pour le moment").wait_for(timeout=20_000)
        assert "En attente d'un serveur de traitement" in _html(page)
        assert page.get_by_role("button", name="Relancer l'opération").count() == 1
    finally:
        terminate(worker)
