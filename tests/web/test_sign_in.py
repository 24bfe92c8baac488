"""Staff sign-in by password: one refusal for every bad attempt, sessions renewed and ended."""
from urllib.parse import urlsplit

import pytest

from support import csrf_token, sign_in

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


def test_repeated_failures_are_rate_limited(app, client):
    limit = app.config["SESAME_LOGIN_ATTEMPTS"]
    for _ in range(limit):
        assert sign_in(client, "chef.clg", "bad").status_code == 401
    response = sign_in(client, "chef.clg", "demo-sesame-2026")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)


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


def test_an_expired_session_sends_htmx_to_the_sign_in_page(client):
    response = client.get("/eleves?q=zoe", headers={"HX-Request": "true"})
    assert response.status_code == 401 and response.headers["HX-Redirect"] == "/connexion"
