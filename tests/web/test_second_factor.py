"""The staff's TOTP second factor: enrolled with a QR code at first sign-in when required, then asked at
every sign-in; recovery codes work once; codes are limited like passwords; support staff never asked."""
import html
import re
import time

import pyotp
import pytest

from directory.passwords import Sealer
from directory.second_factor import SecondFactors
from support import SEAL_KEY, csrf_token, sign_in, through_the_proxy


@pytest.fixture
def required(app, demo_directory):
    app.config["SESAME_STAFF_TOTP"] = "required"
    factors = SecondFactors(demo_directory, Sealer(SEAL_KEY))
    yield factors
    for uid in ("chef.lp", "admin.idt"):
        factors.remove(demo_directory.staff(uid).dn)   # demo staff are shared: leave them as found


def _post(client, url, data):
    return client.post(url, data={"csrf_token": csrf_token(client.get(url).get_data(as_text=True)), **data})


def _enroll(client, uid="chef.lp"):
    """Sign in, scan (read the key off the page), type the code: the recovery codes, and the secret."""
    answer = sign_in(client, uid)
    assert answer.status_code == 302 and answer.headers["Location"] == "/connexion/second-facteur"
    page = client.get("/connexion/second-facteur").get_data(as_text=True)
    assert '<img src="data:image/svg+xml' in page and "QR code" in page
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    posted = _post(client, "/connexion/second-facteur", {"code": pyotp.TOTP(secret).now()})
    assert posted.status_code == 303 and posted.headers["Location"] == "/connexion/codes-de-secours"
    done = client.get("/connexion/codes-de-secours")
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([A-Z0-9-]{14})</code></li>", done.get_data(as_text=True))
    assert len(codes) == 10
    again = client.get("/connexion/codes-de-secours")           # a reload: shown once, then gone
    assert again.status_code == 302 and not re.findall(r"<li><code>", again.get_data(as_text=True))
    return secret, codes


def _sign_out(client):
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/deconnexion", data={"csrf_token": token}).status_code == 302


def test_chef_lp_enrolls_signs_out_and_cannot_sign_in_again_without_the_code(app, required):
    client = app.test_client()
    secret, codes = _enroll(client)
    assert client.get("/").status_code == 200            # signed in once enrolled
    assert client.get("/connexion/code").headers["Location"] == "/", "the back button keeps the session"
    assert client.get("/").status_code == 200
    _sign_out(client)

    again = sign_in(client, "chef.lp")
    assert again.status_code == 302 and again.headers["Location"] == "/connexion/code"
    assert client.get("/").status_code == 302            # the password alone opens nothing
    assert client.get("/eleves").status_code == 302
    wrong = _post(client, "/connexion/code", {"code": "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"})
    assert wrong.status_code == 401 and "Code incorrect" in html.unescape(wrong.get_data(as_text=True))
    assert client.get("/").status_code == 302
    # the enrolment spent this step's code: the next one, as the phone shows it a moment later
    right = _post(client, "/connexion/code", {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert right.status_code == 302 and client.get("/").status_code == 200


def test_a_code_is_good_once(app, required):
    client = app.test_client()
    secret, _ = _enroll(client)
    _sign_out(client)
    code = pyotp.TOTP(secret).at(time.time() + 30)
    sign_in(client, "chef.lp")
    assert _post(client, "/connexion/code", {"code": code}).status_code == 302
    _sign_out(client)
    sign_in(client, "chef.lp")
    assert _post(client, "/connexion/code", {"code": code}).status_code == 401


def test_a_recovery_code_replaces_the_code_once(app, required):
    client = app.test_client()
    _, codes = _enroll(client)
    _sign_out(client)
    sign_in(client, "chef.lp")
    used = _post(client, "/connexion/code", {"code": codes[0].lower()})
    assert used.status_code == 302
    assert "il vous en reste 9" in html.unescape(client.get("/").get_data(as_text=True))
    _sign_out(client)
    sign_in(client, "chef.lp")
    assert _post(client, "/connexion/code", {"code": codes[0]}).status_code == 401


def test_code_attempts_are_limited_like_passwords(app, required):
    client = app.test_client()
    secret, _ = _enroll(client)
    _sign_out(client)
    sign_in(client, "chef.lp")
    wrong = "000000" if pyotp.TOTP(secret).now() != "000000" else "111111"
    statuses = [_post(client, "/connexion/code", {"code": wrong}).status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    stopped = _post(client, "/connexion/code", {"code": pyotp.TOTP(secret).at(time.time() + 30)})
    assert stopped.status_code == 429
    assert "Trop de codes incorrects" in html.unescape(stopped.get_data(as_text=True))   # not « mot de passe »


def test_a_password_alone_cannot_replace_an_enrolled_factor(app, required):
    client = app.test_client()
    _enroll(client)
    _sign_out(client)
    sign_in(client, "chef.lp")
    assert client.get("/connexion/second-facteur").headers["Location"] == "/connexion/code"


def test_the_secret_is_readable_by_the_service_only(app, required, slapd, demo_directory):
    import ldap3
    from directory import attributes as A
    from support import DEMO_PASSWORD
    _enroll(app.test_client())
    dn = demo_directory.staff("chef.lp").dn
    me = ldap3.Connection(ldap3.Server(slapd.ldap_url), dn, DEMO_PASSWORD, auto_bind=True)
    me.search(dn, "(objectClass=*)", ldap3.BASE, attributes=[A.TOTP_SECRET, A.TOTP_RECOVERY, A.CN])
    assert me.entries and not me.entries[0].entry_attributes_as_dict.get(A.TOTP_SECRET)
    assert not me.entries[0].entry_attributes_as_dict.get(A.TOTP_RECOVERY)
    assert required.read(dn).secret is not None


def test_optional_asks_the_enrolled_only(app, required):
    app.config["SESAME_STAFF_TOTP"] = "optional"
    assert sign_in(app.test_client(), "admin.idt").headers["Location"] == "/"
    app.config["SESAME_STAFF_TOTP"] = "required"
    _enroll(app.test_client(), "admin.idt")
    app.config["SESAME_STAFF_TOTP"] = "optional"
    assert sign_in(app.test_client(), "admin.idt").headers["Location"] == "/connexion/code"


def test_support_staff_get_no_second_factor_here(app, required):
    client = app.test_client()
    assert through_the_proxy(client).status_code == 302
    assert client.get("/").status_code == 200
    assert client.get("/connexion/second-facteur").status_code == 404


def test_a_signed_in_head_enrolls_from_the_header_when_optional(app, required):
    app.config["SESAME_STAFF_TOTP"] = "optional"
    client = app.test_client()
    assert sign_in(client, "chef.lp").headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert 'href="/connexion/second-facteur">Double authentification<' in page
    enrol = client.get("/connexion/second-facteur").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', enrol).group(1).replace(" ", "")
    assert _post(client, "/connexion/second-facteur", {"code": pyotp.TOTP(secret).now()}).headers["Location"] == "/connexion/codes-de-secours"
    assert "est activée" in client.get("/connexion/second-facteur").get_data(as_text=True)
    _sign_out(client)
    assert sign_in(client, "chef.lp").headers["Location"] == "/connexion/code"


def test_the_identity_team_removes_a_lost_factor_from_the_command_line(app, required):
    client = app.test_client()
    _enroll(client, "admin.idt")
    _sign_out(client)
    result = app.test_cli_runner().invoke(args=["directory", "remove-second-factor", "admin.idt"])
    assert result.exit_code == 0, result.output
    assert sign_in(app.test_client(), "admin.idt").headers["Location"] == "/connexion/second-facteur"
