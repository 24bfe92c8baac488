"""SSO sign-in for support staff: trusted only from the proxy's address and with the shared secret, and only as
long as the proxy names the same person at every request. (Behind the real proxy, LemonLDAP::NG's handler:
tests/sso/test_staff_sign_in.py.)"""
import pytest

from support import SSO_SECRET, through_the_proxy

HEADERS = {"X-Remote-User": "support.lp", "X-Sesame-Proxy-Secret": SSO_SECRET}


def test_support_staff_signed_in_through_the_proxy(client):
    response = through_the_proxy(client)
    assert response.status_code == 302
    html = client.get("/").get_data(as_text=True)
    assert "0990002P" in html


@pytest.mark.parametrize("then", ["no one", "someone else", "no secret"])
def test_a_session_the_proxy_opened_ends_once_the_proxy_no_longer_names_that_person(app, client, demo_directory, then):
    """Signed out at the portal (the proxy names nobody) or another person signed in there since: the cookie of
    the first session carries nothing."""
    from support import own_staff_member, remove_entry
    dn = own_staff_member(demo_directory, "support.autre", "x-Long-Enough-1", head_of=None)
    demo_directory.writes.run(lambda conn: conn.modify(dn, {"sesameSupportFor": [("MODIFY_ADD", ["0990002P"])]}))
    try:
        assert through_the_proxy(client).status_code == 302 and client.get("/eleves").status_code == 200
        if then == "no one":
            client.environ_base.pop("HTTP_X_REMOTE_USER")
        elif then == "someone else":
            client.environ_base["HTTP_X_REMOTE_USER"] = "support.autre"
        else:
            client.environ_base.pop("HTTP_X_SESAME_PROXY_SECRET")
        after = client.get("/eleves")
        assert after.status_code == 302 and after.headers["Location"].startswith("/connexion")
        client.environ_base.update(HTTP_X_REMOTE_USER="support.lp", HTTP_X_SESAME_PROXY_SECRET=SSO_SECRET)
        assert client.get("/eleves").status_code == 302          # the first session is gone for good
    finally:
        remove_entry(demo_directory, dn)


def test_signing_out_of_an_sso_session_goes_to_the_portals_sign_out_when_there_is_one(app, client):
    from support import csrf_token
    app.config["SESAME_SSO_LOGOUT_URL"] = "https://portail.example.org/?logout=1"
    through_the_proxy(client)
    page = client.get("/").get_data(as_text=True)
    out = client.post("/deconnexion", data={"csrf_token": csrf_token(page)})
    assert out.status_code == 303 and out.headers["Location"] == "https://portail.example.org/?logout=1"
    assert client.get("/eleves").status_code == 302


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


@pytest.fixture
def behind_one_proxy(demo_directory, app_config):
    """The app as the README's reverse-proxy example runs it: SESAME_PROXY_HOPS=1."""
    from webapp import create_app
    return create_app(dict(app_config, SESAME_PROXY_HOPS=1)).test_client()


def test_behind_a_reverse_proxy_the_proxys_own_address_is_the_one_trusted(behind_one_proxy):
    # the proxy at 127.0.0.1 forwards a person at 203.0.113.9: X-Forwarded-For names the person
    forwarded = dict(HEADERS, **{"X-Forwarded-For": "203.0.113.9"})
    assert behind_one_proxy.get("/connexion/sso", headers=forwarded).status_code == 302


def test_behind_a_reverse_proxy_a_forged_forwarded_for_does_not_make_anyone_a_proxy(behind_one_proxy):
    # a person at 192.0.2.7, talking to Sésame directly, claims to be forwarded by 127.0.0.1
    forged = dict(HEADERS, **{"X-Forwarded-For": "127.0.0.1"})
    response = behind_one_proxy.get("/connexion/sso", headers=forged,
                                    environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert response.status_code == 403
