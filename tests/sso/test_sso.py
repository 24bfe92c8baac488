"""Holders sign in to a school service through the SSO engine (LemonLDAP::NG) on Sésame's directory, and the
directory's rules about an account hold there as in Sésame: the issue's « Must show », sentence by sentence."""
import csv
import html
import io
import re
from datetime import date, datetime, timedelta, timezone

import ldap3
import pytest

from directory import attributes as A
from directory.errors import ValidationFailed
from directory.holders import Holders, check_rules
from directory.mapping import first, parse_time
from directory.migrations import sso_dn
from directory.model import AccountState
from directory.registry.leavers import LEAVER_LOCK
from sso.holder import (ACCOUNT_LOCKED, BAD_CREDENTIALS, BIRTH_DATE_REFUSED, CHANGE_AFTER_RESET, INVISIBLE,
                        NAMES_IN_PASSWORD, PASSWORD_CHANGED, SAME_AS_PROVISIONAL, TOO_SHORT, Holder)
from support import (ARGON2, FILE_URL, SUFFIX, AccountFactory, confirmed, csrf_token, locked_in_directory,
                     remove_entry, run_action, wait_until)

LP, LYC = "0990002P", "0990003R"
BIRTH = "2008-04-12"        # AccountFactory's students are born that day


def _signed_in_to_service(sso, holder: Holder):
    """The holder opens the service, signs in at the SSO; the service's page once back, and its claims."""
    page = holder.sign_in(holder.go(f"{sso.service.url}connexion"))
    return page, holder.http.get(f"{sso.service.url}moi.json").json()


def _entry(directory, dn: str, attributes) -> dict:
    found = directory.search(dn, "(objectClass=*)", attributes, ldap3.BASE)
    return found[0][1] if found else {}


def test_an_activated_student_signs_in_and_the_service_receives_the_released_attributes(sso, make_account,
                                                                                       demo_directory):
    record, password = make_account.student(AccountState.ACTIVE)
    demo_directory.writes.run(lambda conn: conn.modify(record.dn, {A.EXTERNAL_UAI: [(ldap3.MODIFY_ADD, [LYC])]}))
    page, claims = _signed_in_to_service(sso, Holder(record.identifier, password))
    assert page.url == sso.service.url and f"Bonjour Camille {record.surname}" in html.unescape(page.text)
    assert claims["sub"] == record.account_id and claims["preferred_username"] == record.identifier
    assert (claims["given_name"], claims["family_name"]) == ("Camille", record.surname)
    assert claims["role"] == "élève" and claims["etablissements"] == [LP, LYC]
    assert (claims["classe"], claims["mef"]) == (AccountFactory.LP_CLASS, AccountFactory.LP_MEF)
    assert not {"enfants", "birthdate", "email", "ine", "sesameINE"} & set(claims)


def test_a_parents_released_attributes_name_their_children(sso, make_account, demo_directory):
    child, _ = make_account.student(AccountState.ACTIVE)
    other_child, _ = make_account.student(AccountState.NOT_NOTIFIED, uai=LYC)
    parent = make_account.guardian(child.dn)
    demo_directory.writes.run(lambda conn: conn.modify(parent.dn, {
        A.CHILD: [(ldap3.MODIFY_ADD, [other_child.dn])], A.UAI: [(ldap3.MODIFY_ADD, [LYC])]}))
    password = _activated_guardian(demo_directory, make_account, parent)
    page, claims = _signed_in_to_service(sso, Holder(parent.identifier or _uid(demo_directory, parent.dn), password))
    assert page.url == sso.service.url
    assert claims["role"] == "responsable" and claims["sub"] == parent.account_id
    assert sorted(claims["enfants"]) == sorted([child.account_id, other_child.account_id])
    assert sorted(claims["etablissements"]) == [LP, LYC]
    assert "classe" not in claims and "mef" not in claims


def _uid(directory, dn):
    return str(_entry(directory, dn, [A.UID])[A.UID][0])


def _activated_guardian(directory, factory, parent) -> str:
    """The parent notified (a provisional password), then activated in Sésame: their chosen password."""
    from directory.accounts import Accounts
    from directory.lifecycle import notify
    from directory.passwords import Sealer
    from directory.populations import GUARDIANS
    from support import SEAL_KEY
    accounts = Accounts(directory, GUARDIANS, factory.hasher, Sealer(SEAL_KEY))
    provisional = accounts.apply(parent, notify(parent.state), "test-parent").password
    holders = Holders(directory, factory.hasher)
    chosen = "Parent-Choisi-2026"
    holders.choose_password(holders.by_dn(parent.dn), provisional, chosen)
    return chosen


def _list_csv(client, redis_url, surname):
    token = csrf_token(client.get("/eleves").get_data(as_text=True))
    client.post("/eleves/selection/vider", data={"csrf_token": token})
    client.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1", "q": surname})
    _, page = run_action(client, redis_url, "/eleves/listes", {"csrf_token": token, "format": "csv"})
    content = client.get(FILE_URL.search(page).group(1)).data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(content), delimiter=";"))


def test_a_notified_student_chooses_a_password_at_the_sso_and_sesame_shows_it_activated(
        sso, follower, worker, make_account, demo_directory, signed_in, app_config):
    record, provisional = make_account.student(AccountState.NOTIFIED)
    holder = Holder(record.identifier, provisional)
    page = holder.sign_in(holder.go(f"{sso.service.url}connexion"))
    assert page.form == "formpass" and CHANGE_AFTER_RESET in page.messages     # made to choose first
    page = holder.choose_password(page, "Nouvel-Horizon-42", birth_date=BIRTH)
    assert page.form == "lform" and PASSWORD_CHANGED in page.messages
    chosen_at = datetime.now(timezone.utc)
    page = Holder(record.identifier, "Nouvel-Horizon-42", holder.http).sign_in(page)
    assert page.url == sso.service.url and "Bonjour" in page.text                # then reaches the service
    # no page of Sésame opened: the follower alone makes the account « Activé », within a minute
    entry = wait_until(lambda: (e := _entry(demo_directory, record.dn, [A.ACCOUNT_STATE, A.SEALED_PASSWORD,
                                                                         A.ACTIVATION_DATE]))
                        and e[A.ACCOUNT_STATE] == ["ACTIVE"] and e)
    assert not entry.get(A.SEALED_PASSWORD)
    assert abs(parse_time(first(entry[A.ACTIVATION_DATE])) - chosen_at) < timedelta(minutes=1)
    head = signed_in("chef.lp")
    results = html.unescape(head.get("/eleves", query_string={"q": record.surname}).get_data(as_text=True))
    row = next(r for r in results.split("<tr") if record.surname.upper() in r)
    assert "Activé" in row and "Notifié et non activé" not in row
    profile = html.unescape(head.get(f"/eleves/fiche/{record.account_id}").get_data(as_text=True))
    today = chosen_at.astimezone().strftime("%d/%m/%Y")
    assert re.search(rf"<dt>Date d'activation</dt><dd>{today}</dd>", profile)
    rows = _list_csv(head, app_config["SESAME_REDIS_URL"], record.surname)
    listed = next(r for r in rows[1:] if r[7] == record.identifier)
    assert listed[6] == "Compte activé" and listed[8] == "*****" and provisional not in "".join(sum(rows, []))


def test_a_student_reset_by_the_head_is_asked_for_a_new_password_at_the_next_sso_sign_in(sso, make_account,
                                                                                         signed_in):
    record, chosen = make_account.student(AccountState.ACTIVE)
    head = signed_in("chef.lp")
    token = csrf_token(head.get("/eleves").get_data(as_text=True))
    reset = head.post(f"/eleves/{record.account_id}/reinitialisation", data={"csrf_token": token})
    provisional = re.search(r'mot de passe provisoire : <strong class="credential">([A-Z2-9]{8})<',
                            head.get(reset.headers["Location"]).get_data(as_text=True)).group(1)
    refused = Holder(record.identifier, chosen)
    assert BAD_CREDENTIALS in refused.sign_in(refused.go(f"{sso.service.url}connexion")).messages
    holder = Holder(record.identifier, provisional)
    page = holder.sign_in(holder.go(f"{sso.service.url}connexion"))
    assert page.form == "formpass" and CHANGE_AFTER_RESET in page.messages


# Sésame's page and the SSO refuse the same passwords, each for its reason; (new password, confirmation,
# birth date typed, the code the SSO answers with)
REFUSED = [
    ("Court-1", None, BIRTH, TOO_SHORT),
    ("Invisible\u200bMot2026", None, BIRTH, INVISIBLE),
    ("{identifier}-2026", None, BIRTH, NAMES_IN_PASSWORD),
    ("Mon-{surname}-2026", None, BIRTH, NAMES_IN_PASSWORD),
    ("{provisional}", None, BIRTH, SAME_AS_PROVISIONAL),
]


def test_the_sso_asks_what_sesames_first_sign_in_asks_with_the_same_rules(sso, make_account, demo_directory):
    record, provisional = make_account.student(AccountState.NOTIFIED)
    holder = Holder(record.identifier, provisional)
    page = holder.sign_in(holder.go(f"{sso.service.url}connexion"))
    sesame = Holders(demo_directory).by_dn(record.dn)
    for new, confirm, birth, code in REFUSED:
        new = new.format(identifier=record.identifier, surname=record.surname.lower(), provisional=provisional)
        with pytest.raises(ValidationFailed):       # Sésame's own page refuses it too
            if new == provisional:
                raise ValidationFailed(["the provisional password again"])   # Holders.choose_password's first rule
            check_rules(sesame, new)
        page = holder.choose_password(page, new, birth, confirm)
        assert page.form == "formpass" and code in page.messages, (new, page.messages)
    # a student confirms their birth date, as in Sésame: a wrong one changes nothing
    page = holder.choose_password(page, "Bonne-Route-2026", "2008-04-13")
    assert page.form == "formpass" and BIRTH_DATE_REFUSED in page.messages
    assert _entry(demo_directory, record.dn, [A.PWD_RESET]).get(A.PWD_RESET) == ["TRUE"]   # nothing changed yet
    page = holder.choose_password(page, "Bonne-Route-2026", "12/04/2008")
    assert PASSWORD_CHANGED in page.messages and not _entry(demo_directory, record.dn, [A.PWD_RESET]).get(A.PWD_RESET)


def test_a_leaver_past_the_tolerance_is_locked_in_the_directory_refused_by_the_sso_and_let_in_once_back(
        sso, follower, make_account, demo_directory, client):
    record, password = make_account.student(AccountState.ACTIVE)
    left_on = date.today() - timedelta(days=31)           # SESAME_LEAVER_TOLERANCE_DAYS is 30
    demo_directory.writes.run(lambda conn: conn.modify(record.dn, {
        A.OBJECT_CLASS: [(ldap3.MODIFY_ADD, [A.OC_LEAVER])], A.UAI: [(ldap3.MODIFY_DELETE, [LP])],
        A.LEFT_UAI: [(ldap3.MODIFY_REPLACE, [LP])], A.LEFT_ON: [(ldap3.MODIFY_REPLACE, [f"{left_on:%Y%m%d}000000Z"])]}))
    wait_until(lambda: _entry(demo_directory, record.dn, [A.PWD_ACCOUNT_LOCKED_TIME]).get(A.PWD_ACCOUNT_LOCKED_TIME))
    holder = Holder(record.identifier, password)
    page = holder.sign_in(holder.go(f"{sso.service.url}connexion"))
    assert ACCOUNT_LOCKED in page.messages                        # the right password, refused by the engine
    form = client.get("/compte/connexion").get_data(as_text=True)   # and by Sésame, saying why
    refused = client.post("/compte/connexion", data={"csrf_token": csrf_token(form), "identifier": record.identifier,
                                                     "password": password})
    assert refused.status_code == 403 and "Ce compte est désactivé" in refused.get_data(as_text=True)
    # the registry brings the student back (« Alimentation »): the lock goes, the SSO lets them in
    demo_directory.writes.run(lambda conn: conn.modify(record.dn, {
        A.UAI: [(ldap3.MODIFY_ADD, [LYC])], A.LEFT_ON: [(ldap3.MODIFY_REPLACE, [])],
        A.LEFT_UAI: [(ldap3.MODIFY_REPLACE, [])]}))
    wait_until(lambda: not locked_in_directory(demo_directory, record.dn))
    page, claims = _signed_in_to_service(sso, Holder(record.identifier, password))
    assert page.url == sso.service.url and claims["etablissements"] == [LYC]


def test_a_removed_account_is_gone_for_the_sso(sso, make_account, demo_directory):
    record, password = make_account.student(AccountState.ACTIVE)
    remove_entry(demo_directory, record.dn)
    holder = Holder(record.identifier, password)
    page = holder.sign_in(holder.go(f"{sso.service.url}connexion"))
    assert page.form == "lform" and BAD_CREDENTIALS in page.messages


def test_wrong_passwords_at_sesame_and_at_the_sso_count_in_one_lock_shown_on_home(sso, make_account,
                                                                                   demo_directory, client, signed_in):
    record, password = make_account.student(AccountState.ACTIVE)
    for _ in range(4):                                   # under Sésame's own brake (SESAME_LOGIN_ATTEMPTS, 5)
        page = client.get("/compte/connexion").get_data(as_text=True)
        refused = client.post("/compte/connexion", data={"csrf_token": csrf_token(page), "identifier": record.identifier,
                                                         "password": "Pas-le-bon-1"})
        assert refused.status_code == 401, refused.status_code
    holder = Holder(record.identifier, "Pas-le-bon-2")
    page = holder.go(f"{sso.service.url}connexion")
    for _ in range(5):
        page = holder.sign_in(page)
        assert BAD_CREDENTIALS in page.messages
    assert not locked_in_directory(demo_directory, record.dn)           # 9 failures: not yet
    page = holder.sign_in(page)                                          # the 10th, at the SSO
    assert locked_in_directory(demo_directory, record.dn)               # ppolicy's pwdMaxFailure
    assert ACCOUNT_LOCKED in holder.sign_in(page, password).messages    # even the right password
    head = signed_in("chef.lp")
    home = html.unescape(head.get("/").get_data(as_text=True))
    link = re.search(r'href="([^"]*bloque=oui[^"]*)"', home).group(1)     # « Comptes bloqués … »
    assert record.surname.upper() in html.unescape(head.get(link).get_data(as_text=True))


def test_the_sso_identity_reads_what_it_releases_and_nothing_else(sso, sso_password, slapd, make_account,
                                                                   demo_directory):
    record, _ = make_account.student(AccountState.NOTIFIED)
    demo_directory.writes.run(lambda conn: conn.modify(record.dn, {A.INE: [(ldap3.MODIFY_REPLACE, ["1234567890A"])]}))
    conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), sso_dn(SUFFIX), sso_password, auto_bind=True)
    try:
        conn.search(record.dn, "(objectClass=*)", ldap3.BASE, attributes=["*", "+"])
        seen = {name.lower() for name in conn.entries[0].entry_attributes_as_dict}
        assert {"uid", "sn", "givenname", "sesameaccountid", "sesameuai", "sesameclass", "sesamemef"} <= seen
        assert not seen & {"userpassword", "sesamesealedpassword", "sesameine", "sesamebirthdate",
                           "sesameaccountstate", "pwdreset", "mail"}
        assert conn.compare(record.dn, A.BIRTH_DATE, "20080412000000Z")    # compared, never read
        for base in (f"ou=audit,{SUFFIX}", f"ou=services,{SUFFIX}"):
            conn.search(base, "(objectClass=*)", ldap3.SUBTREE, attributes=["*"])
            assert not conn.entries, base
        # staff (issue 28): found by identifier, their names read, nothing of their rights or second factor
        conn.search(f"ou=staff,{SUFFIX}", "(uid=chef.lp)", ldap3.SUBTREE, attributes=["*", "+"])
        staff = {name.lower() for name in conn.entries[0].entry_attributes_as_dict}
        assert {"uid", "cn", "sn", "givenname"} <= staff <= {"uid", "cn", "sn", "givenname", "displayname",
                                                             "objectclass"}, staff
        assert not conn.modify(record.dn, {A.SURNAME: [(ldap3.MODIFY_REPLACE, ["Autre"])]})
        assert conn.result["description"] == "insufficientAccessRights"
    finally:
        conn.unbind()


def test_a_cas_service_validates_the_ticket_and_gets_the_same_attributes_and_saml_has_its_metadata(sso, make_account):
    import requests
    record, password = make_account.student(AccountState.ACTIVE)
    holder = Holder(record.identifier, password)
    login = holder.go(f"{sso.engine.url}cas/login?service={sso.cas_service}")
    back = holder.sign_in(login, stop_at=sso.cas_service)
    ticket = re.search(r"[?&]ticket=([^&]+)", back.url).group(1)
    answer = requests.get(f"{sso.engine.url}cas/p3/serviceValidate", params={"service": sso.cas_service, "ticket": ticket})
    assert f"<cas:user>{record.identifier}</cas:user>" in answer.text
    assert f"<cas:sesameAccountId>{record.account_id}</cas:sesameAccountId>" in answer.text
    assert "<cas:role>élève</cas:role>" in answer.text and "<cas:etablissements>0990002P<" in answer.text
    metadata = requests.get(f"{sso.engine.url}saml/metadata")
    assert metadata.status_code == 200 and f'entityID="{sso.engine.url}saml/metadata"' in metadata.text
