"""A head lists two accounts of their own as CSV in Chromium: the job page follows the chunked job to
« Terminé » by itself, a reload shows the same report, and without JavaScript the page says the same."""
import re

import pytest

from directory.model import AccountState

pytestmark = pytest.mark.browser


def _head_lists(page, live_server, surname, javascript=True):
    page.goto(live_server + "/connexion")
    page.get_by_label("Identifiant").fill("chef.lp")
    page.get_by_label("Mot de passe").fill("demo-sesame-2026")
    page.get_by_role("button", name="Se connecter").click()
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
