"""Staff sign-in by password: one refusal for every bad attempt, sessions renewed and ended."""
from urllib.parse import urlsplit

import pytest

import html
import re

from support import DEMO_PASSWORD, csrf_token, locked_in_directory, own_staff_member, remove_entry, sign_in

REFUSAL = "Identifiant ou mot de passe incorrect."


def test_sign_in_page_has_the_french_fields(client):
    html = client.get("/connexion").get_data(as_text=True)
    assert 'for="uid">Identifiant<' in html and 'for="password">Mot de passe<' in html
    assert 'value="Se connecter"' in html


def test_head_signs_in_and_sees_the_six_tabs_and_the_establishment(client):
    response = sign_in(client, "chef.lp")
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    for tab in ("Accueil", "Élèves", "Responsables", "Élèves extérieurs", "Statistiques", "Paramétrage"):
        assert f">{tab}</a>" in html
    assert "0990002P" in html and "LP Métiers Auguste Perret" in html


@pytest.mark.parametrize("uid,password", [
    ("chef.lp", "wrong-password"),
    ("nobody.here", "demo-sesame-2026"),
    ("*", "demo-sesame-2026"),
    ("*)(uid=*", "demo-sesame-2026"),
    ("chef.lp", ""),
    ("chef.lp)(|(uid=*", "*"),
    ("", ""),
])
def test_every_bad_attempt_gets_the_same_refusal(client, uid, password):
    response = sign_in(client, uid, password)
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert REFUSAL in html
    assert client.get("/").status_code == 302   # still signed out


def test_a_ten_kilobyte_identifier_is_refused_without_error(client):
    response = sign_in(client, "a" * 10_000, "x")
    assert response.status_code in (400, 401)
    assert REFUSAL in response.get_data(as_text=True)


def test_sign_in_without_csrf_token_is_refused(client):
    response = client.post("/connexion", data={"uid": "chef.lp", "password": "demo-sesame-2026"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_session_id_is_renewed_at_sign_in(client):
    client.get("/connexion")
    before = client.get_cookie("sesame").value
    sign_in(client, "chef.lp")
    after = client.get_cookie("sesame").value
    assert before != after


def test_sign_out_ends_the_server_side_session(app, client):
    sign_in(client, "chef.lp")
    cookie = client.get_cookie("sesame").value
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("sesame", cookie)
    assert replay.get("/").status_code == 302   # the old cookie opens nothing


def test_sign_out_needs_post_and_csrf(client):
    sign_in(client, "chef.lp")
    assert client.get("/deconnexion").status_code == 405
    assert client.post("/deconnexion").status_code == 400
    assert client.get("/").status_code == 200


def test_repeated_failures_are_rate_limited_and_the_answer_says_until_when(app, client):
    limit = app.config["SESAME_LOGIN_ATTEMPTS"]
    for _ in range(limit):
        assert sign_in(client, "chef.clg", "bad").status_code == 401
    response = sign_in(client, "chef.clg", "demo-sesame-2026")
    assert response.status_code == 429
    text = html.unescape(response.get_data(as_text=True))
    assert "Trop d'erreurs de mot de passe pour cet identifiant" in text
    assert re.search(r"suspendues jusqu'à \d\d h \d\d", text)


def _flash(response) -> str:
    return re.sub(r"\d\d h \d\d", "HH h MM", html.unescape(response.get_data(as_text=True)).split('class="flash')[1].split("</")[0])


def test_a_throttled_unknown_identifier_reads_exactly_like_a_known_one(app):
    answers = []
    for uid in ("chef.lyc", "personne.inconnue"):
        client = app.test_client()
        for _ in range(app.config["SESAME_LOGIN_ATTEMPTS"]):
            sign_in(client, uid, "bad")
        answers.append((sign_in(client, uid, "bad").status_code, _flash(sign_in(client, uid, "bad"))))
    assert answers[0] == answers[1] and answers[0][0] == 429


def test_fifty_one_correct_staff_sign_ins_from_one_address_all_succeed(app):
    app.config["SESAME_LOGIN_ATTEMPTS_PER_ADDRESS"] = 50
    statuses = [sign_in(app.test_client(), "chef.lp").status_code for _ in range(51)]
    assert statuses == [302] * 51


def test_eleven_wrong_passwords_for_a_head_from_one_address_do_not_lock_the_head(app, demo_directory):
    dn = own_staff_member(demo_directory, "chef.essai", "le bon mot de passe")
    try:
        client = app.test_client()
        statuses = [sign_in(client, "chef.essai", f"faux {n}").status_code for n in range(11)]
        assert statuses[:5] == [401] * 5 and set(statuses[5:]) == {429}
        assert not locked_in_directory(demo_directory, dn)
        elsewhere = sign_in(app.test_client(), "chef.essai", "le bon mot de passe",
                            environ_base={"REMOTE_ADDR": "192.0.2.10"})
        assert elsewhere.status_code == 302   # the head, from their own office
    finally:
        remove_entry(demo_directory, dn)


def test_wrong_passwords_from_many_addresses_stay_under_the_directory_lockout(app, demo_directory):
    dn = own_staff_member(demo_directory, "chef.essai2", "le bon mot de passe")
    try:
        for n in range(12):
            sign_in(app.test_client(), "chef.essai2", "faux", environ_base={"REMOTE_ADDR": f"192.0.2.{n}"})
        assert not locked_in_directory(demo_directory, dn)
        assert sign_in(app.test_client(), "chef.essai2", "le bon mot de passe").status_code == 429
    finally:
        remove_entry(demo_directory, dn)


def test_a_head_locked_by_the_directory_is_told_so_and_until_when(app, demo_directory, slapd):
    import ldap3
    dn = own_staff_member(demo_directory, "chef.essai3", "le bon mot de passe")
    try:
        for _ in range(10):   # failures made elsewhere than Sésame, straight at the directory
            ldap3.Connection(ldap3.Server(slapd.ldap_url), dn, "faux").bind()
        response = sign_in(app.test_client(), "chef.essai3", "le bon mot de passe")
        text = html.unescape(response.get_data(as_text=True))
        assert response.status_code == 401
        assert "Votre compte est verrouillé" in text and re.search(r"jusqu'à \d\d h \d\d", text)
    finally:
        remove_entry(demo_directory, dn)


def test_support_staff_cannot_sign_in_with_their_password(client):
    response = sign_in(client, "support.lp")
    assert response.status_code == 401 and REFUSAL in html.unescape(response.get_data(as_text=True))
    assert client.get("/").status_code == 302


def test_a_refusal_answers_at_the_same_moment_whatever_the_work_took(app):
    from webapp.signin import refuse_at
    slept = []
    with app.app_context():
        app.config["SESAME_FAILED_SIGN_IN_DELAY"] = 1.0
        for work in (0.01, 0.06):   # a known identifier's bind, an unknown one's equalizing hash
            refuse_at(100.0, clock=lambda work=work: 100.0 + work, sleep=slept.append)
    assert [round(100.0 + w + s, 6) for w, s in zip((0.01, 0.06), slept)] == [101.0, 101.0]


def _sign_in_then(client, target):
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    return client.post("/connexion", query_string={"next": target},
                       data={"csrf_token": token, "uid": "chef.lp", "password": "demo-sesame-2026"})


def test_next_cannot_send_the_user_to_another_site(client):
    response = _sign_in_then(client, "//evil.example/")
    assert response.headers["Location"] == "/"


def test_password_never_appears_in_the_answer(client):
    response = sign_in(client, "chef.lp", "wrong-secret-value")
    assert "wrong-secret-value" not in response.get_data(as_text=True)


def test_failures_on_other_identifiers_do_not_lock_out_colleagues_behind_one_address(client):
    for n in range(8):
        assert sign_in(client, f"someone.{n}", "bad").status_code == 401
    assert sign_in(client, "chef.lp").status_code == 302


@pytest.mark.parametrize("target", ["//evil.example/", "/%09/evil.example", "/\\evil.example", "%0A",
                                    "https://evil.example/", "/\t/evil.example", "javascript:alert(1)"])
def test_next_never_leaves_the_site_nor_fails(client, target):
    response = _sign_in_then(client, target)
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert location.startswith("/") and not location.startswith(("//", "/\\"))
    assert not parts.scheme and not parts.netloc
    assert not any(ord(c) < 33 for c in location)


def test_next_to_a_page_of_the_site_is_followed(client):
    response = _sign_in_then(client, "/eleves?q=zoe")
    assert response.headers["Location"] == "/eleves?q=zoe"


def test_a_signed_out_visit_comes_back_to_the_same_page_without_a_stray_question_mark(client):
    assert client.get("/eleves").headers["Location"] == "/connexion?next=/eleves"
    assert client.get("/eleves?q=zoe").headers["Location"] == "/connexion?next=/eleves?q%3Dzoe"


def test_an_expired_session_sends_htmx_to_the_sign_in_page(client):
    response = client.get("/eleves?q=zoe", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/connexion"


def test_a_staff_password_change_ends_their_other_sessions(app, demo_directory, slapd):
    import ldap3
    dn = own_staff_member(demo_directory, "chef.essai4", "le bon mot de passe")
    try:
        office, laptop = app.test_client(), app.test_client()
        assert sign_in(office, "chef.essai4", "le bon mot de passe").status_code == 302
        assert sign_in(laptop, "chef.essai4", "le bon mot de passe").status_code == 302
        assert office.get("/").status_code == 200 and laptop.get("/").status_code == 200
        me = ldap3.Connection(ldap3.Server(slapd.ldap_url), dn, "le bon mot de passe", auto_bind=True)
        assert me.extend.standard.modify_password(None, "le bon mot de passe", "un tout nouveau secret")
        for client in (office, laptop):
            answer = client.get("/")
            assert answer.status_code == 302 and answer.headers["Location"].startswith("/connexion")
        assert sign_in(app.test_client(), "chef.essai4", "un tout nouveau secret").status_code == 302
    finally:
        remove_entry(demo_directory, dn)


def test_a_session_ends_after_its_absolute_lifetime_however_busy(app, client):
    import time
    sign_in(client, "chef.lp")
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["started"] = time.time() - app.config["SESAME_SESSION_HOURS"] * 3600 - 1
    answer = client.get("/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/connexion")


def test_the_idle_timeout_is_shorter_than_the_lifetime(app):
    from datetime import timedelta
    assert app.permanent_session_lifetime == timedelta(minutes=app.config["SESAME_SESSION_IDLE_MINUTES"])


def test_trying_again_while_stopped_does_not_move_the_end_of_the_stop(app, client, redis_server):
    from redis import Redis
    for _ in range(app.config["SESAME_LOGIN_ATTEMPTS"]):
        sign_in(client, "chef.clg", "bad")
    connection = Redis.from_url(redis_server.url)
    key = next(k for k in connection.scan_iter("sesame:limit:login:id:chef.clg@*"))
    connection.expire(key, 600)             # as if the last failure were five minutes old
    for _ in range(3):
        assert sign_in(client, "chef.clg", "bad").status_code == 429
    assert connection.ttl(key) <= 600 and int(connection.get(key)) == app.config["SESAME_LOGIN_ATTEMPTS"]


PROVIDER = {"SESAME_STAFF_OIDC_ISSUER": "https://portail.example.org", "SESAME_STAFF_OIDC_CLIENT_ID": "sesame",
            "SESAME_STAFF_OIDC_CLIENT_SECRET": "secret-du-client"}


@pytest.fixture
def password_off(demo_directory, app_config, app):
    """A deployment whose staff sign in through the provider only (SESAME_STAFF_PASSWORD=off)."""
    from webapp import create_app
    return create_app(dict(app_config, SESAME_STAFF_PASSWORD="off", **PROVIDER)).test_client()


def _flash(response) -> str:
    return html.unescape(re.search(r'<p class="flash error" role="alert">([^<]*)</p>',
                                   response.get_data(as_text=True)).group(1))


def test_with_password_sign_in_off_the_page_offers_the_provider_only_and_a_directory_password_is_refused(
        password_off, client):
    page = password_off.get("/connexion").get_data(as_text=True)
    assert 'type="password"' not in page and 'name="uid"' not in page
    assert '<a class="button primary" href="/connexion/portail">Se connecter avec le portail de l\'académie</a>' in page
    token = csrf_token(password_off.get("/compte/connexion").get_data(as_text=True))   # this session's token
    right = password_off.post("/connexion", data={"csrf_token": token, "uid": "chef.lp", "password": DEMO_PASSWORD})
    wrong = password_off.post("/connexion", data={"csrf_token": token, "uid": "chef.lp", "password": "pas-le-bon"})
    assert right.status_code == wrong.status_code == 401
    assert _flash(right) == _flash(wrong) == REFUSAL
    assert password_off.get("/eleves").status_code == 302
    # where password sign-in is on (the embedded default), the same password opens Sésame
    assert sign_in(client, "chef.lp").status_code == 302


def test_password_sign_in_cannot_be_turned_off_without_a_provider(demo_directory, app_config):
    from webapp import create_app
    with pytest.raises(RuntimeError, match="SESAME_STAFF_OIDC_ISSUER"):
        create_app(dict(app_config, SESAME_STAFF_PASSWORD="off"))


def test_with_a_provider_the_page_offers_both_and_forms_may_lead_to_the_provider(demo_directory, app_config, app):
    """Sésame's sign-out is a form whose answer leads to the provider's: browsers hold that redirect to the CSP's
    form-action, which names the provider's origin."""
    from webapp import create_app
    client = create_app(dict(app_config, **PROVIDER)).test_client()
    answer = client.get("/connexion?next=/eleves")
    page = answer.get_data(as_text=True)
    assert 'href="/connexion/portail?next=/eleves"' in page and 'type="password"' in page
    assert "form-action 'self' https://portail.example.org;" in answer.headers["Content-Security-Policy"]
    assert "form-action 'self';" in app.test_client().get("/connexion").headers["Content-Security-Policy"]


@pytest.mark.parametrize("query", ["", "?code=abc", "?state=" + "é" * 600 + "&code=x", "?state=%00%0a&code=%ff",
                                   "?error=access_denied&state=inconnu", "?state=x&code=y&id_token=eyJhbGciOiJub25lIn0.e30."])
def test_a_return_from_the_provider_this_browser_did_not_start_is_refused_in_french_before_anything(
        demo_directory, app_config, app, query):
    """Whatever the return carries (an ID token too), and whether or not the provider answers (here it does not
    exist): 400, in French, nothing opened."""
    from webapp import create_app
    from webapp.auth.provider import STATE_REFUSED
    client = create_app(dict(app_config, **PROVIDER)).test_client()
    answer = client.get("/connexion/portail/retour" + query)
    assert answer.status_code == 400 and _flash(answer) == STATE_REFUSED
    assert client.get("/eleves").status_code == 302
