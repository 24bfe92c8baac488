"""A student activates their account in Chromium, from the letter's password to a confirmed e-mail."""
import re

import pytest

from directory.populations import STUDENTS
from directory.accounts import Accounts
from directory.model import AccountState
from directory.passwords import Sealer
from directory.search import AccountCriteria
from support import SEAL_KEY, sign_in_page, wait_for_mail

pytestmark = pytest.mark.browser


def test_a_student_activates_their_account(page, live_server, demo_directory, mail_sink):
    accounts = Accounts(demo_directory, STUDENTS, None, Sealer(SEAL_KEY))
    account_id = demo_directory.students.ids("0990001N", AccountCriteria(states=(AccountState.NOTIFIED,)))[7]
    record = accounts.read_one("0990001N", account_id)
    provisional = accounts.provisional_password(record)
    _, student = demo_directory.students.get("0990001N", account_id)

    page.set_viewport_size({"width": 390, "height": 844})        # a phone
    sign_in_page(page, live_server, record.identifier, provisional, path="/compte/connexion")
    assert "au moins 8 caractères" in page.locator("#rules").inner_text()
    page.get_by_label("Nouveau mot de passe", exact=True).fill("mon chat aime 2026")
    page.get_by_label("Confirmez le nouveau mot de passe").fill("mon chat aime 2026")
    page.get_by_role("button", name="Valider").click()
    page.get_by_label("Date de naissance").fill(student.birth_date.isoformat())
    page.get_by_role("button", name="Valider").click()
    page.get_by_label("Adresse mail").fill(f"{record.identifier}@example.org")
    page.get_by_role("button", name="Enregistrer").click()
    assert "activé" in page.locator("main").inner_text()
    message = wait_for_mail(mail_sink, f"{record.identifier}@example.org")
    link = re.search(r"http://\S+(/compte/courriel/confirmer/\S+)", message.get_content()).group(1)
    page.goto(live_server + link)
    assert page.get_by_role("heading", name="Adresse mail confirmée").is_visible()
    assert demo_directory.students.get("0990001N", account_id)[1].state is AccountState.ACTIVE
