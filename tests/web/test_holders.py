"""Account holders: first sign-in, forced change, birth date, e-mail confirmed by a link, recovery, lockout."""
import html
import re
import threading

import ldap3
import pytest

from directory.populations import STUDENTS
from directory import attributes as A
from directory.accounts import Accounts
from directory.lifecycle import reset
from directory.model import AccountState
from directory.passwords import PasswordHasher, Sealer
from directory.search import AccountCriteria
from support import SEAL_KEY, binds, csrf_token, sign_in, wait_for_mail

LP = "0990002P"
GOOD = "une phrase facile 2026"


@pytest.fixture(scope="module")
def accounts(demo_directory):
    return Accounts(demo_directory, STUDENTS, PasswordHasher(1, 1024, 1), Sealer(SEAL_KEY))


def _expired(demo_directory, dn, days=90):
    """Whether this account's provisional password is older than the default period (the demo has some)."""
    from datetime import datetime, timedelta, timezone
    from directory.mapping import parse_time
    found = demo_directory.search(dn, "(objectClass=*)", [A.PWD_CHANGED_TIME], ldap3.BASE)
    changed = parse_time((found[0][1].get(A.PWD_CHANGED_TIME) or [None])[0]) if found else None
    return changed is not None and changed < datetime.now(timezone.utc) - timedelta(days=days)


def _notified(make_account):
    """A student of the LP of the test's own with a fresh provisional password, and that password."""
    return make_account.student(AccountState.NOTIFIED)


def _post(client, url, data):
    page = client.get(url)
    return client.post(url, data={"csrf_token": csrf_token(page.get_data(as_text=True)), **data})


def _binds(slapd, dn, password):
    return binds(slapd.ldap_url, dn, password)


def _activated_with_mail(app, demo_directory, make_account, mail_sink, domain):
    """A student who activated their account and confirmed an e-mail address; and that address."""
    record, provisional = _notified(make_account)
    holder = app.test_client()
    _post(holder, "/compte/connexion", {"identifier": record.identifier, "password": provisional})
    _post(holder, "/compte/mot-de-passe", {"password": GOOD, "confirm": GOOD})
    _post(holder, "/compte/naissance", {"birth_date": demo_directory.students.get(LP, record.account_id)[1].birth_date.isoformat()})
    address = f"{record.identifier}@{domain}"
    _post(holder, "/compte/courriel", {"mail": address, "submit": "Enregistrer"})
    holder.get(_last_link(mail_sink, address))
    return record, address


def _last_link(mail_sink, to, after=None):
    """The link of the newest message to `to`; with `after`, of a message newer than that many."""
    if after is None:
        after = 0
    message = wait_for_mail(mail_sink, to, after)
    return re.search(r"http://\S+(/compte/\S+)", message.get_content()).group(1)



def test_activation_from_the_letter_to_a_confirmed_email(client, demo_directory, accounts, slapd, mail_sink, signed_in, make_account):
    record, provisional = _notified(make_account)
    answer = _post(client, "/compte/connexion", {"identifier": record.identifier, "password": provisional})
    assert answer.status_code == 302 and answer.headers["Location"] == "/compte/mot-de-passe"
    page = client.get("/compte/mot-de-passe").get_data(as_text=True)
    assert "au moins 8 caractères" in page                   # the rules, before typing

    too_short = _post(client, "/compte/mot-de-passe", {"password": "court", "confirm": "court"})
    assert too_short.status_code == 400 and "entre 8 et 128 caractères" in html.unescape(too_short.get_data(as_text=True))
    same = _post(client, "/compte/mot-de-passe", {"password": provisional, "confirm": provisional})
    assert same.status_code == 400 and "différent du mot de passe provisoire" in html.unescape(same.get_data(as_text=True))

    done = _post(client, "/compte/mot-de-passe", {"password": GOOD, "confirm": GOOD})
    assert done.status_code == 302 and done.headers["Location"] == "/compte/naissance"
    assert _binds(slapd, record.dn, GOOD) and not _binds(slapd, record.dn, provisional)
    after = accounts.read_one(LP, record.account_id)
    assert after.state is AccountState.ACTIVE and after.sealed is None

    wrong = _post(client, "/compte/naissance", {"birth_date": "1990-01-01"})
    assert wrong.status_code == 400
    _, student = demo_directory.students.get(LP, record.account_id)
    right = _post(client, "/compte/naissance", {"birth_date": student.birth_date.isoformat()})
    assert right.headers["Location"] == "/compte/courriel"

    address = f"{record.identifier}@example.org"
    assert _post(client, "/compte/courriel", {"mail": address, "submit": "Enregistrer"}).status_code == 302
    link = _last_link(mail_sink, address)
    assert not demo_directory.students.get(LP, record.account_id)[1].mail_verified   # not before the link
    assert client.get(link).status_code == 200
    assert demo_directory.students.get(LP, record.account_id)[1].mail_verified
    assert client.get(link).status_code == 410                # a link works once

    # the staff see it: « Activé » and today's last sign-in
    head = signed_in("chef.lp")
    row = head.get("/eleves", query_string={"q": record.surname}).get_data(as_text=True)
    from datetime import date
    assert "Activé" in row
    last_login = demo_directory.students.get(LP, record.account_id)[1].last_login
    assert last_login is not None and last_login.date() == date.today()   # « Date de dernière connexion »


def test_forgot_password_answers_the_same_for_known_and_unknown_and_the_link_works_once(
        app, demo_directory, accounts, slapd, mail_sink, make_account):
    record, address = _activated_with_mail(app, demo_directory, make_account, mail_sink, "example.net")

    known, unknown = app.test_client(), app.test_client()
    a = _post(known, "/compte/mot-de-passe-oublie", {"identifier": record.identifier})
    b = _post(unknown, "/compte/mot-de-passe-oublie", {"identifier": "personne.inconnue"})
    assert a.status_code == b.status_code == 303 and a.headers["Location"] == b.headers["Location"]
    link = _last_link(mail_sink, address, after=1)
    assert link.startswith("/compte/nouveau-mot-de-passe/")

    breaks_a_rule = f"{record.identifier} 2026"        # holds the identifier
    refused = _post(app.test_client(), link, {"password": breaks_a_rule, "confirm": breaks_a_rule})
    assert refused.status_code == 400 and "ni votre identifiant" in html.unescape(refused.get_data(as_text=True)), \
        "a password that breaks a rule is said, and the link is not spent"
    new = "un autre mot de passe 27"
    first = _post(app.test_client(), link, {"password": new, "confirm": new})
    assert first.status_code == 302 and _binds(slapd, record.dn, new)
    again = app.test_client().get(link)
    assert again.status_code == 410


def test_the_same_answer_page_for_known_and_unknown_identifiers(app, demo_directory, accounts, make_account):
    record, _ = _notified(make_account)
    bodies = []
    for identifier in (record.identifier, "nobody.here"):
        client = app.test_client()
        response = _post(client, "/compte/mot-de-passe-oublie", {"identifier": identifier})
        bodies.append((response.status_code, client.get(response.headers["Location"]).get_data(as_text=True)))
    strip = lambda text: re.sub(r'value="[^"]+"', "", text)   # noqa: E731 - CSRF tokens differ by nature
    assert bodies[0][0] == bodies[1][0] and strip(bodies[0][1]) == strip(bodies[1][1])


def test_a_link_redeemed_twice_at_once_succeeds_once(app, demo_directory, accounts, mail_sink, make_account):
    record, address = _activated_with_mail(app, demo_directory, make_account, mail_sink, "example.com")
    _post(app.test_client(), "/compte/mot-de-passe-oublie", {"identifier": record.identifier})
    link = _last_link(mail_sink, address, after=1)
    clients = [app.test_client() for _ in range(2)]
    tokens = [csrf_token(c.get(link).get_data(as_text=True)) for c in clients]
    results = []

    def redeem(client, token, password):
        results.append(client.post(link, data={"csrf_token": token, "password": password, "confirm": password}).status_code)
    threads = [threading.Thread(target=redeem, args=(c, t, f"mot de passe numero {i}")) for i, (c, t) in enumerate(zip(clients, tokens))]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert sorted(results) == [302, 410]


def test_a_school_reset_voids_a_pending_link(app, demo_directory, accounts, mail_sink, signed_in, make_account):
    record, address = _activated_with_mail(app, demo_directory, make_account, mail_sink, "example.org")
    _post(app.test_client(), "/compte/mot-de-passe-oublie", {"identifier": record.identifier})
    link = _last_link(mail_sink, address, after=1)
    head = signed_in("chef.lp")
    token = csrf_token(head.get("/eleves").get_data(as_text=True))
    assert head.post(f"/eleves/{record.account_id}/reinitialisation", data={"csrf_token": token}).status_code == 303
    assert app.test_client().get(link).status_code == 410


def test_eleven_wrong_passwords_lock_and_a_reset_lifts_it(app, demo_directory, accounts, slapd, signed_in, make_account):
    record, provisional = _notified(make_account)
    for _ in range(11):
        conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), record.dn, "wrong-password")
        conn.bind()
    client = app.test_client()
    locked = _post(client, "/compte/connexion", {"identifier": record.identifier, "password": provisional})
    assert locked.status_code == 401     # as any refusal: the status does not tell that the account exists
    text = html.unescape(locked.get_data(as_text=True))
    assert "verrouillé" in text and re.search(r"jusqu'à \d\d h \d\d", text) and "Mot de passe oublié" in text
    head = signed_in("chef.lp")
    profile = head.get(f"/eleves/fiche/{record.account_id}").get_data(as_text=True)
    assert "verrouillé après trop d'erreurs" in html.unescape(profile)
    applied = accounts.apply(accounts.read_one(LP, record.account_id), reset(AccountState.NOTIFIED), "job-unlock")
    assert _binds(slapd, record.dn, applied.password)


def test_holder_sign_in_refusals_are_one_message(app):
    for identifier, password in (("nobody", "x"), ("*", "x"), ("*)(uid=*", "x"), ("", "")):
        response = _post(app.test_client(), "/compte/connexion", {"identifier": identifier, "password": password})
        assert response.status_code in (400, 401)
        assert "Identifiant ou mot de passe incorrect." in html.unescape(response.get_data(as_text=True))


def test_a_student_locked_out_is_seen_by_the_school_and_its_reset_lets_them_in(app, demo_directory, make_account,
                                                                                signed_in):
    """One lock: slapd's. Ten wrong passwords lock the account in the directory (Sésame's brake never refuses
    before), the profile, « Accueil » « Comptes bloqués » and the dépannage table show it, and the school's
    reset lifts it: the new provisional password signs in at once, from the address that hit the brake."""
    from support import SSO_SECRET
    record, provisional = _notified(make_account)
    client = app.test_client()
    answers = [_post(client, "/compte/connexion", {"identifier": record.identifier, "password": f"faux{i}"})
               for i in range(10)]
    assert [a.status_code for a in answers] == [401] * 10          # no 429: the directory's lock comes first
    assert "Votre compte est verrouillé" in html.unescape(answers[-1].get_data(as_text=True))
    assert demo_directory.students.get(LP, record.account_id)[1].locked_at        # slapd's own lock
    again = _post(client, "/compte/connexion", {"identifier": record.identifier, "password": provisional})
    assert again.status_code == 401 and "Votre compte est verrouillé" in html.unescape(again.get_data(as_text=True))

    head = signed_in("chef.lp")
    assert "verrouillé après trop d'erreurs" in html.unescape(
        head.get(f"/eleves/fiche/{record.account_id}").get_data(as_text=True))
    home = html.unescape(head.get("/").get_data(as_text=True))
    locked_line = re.search(r'href="([^"]*bloque=oui[^"]*)">Comptes bloqués[^<]*</a></td><td class="number">(\d+)',
                            home)
    assert locked_line and int(locked_line.group(2)) >= 1
    assert record.account_id in head.get(locked_line.group(1)).get_data(as_text=True)
    support = app.test_client()
    support.get("/connexion/sso", headers={"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET})
    row = support.get("/eleves", query_string={"q": f"{record.given_name} {record.surname}"}).get_data(as_text=True)
    assert "bloqué" in row[row.index(f'value="{record.account_id}"'):]

    token = csrf_token(head.get("/eleves").get_data(as_text=True))
    reset = head.post(f"/eleves/{record.account_id}/reinitialisation", data={"csrf_token": token},
                      headers={"HX-Request": "true"}).get_data(as_text=True)
    new = re.findall(r'<strong class="credential">([A-Z2-9]{8})</strong>', reset)[-1]
    assert not demo_directory.students.get(LP, record.account_id)[1].locked_at
    assert "bloque=oui" not in head.get(locked_line.group(1)).get_data(as_text=True) or \
        record.account_id not in head.get(locked_line.group(1)).get_data(as_text=True)
    signed = _post(client, "/compte/connexion", {"identifier": record.identifier, "password": new})
    assert signed.status_code == 302, html.unescape(signed.get_data(as_text=True))


def test_fifty_one_correct_holder_sign_ins_from_one_address_in_a_minute_all_succeed(app, demo_directory, accounts):
    app.config["SESAME_LOGIN_ATTEMPTS_PER_ADDRESS"] = 50
    ids = demo_directory.students.ids(LP, AccountCriteria(states=(AccountState.NOTIFIED,)))[20:]
    room = [r for r in (accounts.read_one(LP, i) for i in ids) if not _expired(demo_directory, r.dn)][:51]
    assert len(room) == 51
    statuses = [_post(app.test_client(), "/compte/connexion",
                      {"identifier": r.identifier, "password": accounts.provisional_password(r)}).status_code
                for r in room]
    assert statuses == [302] * 51


def test_a_refused_sign_in_is_slowed(app, demo_directory, accounts):
    import time
    app.config["SESAME_FAILED_SIGN_IN_DELAY"] = 0.4
    client = app.test_client()
    started = time.monotonic()
    assert _post(client, "/compte/connexion", {"identifier": "nobody.at.all", "password": "x"}).status_code == 401
    assert time.monotonic() - started >= 0.4


def test_a_session_opened_before_a_school_reset_ends(app, demo_directory, accounts, signed_in, make_account):
    record, provisional = _notified(make_account)
    holder = app.test_client()
    _post(holder, "/compte/connexion", {"identifier": record.identifier, "password": provisional})
    _post(holder, "/compte/mot-de-passe", {"password": GOOD, "confirm": GOOD})
    assert holder.get("/compte/naissance").status_code == 200
    head = signed_in("chef.lp")
    token = csrf_token(head.get("/eleves").get_data(as_text=True))
    head.post(f"/eleves/{record.account_id}/reinitialisation", data={"csrf_token": token})
    answer = holder.get("/compte/naissance")
    assert answer.status_code == 302 and answer.headers["Location"] == "/compte/connexion"
    assert holder.get("/compte/courriel").headers["Location"] == "/compte/connexion"


def test_nothing_opens_before_the_provisional_password_is_replaced(app, demo_directory, accounts, make_account):
    record, provisional = _notified(make_account)
    holder = app.test_client()
    _post(holder, "/compte/connexion", {"identifier": record.identifier, "password": provisional})
    for url in ("/compte/", "/compte/courriel", "/compte/naissance"):
        assert holder.get(url).headers["Location"] == "/compte/mot-de-passe", url
    # a POST the CSRF check lets through (the token of the page that is open): only the guard stops it
    token = csrf_token(holder.get("/compte/mot-de-passe").get_data(as_text=True))
    planted = holder.post("/compte/courriel", data={"csrf_token": token, "mail": "attacker@example.org",
                                                    "submit": "Enregistrer"})
    assert planted.status_code == 302 and planted.headers["Location"] == "/compte/mot-de-passe"
    assert not demo_directory.students.get(LP, record.account_id)[1].mail


@pytest.mark.parametrize("password", ["x\x00", "a\u202e" * 5, "\u0007bell"])
def test_odd_characters_in_a_password_are_a_refusal_not_an_error(app, demo_directory, accounts, password, make_account):
    record, _ = _notified(make_account)
    for identifier in (record.identifier, "nobody.at.all"):
        response = _post(app.test_client(), "/compte/connexion", {"identifier": identifier, "password": password})
        assert response.status_code == 401, identifier
    staff = sign_in(app.test_client(), "chef.lp", password)
    assert staff.status_code == 401


def test_recovery_answers_the_same_when_the_mail_relay_is_down(app, demo_directory, accounts, mail_sink, make_account):
    record, _ = _activated_with_mail(app, demo_directory, make_account, mail_sink, "example.org")
    app.config["SESAME_SMTP_PORT"] = 9          # nothing listens there
    answers = [_post(app.test_client(), "/compte/mot-de-passe-oublie", {"identifier": identifier}).status_code
               for identifier in (record.identifier, "nobody.at.all")]
    assert answers == [303, 303]


def _stored_password(slapd, dn):
    manager = ldap3.Connection(ldap3.Server(slapd.ldapi_url), authentication=ldap3.SASL,
                               sasl_mechanism=ldap3.EXTERNAL, sasl_credentials="", auto_bind=True)
    manager.search(dn, "(objectClass=*)", ldap3.BASE, attributes=[A.USER_PASSWORD])
    return [v.decode() for v in manager.entries[0][A.USER_PASSWORD].raw_values]


def test_a_chosen_and_a_recovered_password_are_stored_as_argon2id(app, demo_directory, accounts, slapd, mail_sink, make_account):
    record, address = _activated_with_mail(app, demo_directory, make_account, mail_sink, "example.net")
    assert _stored_password(slapd, record.dn)[0].startswith("{ARGON2}$argon2id$")
    _post(app.test_client(), "/compte/mot-de-passe-oublie", {"identifier": record.identifier})
    link = _last_link(mail_sink, address, after=1)
    assert _post(app.test_client(), link, {"password": "encore un autre 2026", "confirm": "encore un autre 2026"}).status_code == 302
    assert _stored_password(slapd, record.dn)[0].startswith("{ARGON2}$argon2id$")
    assert _binds(slapd, record.dn, "encore un autre 2026")


def test_a_recovery_in_the_same_second_as_the_previous_change_ends_the_older_session(app, demo_directory, accounts, make_account):
    from directory.holders import Holders
    record, provisional = _notified(make_account)
    holder = app.test_client()
    _post(holder, "/compte/connexion", {"identifier": record.identifier, "password": provisional})
    _post(holder, "/compte/mot-de-passe", {"password": GOOD, "confirm": GOOD})
    assert holder.get("/compte/naissance").status_code == 200
    service = Holders(demo_directory, PasswordHasher(1, 1024, 1))
    before = service.by_dn(record.dn)
    service.set_password(before, "mot de passe de secours")      # as a recovery link does, at once
    after = service.by_dn(record.dn)
    answer = holder.get("/compte/naissance")
    assert answer.status_code == 302 and answer.headers["Location"] == "/compte/connexion", (before, after)


def test_a_holder_session_ends_after_its_absolute_lifetime(app, demo_directory, accounts, make_account):
    import time
    record, provisional = _notified(make_account)
    holder = app.test_client()
    _post(holder, "/compte/connexion", {"identifier": record.identifier, "password": provisional})
    assert holder.get("/compte/mot-de-passe").status_code == 200
    with holder.session_transaction() as session:
        session["started"] = time.time() - app.config["SESAME_SESSION_HOURS"] * 3600 - 1
    answer = holder.get("/compte/mot-de-passe")
    assert answer.status_code == 302 and answer.headers["Location"] == "/compte/connexion"


def _an_expired_student(demo_directory, accounts):
    ids = demo_directory.students.ids(LP, AccountCriteria(states=(AccountState.NOTIFIED,)))
    for account_id in ids:
        record = accounts.read_one(LP, account_id)
        if _expired(demo_directory, record.dn):
            return record
    raise AssertionError("the demo has no expired provisional password at the LP")


def test_an_expired_provisional_password_is_refused_in_french_then_works_after_a_reset(
        app, demo_directory, accounts, signed_in):
    record = _an_expired_student(demo_directory, accounts)
    old = accounts.provisional_password(record)
    refused = _post(app.test_client(), "/compte/connexion", {"identifier": record.identifier, "password": old})
    text = html.unescape(refused.get_data(as_text=True))
    assert refused.status_code == 403
    assert "Votre mot de passe provisoire a expiré" in text and "Demandez à votre établissement" in text

    head = signed_in("chef.lp")
    assert "expiré" in head.get("/eleves", query_string={"q": record.identifier.split(".")[0] + " " + record.surname}).get_data(as_text=True)
    assert "expiré" in head.get(f"/eleves/fiche/{record.account_id}").get_data(as_text=True)
    token = csrf_token(head.get("/eleves").get_data(as_text=True))
    assert head.post(f"/eleves/{record.account_id}/reinitialisation", data={"csrf_token": token}).status_code == 303
    assert "expiré" not in head.get(f"/eleves/fiche/{record.account_id}").get_data(as_text=True)

    fresh = accounts.provisional_password(accounts.read_one(LP, record.account_id))
    again = _post(app.test_client(), "/compte/connexion", {"identifier": record.identifier, "password": fresh})
    assert again.status_code == 302 and again.headers["Location"] == "/compte/mot-de-passe"


def test_the_period_is_a_setting(app, demo_directory, accounts):
    record = _an_expired_student(demo_directory, accounts)
    app.config["SESAME_PROVISIONAL_DAYS"] = 3650
    answer = _post(app.test_client(), "/compte/connexion",
                   {"identifier": record.identifier, "password": accounts.provisional_password(record)})
    assert answer.status_code == 302


def test_the_birth_date_step_cannot_be_skipped_after_the_password_step(app, demo_directory, accounts, make_account):
    record, provisional = _notified(make_account)
    holder = app.test_client()
    _post(holder, "/compte/connexion", {"identifier": record.identifier, "password": provisional})
    assert _post(holder, "/compte/mot-de-passe", {"password": GOOD, "confirm": GOOD}).headers["Location"] == "/compte/naissance"
    for url in ("/compte/", "/compte/courriel"):
        assert holder.get(url).headers["Location"] == "/compte/naissance", url
    _, student = demo_directory.students.get(LP, record.account_id)
    assert _post(holder, "/compte/naissance", {"birth_date": student.birth_date.isoformat()}).status_code == 302
    assert holder.get("/compte/").status_code == 200


@pytest.mark.parametrize("url,field,value,words", [
    ("/compte/mot-de-passe-oublie", "identifier", "", "Indiquez votre identifiant."),
    ("/compte/mot-de-passe-oublie", "identifier", "a" * 500, "au plus 128 caractères"),
    ("/compte/identifiant-oublie", "mail", "", "Indiquez votre adresse mail."),
    ("/compte/identifiant-oublie", "mail", "a" * 300 + "@example.org", "au plus 200 caractères"),
])
def test_forgot_forms_say_what_is_wrong_with_an_empty_or_overlong_entry(app, url, field, value, words):
    answer = _post(app.test_client(), url, {field: value})
    assert answer.status_code == 400
    assert words in html.unescape(answer.get_data(as_text=True))


def test_an_unknown_identifier_stopped_at_the_lock_reads_exactly_like_a_locked_account(app, make_account):
    record, _ = _notified(make_account)
    answers = []
    for identifier in (record.identifier, "personne.inconnue.du.tout"):
        client = app.test_client()
        for i in range(10):
            _post(client, "/compte/connexion", {"identifier": identifier, "password": f"faux{i}"})
        last = _post(client, "/compte/connexion", {"identifier": identifier, "password": "faux"})
        text = re.sub(r"\d\d h \d\d", "HH h MM", html.unescape(last.get_data(as_text=True)))
        answers.append((last.status_code, text.split('class="flash error"')[1].split("</p>")[0]))
    assert answers[0] == answers[1] and answers[0][0] == 401 and "verrouillé" in answers[0][1]
