"""(Re)notify, reset and list through the web app and a real worker: letters read back, passwords bound."""
import csv
import html
import io
import re

import ldap3
import pytest
from redis import Redis

from directory.model import AccountState
from directory.search import AccountCriteria
from support import FILE_URL, JOB_URL, SSO_SECRET, confirmed, csrf_token, pdf_pages, run_action, wait_for_job

LP = "0990002P"


@pytest.fixture
def lp(signed_in, worker):
    return signed_in("chef.lp")


def _select(client, **criteria):
    page = client.get("/eleves", query_string=criteria).get_data(as_text=True)
    token = csrf_token(page)
    client.post("/eleves/selection/vider", data={"csrf_token": token})
    client.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1", **criteria})
    return token


def _run(client, app_config, url, data):
    return run_action(client, app_config["SESAME_REDIS_URL"], url, data)


def _download(client, page):
    response = client.get(FILE_URL.search(page).group(1))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    return response.data


def _list_csv(client, app_config, token):
    job, page = _run(client, app_config, "/eleves/listes", {"csrf_token": token, "format": "csv"})
    rows = list(csv.reader(io.StringIO(_download(client, page).decode("utf-8-sig")), delimiter=";"))
    return rows[0], {row[7]: row for row in rows[1:]}


def _bind_dn(demo_directory, identifier):
    found = demo_directory.search(demo_directory.base("ou=students"), f"(uid={identifier})", ["1.1"])
    return found[0][0]


def test_notify_a_class_with_letters_then_list_renotify_and_reset(lp, app_config, demo_directory, slapd):
    criteria = {"classe": "1BTS2", "etat": "non-notifie"}
    expected = demo_directory.students.ids(LP, AccountCriteria(classes=("1BTS2",),
                                                               states=(AccountState.NOT_NOTIFIED,)))
    assert expected
    token = _select(lp, **criteria)
    form = lp.get("/eleves/notifier").get_data(as_text=True)
    assert "Courrier individuel (PDF)" in form and "Sans courrier" in form
    assert "Réinitialiser le mot de passe" in form and f"<strong>{len(expected)}</strong>" in form

    job, page = _run(lp, app_config, "/eleves/notifications",
                     {"csrf_token": token, "notification": "courrier"})
    assert job.status == "finished"
    assert "Télécharger le courrier au format PDF" in page
    letters = pdf_pages(_download(lp, page))
    assert len(letters) == len(expected)
    printed = {}
    for text in letters:
        identifier = re.search(r"Identifiant : (\S+)", text).group(1)
        password = re.search(r"Mot de passe provisoire : ([A-Z0-9]{8})", text).group(1)
        assert "Le mot de passe est à modifier lors de la première connexion." in text
        assert "LP Métiers Auguste Perret" in text and "/compte/connexion" in text
        printed[identifier] = password
        conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), _bind_dn(demo_directory, identifier), password)
        assert conn.bind(), f"{identifier} does not bind with the printed password"
        conn.unbind()

    # the same students, listed as CSV, show the same passwords
    header, rows = _list_csv(lp, app_config, token)
    assert header == ["UAI", "Établissement", "Nom élève", "Prénom élève", "MEF", "Classe", "État du compte",
                      "Identifiant", "Mot de passe", "Date de notification", "Date de dernière connexion"]
    assert {identifier: row[8] for identifier, row in rows.items()} == printed
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", row[9]) for row in rows.values())

    # notifying them again keeps the passwords
    job, page = _run(lp, app_config, "/eleves/notifications", {"csrf_token": token, "notification": "courrier"})
    again = {re.search(r"Identifiant : (\S+)", t).group(1): re.search(r"provisoire : (\S+)", t).group(1)
             for t in pdf_pages(_download(lp, page))}
    assert again == printed

    # resetting gives new ones
    job, page = _run(lp, app_config, "/eleves/reinitialisations", {"csrf_token": token})
    assert "Le mot de passe a bien été réinitialisé pour les élève(s) sélectionné(s)" in page
    _, rows = _list_csv(lp, app_config, token)
    assert all(rows[i][8] != printed[i] and len(rows[i][8]) == 8 for i in printed)


def test_activated_accounts_are_listed_with_stars_and_get_letters_without_password(lp, app_config, demo_directory):
    token = _select(lp, classe="2AGORA", etat="active")
    _, rows = _list_csv(lp, app_config, token)
    assert rows and all(row[8] == "*****" and row[6] == "Compte activé" for row in rows.values())
    job, page = _run(lp, app_config, "/eleves/notifications", {"csrf_token": token, "notification": "courrier"})
    pages = pdf_pages(_download(lp, page))
    assert len(pages) == len(rows)
    assert all("Mot de passe provisoire" not in p and "déjà activé" in p for p in pages)
    assert job.status == "finished"


def test_pdf_list_has_a_section_per_class_and_the_table_head_on_every_page(lp, app_config):
    token = _select(lp, classe=["1BTS2", "2AGORA"])
    job, page = _run(lp, app_config, "/eleves/listes", {"csrf_token": token, "format": "pdf"})
    pages = pdf_pages(_download(lp, page))
    assert pages and all("Nom élève" in p and "Mot de passe" in p for p in pages)
    assert any("1BTS2" in p and "1ère année BTS" in p for p in pages)
    assert any("2AGORA" in p for p in pages)


def test_refusals_change_nothing(lp, app_config, demo_directory):
    page = lp.get("/eleves").get_data(as_text=True)
    token = csrf_token(page)
    lp.post("/eleves/selection/vider", data={"csrf_token": token})
    empty = lp.post("/eleves/notifications", data=confirmed({"csrf_token": token, "notification": "courrier"}))
    assert empty.status_code == 400
    assert "Aucun élève n'est sélectionné" in html.unescape(empty.get_data(as_text=True))
    assert lp.get("/eleves/notifications").status_code == 405
    assert lp.post("/eleves/reinitialisations").status_code == 400        # no CSRF token

    # a selection holding another establishment's student: the whole action is refused
    mine = demo_directory.students.ids(LP, AccountCriteria(states=(AccountState.NOT_NOTIFIED,)))[:2]
    foreign = demo_directory.students.ids("0990003R", AccountCriteria())[:1]
    for account_id in mine:
        lp.post("/eleves/selection", data={"csrf_token": token, "id": account_id, "ids": [account_id]})
    # a crafted request, or a student who moved school since being ticked: the foreign id is in the set
    redis = Redis.from_url(app_config["SESAME_REDIS_URL"])
    key = next(k for k in redis.scan_iter("sesame:selection:*") if k.endswith(b":0990002P:students"))
    redis.sadd(key, *foreign)
    refused = lp.post("/eleves/reinitialisations", data=confirmed({"csrf_token": token}))
    assert refused.status_code == 400
    assert "1 élève(s) qui ne sont pas de votre établissement" in html.unescape(refused.get_data(as_text=True))
    states = demo_directory.students.count_by_state(LP, mine)
    assert states[AccountState.NOT_NOTIFIED] == 2


def test_support_staff_reset_and_list_but_never_notify(client, worker):
    client.get("/connexion/sso", headers={"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    assert client.get("/eleves/notifier").status_code == 403
    assert client.post("/eleves/notifications", data={"csrf_token": token}).status_code == 403
    assert client.get("/eleves/reinitialiser").status_code == 200


def test_files_and_jobs_are_only_their_owners(lp, app, app_config):
    token = _select(lp, classe="1BTS2")
    job, page = _run(lp, app_config, "/eleves/listes", {"csrf_token": token, "format": "csv"})
    file_url = FILE_URL.search(page).group(1)
    other = app.test_client()
    from support import sign_in
    sign_in(other, "chef.clg")
    assert other.get(file_url).status_code == 404
    assert other.get(f"/travaux/{job.id}").status_code == 404
    assert lp.get("/travaux").status_code == 200 and job.id in lp.get("/travaux").get_data(as_text=True)


def test_a_reset_account_shows_no_last_sign_in_even_after_a_bind(lp, app_config, demo_directory, slapd):
    """pwdLastSuccess survives a reset and counts any bind, a service checking the provisional password
    included: « Notifié et non activé » shows no date of last sign-in, on screen or in the list."""
    active = [s for s in demo_directory.students.search(LP, AccountCriteria(states=(AccountState.ACTIVE,)),
                                                       page=2).items if s.last_login][0]
    token = csrf_token(lp.get("/eleves").get_data(as_text=True))
    reset = lp.post(f"/eleves/{active.account_id}/reinitialisation", data={"csrf_token": token})
    password = re.search(r'mot de passe provisoire : <strong class="credential">([A-Z2-9]{8})<',
                         lp.get(reset.headers["Location"]).get_data(as_text=True)).group(1)
    dn, _ = demo_directory.students.get(LP, active.account_id)
    assert ldap3.Connection(ldap3.Server(slapd.ldap_url), dn, password).bind()   # a service checks it
    found = demo_directory.search(dn, "(objectClass=*)", ["pwdLastSuccess"])
    assert found[0][1].get("pwdLastSuccess")          # slapd does keep a date of last bind ...
    page = lp.get("/eleves", query_string={"q": active.surname}).get_data(as_text=True)
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S) if active.account_id in r)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[5] == "Notifié et non activé" and cells[8] == ""      # ... the screen shows none
    token = _select(lp, q=active.surname)
    header, rows = _list_csv(lp, app_config, token)
    assert rows[active.identifier][6] == "Compte notifié et non activé" and rows[active.identifier][10] == ""


def test_renotifying_a_notified_student_says_the_password_was_kept_under_its_tab(lp, app_config, demo_directory):
    account_id = demo_directory.students.ids(LP, AccountCriteria(states=(AccountState.NOTIFIED,)))[11]
    token = csrf_token(lp.get("/eleves").get_data(as_text=True))
    lp.post("/eleves/selection/vider", data={"csrf_token": token})
    lp.post("/eleves/selection", data={"csrf_token": token, "id": account_id, "ids": [account_id]})
    job, page = _run(lp, app_config, "/eleves/notifications", {"csrf_token": token, "notification": "sans-courrier"})
    page = " ".join(html.unescape(page).split())
    assert job.status == "finished"
    assert "un compte déjà « Notifié et non activé » compté « Fait » a gardé son mot de passe provisoire" in page
    assert 'href="/eleves" aria-current="page">Élèves<' in page          # the job's tab stays highlighted
    assert lp.get("/travaux").status_code == 200


def test_renotifying_an_expired_provisional_password_prints_a_new_one_that_binds(signed_in, worker, app_config,
                                                                                 demo_directory, slapd):
    from directory.model import provisional_expired
    lyc = signed_in("chef.lyc")
    notified = demo_directory.students.ids("0990003R", AccountCriteria(states=(AccountState.NOTIFIED,)))
    expired = [i for i in notified
               if provisional_expired(AccountState.NOTIFIED, demo_directory.students.get("0990003R", i)[1]
                                      .password_changed, app_config.get("SESAME_PROVISIONAL_DAYS", 90))]
    assert expired, "the demo has expired provisional passwords at the lycée"
    target = expired[-1]
    _, student = demo_directory.students.get("0990003R", target)
    token = csrf_token(lyc.get("/eleves").get_data(as_text=True))
    lyc.post("/eleves/selection/vider", data={"csrf_token": token})
    lyc.post("/eleves/selection", data={"csrf_token": token, "id": target, "ids": [target]})
    job, page = _run(lyc, app_config, "/eleves/notifications", {"csrf_token": token, "notification": "courrier"})
    assert job.status == "finished"
    letter = pdf_pages(_download(lyc, page))[0]
    password = re.search(r"Mot de passe provisoire : ([A-Z0-9]{8})", letter).group(1)
    conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), _bind_dn(demo_directory, student.identifier), password)
    assert conn.bind(), "the letter's password signs in"
    conn.unbind()
    assert not provisional_expired(AccountState.NOTIFIED, demo_directory.students.get("0990003R", target)[1]
                                   .password_changed, 90)
