"""Letter settings per establishment: stored on its entry, previewed as a PDF, used by its letter jobs and
by no other establishment's; refused inputs; two heads editing at once."""
import html
import re

import pytest

from directory.model import AccountState
from parametrage import letters_form, notify_one, own_settings, save_letters  # noqa: F401 - fixture too
from directory.delegations import PARIS
from support import FILE_URL, csrf_token, pdf_pages, run_action

LP, CLG = "0990002P", "0990001N"
CONTACT = "Mme Durand, secrétariat des élèves, bureau 12"


def _text(response) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_the_contact_line_changed_shows_in_the_preview_and_in_the_lps_letters_only(
        signed_in, app, worker, app_config, make_account, own_settings):
    lp = signed_in("chef.lp")
    response = save_letters(lp, letters_form(lp), contact=CONTACT)
    assert response.status_code == 303
    assert own_settings.read(LP).contact == CONTACT

    preview = lp.get("/parametrage/courriers/apercu")
    assert preview.status_code == 200 and preview.headers["Content-Type"] == "application/pdf"
    [page] = pdf_pages(preview.data)
    assert f"En cas de difficulté, contactez {CONTACT}." in " ".join(page.split())
    assert "EXEMPLE" in page and "LP Métiers Auguste Perret" in page

    student, _ = make_account.student(AccountState.NOT_NOTIFIED, uai=LP, surname="Réglages")
    [letter] = notify_one(lp, app_config, student.account_id)
    assert f"En cas de difficulté, contactez {CONTACT}." in " ".join(letter.split())

    clg = app.test_client()
    from support import sign_in
    assert sign_in(clg, "chef.clg").status_code == 302
    other, _ = make_account.student(AccountState.NOT_NOTIFIED, uai=CLG, class_code="6A", surname="Collège")
    [letter] = notify_one(clg, app_config, other.account_id)
    flat = " ".join(letter.split())
    assert CONTACT not in flat
    assert "En cas de difficulté, contactez le secrétariat de l'établissement." in flat


def test_signature_paragraph_and_address_of_the_establishment_replace_the_defaults_in_the_preview(
        signed_in, own_settings):
    lp = signed_in("chef.lp")
    response = save_letters(lp, letters_form(lp), signature_title="Le proviseur adjoint", signature_name="M. Paul Roux",
                     paragraph="Les comptes servent aussi pour Pronote.", activation_url="https://ent.example.org/sesame")
    assert response.status_code == 303
    flat = " ".join(pdf_pages(lp.get("/parametrage/courriers/apercu").data)[0].split())
    assert "Le proviseur adjoint M. Paul Roux" in flat
    assert "Les comptes servent aussi pour Pronote." in flat
    assert "https://ent.example.org/sesame" in flat
    assert "Karim Benali" not in flat.split("proviseur adjoint")[1]     # the head's name gave way


def test_with_nothing_stored_the_environment_defaults_are_the_letters(signed_in, own_settings):
    lp = signed_in("chef.lp")
    flat = " ".join(pdf_pages(lp.get("/parametrage/courriers/apercu").data)[0].split())
    assert "En cas de difficulté, contactez le secrétariat de l'établissement." in flat
    assert "La cheffe ou le chef d'établissement M. Karim Benali" in flat


@pytest.mark.parametrize("field, value, message", [
    ("contact", "x" * 10_000, "ne peut pas dépasser 200 caractères"),
    ("signature_name", "y" * 10_000, "ne peut pas dépasser 100 caractères"),
    ("paragraph", "<b>gras</b>", "< et >"),
    ("signature_title", "=1+1", "formule"),
    ("activation_url", "javascript:alert(1)", "adresse web"),
    ("contact", "\u200b=HYPERLINK(\"http://x\")", "formule"),
])
def test_a_refused_setting_says_why_in_french_with_a_400_and_stores_nothing(signed_in, own_settings, field, value,
                                                                             message):
    lp = signed_in("chef.lp")
    response = save_letters(lp, letters_form(lp), **{field: value})
    assert response.status_code == 400
    assert message in _text(response) and "Les réglages n'ont pas été enregistrés" in _text(response)
    assert own_settings.raw(LP) == ""


def test_two_heads_editing_at_once_the_second_is_told_and_the_first_change_stays(signed_in, app, own_settings):
    first = signed_in("chef.lp")
    from support import sign_in
    second = app.test_client()
    assert sign_in(second, "chef.lp").status_code == 302
    form_one, form_two = letters_form(first), letters_form(second)
    assert save_letters(first, form_one, contact="le bureau de la vie scolaire").status_code == 303
    response = save_letters(second, form_two, contact="l'accueil")
    assert response.status_code == 409
    assert "viennent d'être modifiés par quelqu'un d'autre" in _text(response)
    assert own_settings.read(LP).contact == "le bureau de la vie scolaire"
    # the page now shows what is stored: saved from it, the change goes through
    assert save_letters(second, letters_form(second), contact="l'accueil").status_code == 303
    assert own_settings.read(LP).contact == "l'accueil"


def test_a_delegate_and_another_head_cannot_change_the_lps_settings(signed_in, app, own_settings):
    from support import sign_in
    cpe = app.test_client()
    assert sign_in(cpe, "cpe.lp").status_code == 302            # the demo's « Droits du chef d'établissement »
    token = csrf_token(cpe.get("/eleves").get_data(as_text=True))
    assert cpe.post("/parametrage/courriers", data={"csrf_token": token, "contact": "x"}).status_code == 403
    assert cpe.get("/parametrage/courriers/apercu").status_code == 403
    assert own_settings.raw(LP) == ""


def test_the_letters_qr_code_opens_the_establishments_activation_address(signed_in, own_settings, worker, app_config,
                                                                         make_account):
    """zbarimg reads the QR code of a real letter: it opens the address the letter prints, the establishment's."""
    from support import qr_codes
    lp = signed_in("chef.lp")
    address = "https://ent.example.org/activation"
    assert save_letters(lp, letters_form(lp), activation_url=address).status_code == 303
    record, _ = make_account.student(AccountState.NOT_NOTIFIED)
    token = csrf_token(lp.get("/eleves").get_data(as_text=True))
    lp.post("/eleves/selection/vider", data={"csrf_token": token})
    lp.post("/eleves/selection", data={"csrf_token": token, "id": record.account_id, "ids": [record.account_id]})
    _, page = run_action(lp, app_config["SESAME_REDIS_URL"], "/eleves/notifications",
                         {"csrf_token": token, "notification": "courrier"})
    letters = lp.get(FILE_URL.search(page).group(1)).data
    assert address in " ".join(pdf_pages(letters)[0].split())
    assert qr_codes(letters) == [address]
    assert qr_codes(lp.get("/parametrage/courriers/apercu").data) == [address]


def test_the_preview_says_until_when_its_password_signs_in_as_real_letters_do(signed_in, own_settings):
    from datetime import datetime, timedelta
    flat = " ".join(pdf_pages(signed_in("chef.lp").get("/parametrage/courriers/apercu").data)[0].split())
    last = (datetime.now(PARIS) + timedelta(days=90)).date() - timedelta(days=1)
    assert "Ce mot de passe provisoire est valable jusqu'au" in flat
    assert f"{last.day} " in flat and str(last.year) in flat
