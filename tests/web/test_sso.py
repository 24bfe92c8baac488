"""SSO sign-in for support staff: trusted only from the proxy's address and with the shared secret."""
import pytest

from support import SSO_SECRET

HEADERS = {"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET}


def test_support_staff_signed_in_through_the_proxy(client):
    response = client.get("/connexion/sso", headers=HEADERS)
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "0990002P" in html


def test_refused_without_the_secret(client):
    headers = {"X-Remote-User": "support.lp"}
    assert client.get("/connexion/sso", headers=headers).status_code == 403
    assert client.get("/").status_code == 302


def test_refused_with_a_wrong_secret(client):
    headers = dict(HEADERS, **{"X-Sesame-Proxy-Secret": SSO_SECRET + "x"})
    assert client.get("/connexion/sso", headers=headers).status_code == 403


def test_refused_from_an_address_that_is_not_a_trusted_proxy(client):
    response = client.get("/connexion/sso", headers=HEADERS, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 403
    assert client.get("/").status_code == 302


@pytest.mark.parametrize("uid", ["chef.lp", "admin.idt"])
def test_heads_and_admins_do_not_sign_in_through_the_proxy(client, uid):
    headers = dict(HEADERS, **{"X-Remote-User": uid})
    assert client.get("/connexion/sso", headers=headers).status_code == 403
    assert client.get("/").status_code == 302


def test_refused_for_an_unknown_uid(client):
    headers = dict(HEADERS, **{"X-Remote-User": "*"})
    assert client.get("/connexion/sso", headers=headers).status_code == 403


def test_refused_when_sso_is_not_configured(app, client):
    app.config["SESAME_SSO_SECRET"] = ""
    headers = dict(HEADERS, **{"X-Sesame-Proxy-Secret": ""})
    assert client.get("/connexion/sso", headers=headers).status_code == 403
