"""Letters families can use (issue 18): layouts, a second language, a QR code to the sign-in page,
until when the password is valid, and « Réimprimer » — rendered by wkhtmltopdf, read back with
pdftotext and zbarimg."""
import html
import re
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import pytest

from directory.model import AccountState
from support import FILE_URL, confirmed, csrf_token, pdf_pages, qr_codes, run_action

SIGN_IN = "http://127.0.0.1:5000/compte/connexion"      # SESAME_PUBLIC_URL's default, as the suite runs


@pytest.fixture
def lp(signed_in, worker):
    return signed_in("chef.lp")


def _select_only(client, account_ids, prefix="/eleves") -> str:
    """The selection of `prefix`'s screen emptied, then these accounts ticked one by one."""
    token = csrf_token(client.get(prefix).get_data(as_text=True))
    client.post(f"{prefix}/selection/vider", data={"csrf_token": token})
    for account_id in account_ids:
        client.post(f"{prefix}/selection", data={"csrf_token": token, "id": account_id, "ids": [account_id]})
    return token


def _job(client, app_config, url, data):
    return run_action(client, app_config["SESAME_REDIS_URL"], url, data)


def _pdf(client, page) -> bytes:
    response = client.get(FILE_URL.search(page).group(1))
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    return response.data


def plain(text: str) -> str:
    """pdftotext's Arabic as typed: presentation forms folded (NFKC), bidi controls and tatweel out."""
    text = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\u200e\u200f\u202a-\u202e\u0640]", "", text)


def test_two_per_sheet_with_english_beneath_and_a_qr_code_to_each_sign_in(lp, app_config, make_account):
    accounts = [make_account.student(AccountState.NOTIFIED, given=given) for given in ("Zoé", "Noé", "Inès")]
    token = _select_only(lp, [record.account_id for record, _ in accounts])
    job, page = _job(lp, app_config, "/eleves/notifications", {
        "csrf_token": token, "notification": "courrier", "layout": "2", "language": "en"})
    assert job.status == "finished" and job.options["layout"] == 2 and job.options["language"] == "en"
    pdf = _pdf(lp, page)

    pages = pdf_pages(pdf)
    assert len(pages) == 2                                 # three letters, two a sheet
    text = " ".join(" ".join(pages).split())
    assert text.count("Mise à disposition de votre compte Sésame") == 3
    assert text.count("Your Sésame account is ready") == 3
    assert text.count("You must change the password the first time you sign in.") == 3
    assert text.count("Ce mot de passe provisoire est valable jusqu'au") == 3
    assert text.count("This provisional password is valid until") == 3
    for record, password in accounts:
        assert record.identifier in text and password in text

    codes = qr_codes(pdf)
    assert sorted(codes) == sorted(f"{SIGN_IN}?identifiant={record.identifier}" for record, _ in accounts)
    for code, (record, password) in zip(sorted(codes), sorted(accounts, key=lambda a: a[0].identifier)):
        assert password not in code and "passe" not in code and "password" not in code


def test_four_per_sheet_puts_four_letters_on_a_page_and_a_fifth_on_the_next(lp, app_config, make_account):
    accounts = [make_account.student(AccountState.NOTIFIED) for _ in range(5)]
    token = _select_only(lp, [record.account_id for record, _ in accounts])
    job, page = _job(lp, app_config, "/eleves/notifications", {
        "csrf_token": token, "notification": "courrier", "layout": "4", "language": "pt"})
    pdf = _pdf(lp, page)
    pages = pdf_pages(pdf)
    assert [p.count("Mise à disposition de votre compte Sésame") for p in pages] == [4, 1]
    assert all(p.count("A sua conta Sésame está disponível") == p.count("Mise à disposition") for p in pages)
    assert len(qr_codes(pdf)) == 5


def test_an_arabic_letter_reads_right_to_left(lp, app_config, make_account):
    record, password = make_account.student(AccountState.NOTIFIED)
    token = _select_only(lp, [record.account_id])
    job, page = _job(lp, app_config, "/eleves/notifications", {
        "csrf_token": token, "notification": "courrier", "language": "ar"})
    pdf = _pdf(lp, page)
    sentence = "يجب تغيير كلمة المرور عند أول تسجيل دخول"
    assert sentence in " ".join(plain(pdf_pages(pdf)[0]).split())      # logical order: as it was written

    # and laid out right to left: pdftotext -bbox gives each glyph where it is drawn; read from the
    # right, the glyphs of the sentence's line spell it (read from the left, they would not)
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "l.pdf").write_bytes(pdf)
        subprocess.run(["pdftotext", "-bbox", "l.pdf", "glyphs.html"], cwd=folder, check=True)
        glyphs = re.findall(r'<word xMin="([\d.]+)" yMin="([\d.]+)"[^>]*>([^<]*)</word>',
                            Path(folder, "glyphs.html").read_text())
    lines: dict[int, list] = {}
    for x, y, glyph in glyphs:
        lines.setdefault(round(float(y)), []).append((float(x), plain(glyph)))
    from_the_left = ["".join(g for _, g in sorted(line)) for line in lines.values()]
    spelt = sentence.replace(" ", "")
    assert any(spelt in line[::-1] for line in from_the_left)
    assert not any(spelt in line for line in from_the_left)


def test_french_only_letter_has_no_second_language_and_says_until_when(lp, app_config, make_account):
    record, _ = make_account.student(AccountState.NOTIFIED)
    token = _select_only(lp, [record.account_id])
    job, page = _job(lp, app_config, "/eleves/notifications", {"csrf_token": token, "notification": "courrier"})
    text = " ".join(pdf_pages(_pdf(lp, page))[0].split())
    expected = record.password_changed.date().toordinal() + app_config.get("SESAME_PROVISIONAL_DAYS", 90) - 1
    from datetime import date
    from babel.dates import format_date
    assert f"valable jusqu'au {format_date(date.fromordinal(expected), 'long', locale='fr')} inclus" in text
    assert "Your Sésame account" not in text and "Hello" not in text


@pytest.mark.parametrize("field,value", [("layout", "3"), ("language", "de"), ("language", "<script>")])
def test_an_unknown_layout_or_language_is_refused_and_starts_nothing(lp, make_account, field, value):
    record, _ = make_account.student(AccountState.NOTIFIED)
    token = _select_only(lp, [record.account_id])
    response = lp.post("/eleves/notifications", data=confirmed({
        "csrf_token": token, "notification": "courrier", field: value}))
    assert response.status_code == 400
    assert "Le formulaire n'est pas valide" in html.unescape(response.get_data(as_text=True))
    after = make_account.accounts.read_one("0990002P", record.account_id)
    assert (after.notification_date, after.sealed, after.last_job) == (record.notification_date, record.sealed,
                                                                       record.last_job)


def test_the_qr_codes_address_fills_in_the_identifier_and_never_a_password(client):
    page = client.get("/compte/connexion?identifiant=zoe.martin2&password=PT4HUMM2&mot_de_passe=PT4HUMM2")
    body = page.get_data(as_text=True)
    assert page.status_code == 200
    assert re.search(r'<input[^>]*name="identifier"[^>]*value="zoe.martin2"', body)
    assert re.search(r'<input[^>]*autofocus[^>]*name="password"|<input[^>]*name="password"[^>]*autofocus', body)
    assert "PT4HUMM2" not in body


@pytest.mark.parametrize("value", ['"><script>x</script>', "a" * 200, "zoé martin", ""])
def test_an_identifier_that_is_not_one_is_not_filled_in(client, value):
    body = client.get("/compte/connexion", query_string={"identifiant": value}).get_data(as_text=True)
    assert not re.search(r'name="identifier"[^>]*value="[^"]+"', body)
    assert "<script>x" not in body


def _entry_csn(slapd, dn: str) -> str:
    import ldap3
    from support import SERVICE_DN, SERVICE_PASSWORD
    conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), SERVICE_DN, SERVICE_PASSWORD, auto_bind=True)
    try:
        conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["entryCSN"])
        return str(conn.entries[0].entryCSN)
    finally:
        conn.unbind()


def test_reprint_makes_the_letters_again_for_the_accounts_still_notified_and_writes_nothing(
        lp, app_config, make_account, demo_directory, slapd):
    from directory.holders import Holders
    from directory.passwords import PasswordHasher
    from support import ARGON2
    accounts = [make_account.student(AccountState.NOTIFIED) for _ in range(3)]
    token = _select_only(lp, [record.account_id for record, _ in accounts])
    job, page = _job(lp, app_config, "/eleves/notifications", {"csrf_token": token, "notification": "courrier"})
    assert "Réimprimer" in page
    first = " ".join(" ".join(pdf_pages(_pdf(lp, page))).split())
    (kept, kept_password), (also, also_password), (activated, activated_password) = accounts
    assert all(password in first for _, password in accounts)
    # one of them signs in and chooses a password: it is no longer « Notifié et non activé »
    holders = Holders(demo_directory, PasswordHasher(*ARGON2))
    holders.choose_password(holders.by_dn(activated.dn), activated_password, "Choisi-par-moi-2026")
    before = {r.dn: (_entry_csn(slapd, r.dn), make_account.accounts.read_one("0990002P", r.account_id))
              for r in (kept, also)}

    reprint, page = _job(lp, app_config, f"/travaux/{job.id}/reimprimer", {
        "csrf_token": csrf_token(page), "layout": "4", "language": "es"})
    assert reprint.kind == "reprint" and reprint.status == "finished"
    pdf = _pdf(lp, page)
    pages = pdf_pages(pdf)
    assert len(pages) == 1                                   # four a sheet: the two letters on one page
    text = " ".join(" ".join(pages).split())
    assert text.count("Mise à disposition de votre compte Sésame") == 2
    assert text.count("Su cuenta Sésame está disponible") == 2
    assert kept_password in text and also_password in text   # the same passwords, read from their seal
    assert activated.identifier not in text
    assert sorted(qr_codes(pdf)) == sorted(f"{SIGN_IN}?identifiant={r.identifier}" for r in (kept, also))
    assert "Ce compte n&#39;est plus « Notifié et non activé »" in page      # the third, and why
    for record in (kept, also):                               # nothing written to the accounts
        csn, read = before[record.dn]
        assert _entry_csn(slapd, record.dn) == csn
        assert make_account.accounts.read_one("0990002P", record.account_id) == read


def test_reprint_is_a_post_of_the_jobs_owner(lp, app, app_config, make_account):
    from support import sign_in
    record, _ = make_account.student(AccountState.NOTIFIED)
    token = _select_only(lp, [record.account_id])
    job, page = _job(lp, app_config, "/eleves/notifications", {"csrf_token": token, "notification": "courrier"})
    assert lp.get(f"/travaux/{job.id}/reimprimer").status_code == 405
    assert lp.post(f"/travaux/{job.id}/reimprimer", data=confirmed({"layout": "1"})).status_code == 400  # no CSRF
    other = app.test_client()
    assert sign_in(other, "chef.lyc").status_code == 302
    token = csrf_token(other.get("/eleves").get_data(as_text=True))
    assert other.post(f"/travaux/{job.id}/reimprimer", data=confirmed({"csrf_token": token})).status_code == 404


def _guardians(demo_directory):
    from directory.accounts import Accounts
    from directory.passwords import PasswordHasher, Sealer
    from directory.populations import GUARDIANS
    from support import ARGON2, SEAL_KEY
    return Accounts(demo_directory, GUARDIANS, PasswordHasher(*ARGON2), Sealer(SEAL_KEY))


def test_a_parents_language_is_kept_on_the_account_and_used_for_their_next_letter(
        lp, app_config, make_account, demo_directory):
    child, _ = make_account.student(AccountState.NOTIFIED)
    spanish = make_account.guardian(child.dn, language="es")
    plain_french = make_account.guardian(child.dn)
    token = _select_only(lp, [spanish.account_id, plain_french.account_id], "/responsables")
    form = html.unescape(lp.get("/responsables/notifier").get_data(as_text=True))
    assert "Langue enregistrée de chaque responsable" in form and "Retenir cette langue pour ces responsables" in form

    # each letter in the language kept on its account, French alone where none is
    job, page = _job(lp, app_config, "/responsables/notifications", {
        "csrf_token": token, "notification": "courrier", "language": "compte"})
    pages = [" ".join(p.split()) for p in pdf_pages(_pdf(lp, page))]
    by_name = {next(r.surname for r in (spanish, plain_french) if r.surname in p): p for p in pages}
    assert "Su cuenta Sésame está disponible" in by_name[spanish.surname]
    assert "Su cuenta" not in by_name[plain_french.surname] and "Your Sésame" not in by_name[plain_french.surname]
    accounts = _guardians(demo_directory)
    assert accounts.read_one("0990002P", plain_french.account_id).language == ""

    # « Retenir cette langue »: Arabic kept on both, then their letters come in Arabic by themselves
    job, page = _job(lp, app_config, "/responsables/notifications", {
        "csrf_token": token, "notification": "courrier", "language": "ar", "keep_language": "y"})
    assert {accounts.read_one("0990002P", r.account_id).language for r in (spanish, plain_french)} == {"ar"}
    job, page = _job(lp, app_config, "/responsables/notifications", {
        "csrf_token": token, "notification": "courrier", "language": "compte"})
    assert all("يجب تغيير كلمة المرور" in plain(p) for p in pdf_pages(_pdf(lp, page)))


def test_students_are_not_offered_a_language_kept_on_the_account(lp, make_account):
    record, _ = make_account.student(AccountState.NOTIFIED)
    _select_only(lp, [record.account_id])
    form = html.unescape(lp.get("/eleves/notifier").get_data(as_text=True))
    assert "Langue du courrier" in form and "Français et arabe (العربية) en dessous" in form
    assert "Langue enregistrée" not in form and "Retenir cette langue" not in form
