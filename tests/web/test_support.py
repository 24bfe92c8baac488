"""The dépannage module: what support staff see, the row reset, what they are refused, the guide."""
import html
import re

import ldap3
import pytest

from directory import attributes as A
from directory.model import AccountState
from directory.names import fold
from directory.search import AccountCriteria
from support import SSO_SECRET, binds, csrf_token

LP, CLG = "0990002P", "0990001N"
ROW = re.compile(r'<tr[^>]*>.*?</tr>', re.S)


@pytest.fixture
def support(client):
    response = client.get("/connexion/sso", headers={"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    assert response.status_code == 302
    return client


def _rows_by_identifier(page_html):
    rows = {}
    for row in ROW.findall(page_html):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        if len(cells) >= 8:
            rows[html.unescape(re.sub("<[^>]+>", "", cells[4])).strip()] = [
                html.unescape(re.sub("<[^>]+>", "", c)).strip() for c in cells]
    return rows


def test_support_lands_on_the_depannage_header_with_two_tabs_and_the_guide(support):
    page = support.get("/").get_data(as_text=True)
    assert "Dépannage des comptes élèves" in page
    assert "0990002P" in page and "LP Métiers Auguste Perret" in page
    assert "Nom du chef d'établissement : M. Karim Benali" in html.unescape(page)
    assert ">Accueil</a>" in page and ">Élèves</a>" in page and ">Responsables</a>" not in page
    assert "Accès au guide" in page


def test_the_table_shows_passwords_by_state_and_emails(support, demo_directory):
    page = support.get("/eleves?classe=1BTS1").get_data(as_text=True)
    for column in ("Sélectionner", "Élève", "Classe", "MEF", "Identifiant", "Mot de passe", "Statut du compte", "Email"):
        assert re.search(rf">{re.escape(column)}(<| <span)", page), column
    assert "Origine du compte" not in page
    rows = _rows_by_identifier(page)
    assert rows
    for identifier, cells in rows.items():
        password, state, mail = cells[5], cells[6], cells[7]
        if state == "Activé":
            assert password == "*****"
        elif state == "Notifié et non activé":
            assert re.fullmatch(r"[A-Z2-9]{8}", password)
        elif state == "Notifié et non activé expiré":
            assert password.startswith("expiré")            # a dead password is never shown (issue 24)
        else:
            assert password == "" and identifier == ""
        assert mail == "Non renseignée" or "@" in mail


def test_a_misspelled_accent_finds_the_student(support, demo_directory):
    found = demo_directory.search(demo_directory.base(A.STUDENTS),
                                  f"(&({A.UAI}={LP})({A.ACCOUNT_STATE}=NOTIFIED))", [A.SURNAME, A.GIVEN_NAME])
    accented = next(e for _, e in found if fold(e[A.SURNAME][0]) != e[A.SURNAME][0].lower().replace(" ", "")
                    and any(c in e[A.SURNAME][0] + e[A.GIVEN_NAME][0] for c in "éèëêïîöüçàÉ"))
    typed = accented[A.SURNAME][0].lower().translate(str.maketrans("éèëêïîöüçà", "eeeeiioucz"))
    page = support.get("/eleves", query_string={"q": typed}).get_data(as_text=True)
    assert accented[A.SURNAME][0].upper() in html.unescape(page)


def test_row_reset_shows_the_new_password_which_binds(support, demo_directory, slapd, make_account):
    account_id = make_account.student(AccountState.ACTIVE)[0].account_id
    token = csrf_token(support.get("/eleves").get_data(as_text=True))
    response = support.post(f"/eleves/{account_id}/reinitialisation", headers={"HX-Request": "true"},
                            data={"csrf_token": token})
    row = response.get_data(as_text=True)
    assert response.status_code == 200 and row.startswith("<tr") and "just-reset" in row
    assert "no-store" in response.headers["Cache-Control"]
    password = re.search(r'<td class="password">([A-Z2-9]{8})', row).group(1)
    assert "Notifié et non activé" in row
    dn, student = demo_directory.students.get(LP, account_id)
    conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), dn, password)
    assert conn.bind()
    conn.unbind()


def test_row_reset_without_javascript_comes_back_to_the_same_list_with_the_password_in_its_row(support, demo_directory,
                                                                                        slapd, make_account):
    account_id = make_account.student(AccountState.NOTIFIED)[0].account_id
    dn, student = demo_directory.students.get(LP, account_id)
    token = csrf_token(support.get("/eleves").get_data(as_text=True))
    posted = support.post(f"/eleves/{account_id}/reinitialisation",
                          data={"csrf_token": token, "q": student.surname})
    assert posted.status_code == 303            # post, then redirect: a reload never resets again
    response = support.get(posted.headers["Location"])
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]
    confirmation = re.search(r"Le mot de passe a bien été réinitialisé pour (.+?)\. Identifiant : "
                             r'<strong class="credential">(.+?)</strong>, mot de passe provisoire : '
                             r'<strong class="credential">([A-Z2-9]{8})</strong>', page)
    assert confirmation and confirmation.groups() == (student.display_name, student.identifier,
                                                       confirmation.group(3))
    password = confirmation.group(3)
    row = next(r for r in ROW.findall(page) if "just-reset" in r)
    assert student.identifier in row and f'<td class="password">{password} ' in row
    assert f'value="{student.surname}"' in page       # the same search, kept
    assert binds(slapd.ldap_url, dn, password)
    reloaded = html.unescape(support.get(posted.headers["Location"]).get_data(as_text=True))
    assert "Le mot de passe a bien été réinitialisé" not in reloaded      # said once
    assert binds(slapd.ldap_url, dn, password), "the reload changed nothing"


def test_support_is_refused_notify_other_establishments_settings_and_profiles(support, demo_directory):
    token = csrf_token(support.get("/eleves").get_data(as_text=True))
    assert support.get("/eleves/notifier").status_code == 403
    assert support.post("/eleves/notifications", data={"csrf_token": token}).status_code == 403
    assert support.post("/etablissement", data={"csrf_token": token, "uai": CLG}).status_code == 403
    assert support.get("/parametrage").status_code == 403
    clg_student = demo_directory.students.ids(CLG, AccountCriteria())[0]
    assert support.post(f"/eleves/{clg_student}/reinitialisation", data={"csrf_token": token}).status_code == 404
    assert support.post(f"/eleves/{clg_student}/reinitialisation", headers={"HX-Request": "true"},
                        data={"csrf_token": token}).status_code == 404
    assert support.get(f"/eleves/fiche/{clg_student}").status_code == 403
    assert support.post(f"/eleves/{clg_student}/reinitialisation").status_code == 400   # no CSRF


def test_the_guide_has_a_page_per_screen_linked_from_every_screen(support, signed_in):
    assert 'href="/aide/depannage">Accès au guide' in support.get("/eleves").get_data(as_text=True)
    assert support.get("/aide/depannage").status_code == 200
    assert support.get("/aide/notifier").status_code == 403
    assert support.get("/aide/inconnue").status_code == 404


def test_heads_read_their_guide_pages(signed_in):
    head = signed_in("chef.lp")
    for screen, page in (("/eleves", "eleves"), ("/eleves/notifier", "notifier"), ("/eleves/lister", "lister"),
                         ("/eleves/reinitialiser", "reinitialiser"), ("/travaux", "operations"), ("/", "sommaire")):
        assert f'href="/aide/{page}">Accès au guide' in head.get(screen).get_data(as_text=True), screen
        guide = head.get(f"/aide/{page}")
        assert guide.status_code == 200 and "<h1>" in guide.get_data(as_text=True)
    etats = head.get("/aide/etats").get_data(as_text=True)
    assert "Non notifié" in etats and "Notifié et non activé" in etats and "Activé" in etats
