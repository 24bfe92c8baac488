"""Staff sign in to Sésame through the institution's provider (the suite's LemonLDAP::NG): OpenID Connect with the
provider's second factor, or Sésame's own when the provider gave none; support staff behind the provider's handler
too; every forged or replayed token opens nothing; signing out ends both sessions, whichever side it starts on.
The issue's « Must show », sentence by sentence."""
import html
import logging
import re
import time
from datetime import datetime, timedelta, timezone

import pyotp
import pytest
import requests

from directory import attributes as A
from directory.passwords import Sealer
from directory.second_factor import SecondFactors
from parametrage import delegation_in_directory, delegations  # noqa: F401 - the fixture removes the delegations made
from sso.holder import Holder, Page
from support import DEMO_PASSWORD, SEAL_KEY, SSO_SECRET, csrf_token, own_staff_member, remove_entry
from sso_tampering import TamperingProxy
from webapp.auth import provider as provider_views

LP = "0990002P"
RETURN = "/connexion/portail/retour"


def _text(page: Page | str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page if isinstance(page, str) else page.text)).split())


def _through_the_provider(sso, uid: str, person: Holder | None = None, stop_at: str | None = None):
    """The person clicks « Se connecter avec le portail de l'académie », signs in at the portal (with the code
    of their authenticator app when the portal asks for it): (the person's browser, the page they end on)."""
    person = person or Holder(uid, DEMO_PASSWORD)
    page = person.go(f"{sso.sesame.url}/connexion/portail", stop_at=stop_at)
    if page.form == "lform":
        page = person.sign_in(page, stop_at=stop_at)
    if page.form == "totp":
        page = person.second_factor(page, sso.totp.now(), stop_at=stop_at)
    return person, page


def _signed_in(sso, person: Holder, path: str = "/eleves") -> bool:
    return person.http.get(f"{sso.sesame.url}{path}", allow_redirects=False).status_code == 200


def _sesame_cookie(person: Holder) -> str | None:
    return next((c.value for c in person.http.cookies if c.name == "sesame"), None)


@pytest.mark.parametrize("uid, shown", [
    ("chef.lp", [f"{LP} LP Métiers Auguste Perret", "Administration des comptes", "Paramétrage"]),
    ("admin.idt", ["Alimentation", "Administration des comptes"]),
    ("support.lp", ["Dépannage des comptes élèves", f"{LP} LP Métiers Auguste Perret"]),
])
def test_staff_sign_in_through_the_provider_with_its_second_factor_and_sesame_asks_for_no_other(
        sso, uid, shown, caplog, redis_server):
    """SESAME_STAFF_TOTP is `required` and none of them enrolled in Sésame: had the provider's `amr` not said
    « mfa », Sésame would have asked them to enroll before anything."""
    from redis import Redis
    caplog.set_level(logging.INFO)
    person = Holder(uid, DEMO_PASSWORD)
    page = person.go(f"{sso.sesame.url}/connexion/portail", stop_at=sso.engine.url)
    assert page.url.startswith(f"{sso.engine.url}oauth2/authorize?")
    asked = page.url
    for wanted in ("response_type=code", "code_challenge_method=S256", "code_challenge=", "state=", "nonce=",
                   "client_id=sesame"):
        assert wanted in asked, wanted
    before = _sesame_cookie(person)
    _, back = _through_the_provider(sso, uid, person, stop_at=sso.sesame.url + RETURN)
    code = re.search(r"[?&]code=([^&]+)", back.url).group(1)
    home = person.go(back.url)
    assert home.url == f"{sso.sesame.url}/" and home.status == 200
    for text in shown:
        assert text in _text(home), text
    assert "Double authentification" not in _text(home)       # Sésame's own factor is not even offered
    after = _sesame_cookie(person)
    assert after and after != before                          # the session id was renewed at sign-in
    assert not Redis.from_url(redis_server.url).exists(f"sesame:session:{before}")
    if uid == "support.lp":
        assert "Dépannage des comptes élèves" in _text(person.go(f"{sso.sesame.url}/eleves"))
    # nothing of the code or the tokens in Sésame's log lines (werkzeug's are the test server's own)
    lines = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug"))
    assert "/connexion/portail/retour" in lines and code not in lines and "eyJ" not in lines


def test_without_the_providers_second_factor_sesame_asks_its_own(sso, demo_directory):
    """A head with no second factor at the provider (`amr` says only « pwd »): Sésame asks its own code, as
    after a password, and the session is the provider's once the code is given."""
    dn = own_staff_member(demo_directory, "chef.sansfacteur", DEMO_PASSWORD, head_of="0990001N")
    secret = pyotp.random_base32()
    SecondFactors(demo_directory, Sealer(SEAL_KEY)).enroll(dn, secret, [])
    try:
        person, page = _through_the_provider(sso, "chef.sansfacteur")
        assert page.url == f"{sso.sesame.url}/connexion/code" and page.status == 200
        assert not _signed_in(sso, person)
        posted = person.go(page.url, {"csrf_token": csrf_token(page.text), "code": pyotp.TOTP(secret).now()})
        assert posted.url == f"{sso.sesame.url}/" and "0990001N" in _text(posted)
        journal = _text(person.go(f"{sso.sesame.url}/journal"))
        assert "connexion de chef.sansfacteur (par le portail de l'académie)" in journal
    finally:
        remove_entry(demo_directory, dn)


def test_a_delegate_signed_in_through_the_provider_loses_access_on_the_request_after_the_delegation_ends(
        sso, demo_directory, delegations):
    delegation_in_directory(demo_directory, "provider0delegate", "secretariat.lp", "HEAD",
                            datetime.now(timezone.utc) + timedelta(days=1))
    person, page = _through_the_provider(sso, "secretariat.lp")
    assert page.url == f"{sso.sesame.url}/" and _signed_in(sso, person, "/responsables")
    delegations.end(LP, "provider0delegate", "chef.lp")
    after = person.http.get(f"{sso.sesame.url}/responsables", allow_redirects=False)
    assert after.status_code == 302 and "/connexion" in after.headers["Location"]
    assert "Vos droits dans Sésame ont pris fin" in _text(person.go(sso.sesame.url + after.headers["Location"]))
    assert not _signed_in(sso, person, "/")


def test_support_staff_reach_depannage_behind_the_providers_handler_and_a_header_forged_by_the_client_is_ignored(
        sso, demo_directory):
    """LemonLDAP::NG's handler in front of Sésame (nginx `auth_request`) names the person to Sésame itself:
    a client's own `X-Remote-User` (or `X_Remote_User`), even with the right secret, never reaches Sésame."""
    dn = own_staff_member(demo_directory, "support.essai28", DEMO_PASSWORD, head_of=None)
    demo_directory.writes.run(lambda conn: conn.modify(dn, {A.SUPPORT_FOR: [("MODIFY_ADD", [LP])]}))
    forged = {"X-Remote-User": "support.essai28", "X_Remote_User": "support.essai28",
              "X-Sesame-Proxy-Secret": SSO_SECRET}
    try:
        nobody = requests.Session()
        nobody.headers.update(forged)
        refused = nobody.get(f"{sso.sesame.guarded}/connexion/sso", allow_redirects=False)
        assert refused.status_code == 302 and refused.headers["Location"].startswith(sso.engine.url)
        assert not _sesame_cookie(Holder("", "", nobody))      # Sésame never saw that request
        person = Holder("support.lp", DEMO_PASSWORD)
        person.http.headers.update(forged)
        page = person.sign_in(person.go(f"{sso.sesame.guarded}/connexion/sso"))
        assert page.form == "totp"                             # the handler asks the portal's second factor
        page = person.second_factor(page, sso.totp.now())
        assert page.url == f"{sso.sesame.guarded}/" and "Thomas Garnier" in _text(page)
        depannage = _text(person.go(f"{sso.sesame.guarded}/eleves"))
        assert "Dépannage des comptes élèves" in depannage and "Thomas Garnier" in depannage
        assert "support.essai28" not in depannage
    finally:
        remove_entry(demo_directory, dn)


def _resigned(claims: dict, key_pem: str, kid: str, **changes):
    from joserfc import jwt
    from joserfc.jwk import RSAKey
    return jwt.encode({"alg": "RS256", "kid": kid, "typ": "JWT"}, {**claims, **changes}, RSAKey.import_key(key_pem))


def _claims(token: str) -> dict:
    import base64
    import json
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def _unsigned(claims: dict) -> str:
    import base64
    import json

    def part(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."


def _forgeries(sso):
    """name -> what the man in the middle gives Sésame instead of the provider's genuine ID token."""
    from joserfc import jwt
    from joserfc.jwk import OctKey

    from sso.lemonldap import key_id, signing_pair
    settings = sso.engine.settings
    provider_key, kid = settings.signing_key_pem, key_id(settings)
    own_key, _ = signing_pair("Pas le portail")
    now = int(time.time())
    return {
        "signé d'une autre clé": lambda t: _resigned(_claims(t), own_key, kid),
        # without `at_hash` too (an attacker leaves out what they cannot compute), so only the signature can tell
        "sans signature": lambda t: _unsigned({k: v for k, v in _claims(t).items() if k != "at_hash"}),
        "signé du secret du client": lambda t: jwt.encode({"alg": "HS256", "kid": kid}, _claims(t),
                                                          OctKey.import_key(sso.sesame.client_secret)),
        "pour un autre service": lambda t: _resigned(_claims(t), provider_key, kid, aud=["service-demo"]),
        "expiré": lambda t: _resigned(_claims(t), provider_key, kid, iat=now - 900, exp=now - 600),
        "d'un autre émetteur": lambda t: _resigned(_claims(t), provider_key, kid, iss="http://127.0.0.1:9"),
        "absent": lambda t: None,
    }


@pytest.mark.parametrize("forgery", ["signé d'une autre clé", "sans signature", "signé du secret du client",
                                     "pour un autre service", "expiré", "d'un autre émetteur", "absent", "rejoué"])
def test_a_forged_or_replayed_id_token_opens_nothing(sso, monkeypatch, forgery):
    """Between Sésame and its provider, a man in the middle answers the token request with another ID token:
    Sésame refuses each one in French and opens nothing."""
    with TamperingProxy() as proxy:
        for name in ("HTTP_PROXY", "http_proxy"):
            monkeypatch.setenv(name, proxy.url)
        for name in ("NO_PROXY", "no_proxy"):
            monkeypatch.delenv(name, raising=False)
        if forgery == "rejoué":          # a genuine ID token of an earlier sign-in (another nonce), given again
            earlier, page = _through_the_provider(sso, "chef.lp")
            assert page.url == f"{sso.sesame.url}/" and len(proxy.seen) == 1
            genuine = proxy.seen[0]
            proxy.replace = lambda t: genuine
        else:
            proxy.replace = _forgeries(sso)[forgery]
        person, page = _through_the_provider(sso, "chef.lp")
        assert proxy.seen, "the token request went through the man in the middle"
        assert page.status == 401 and page.url.startswith(f"{sso.sesame.url}{RETURN}?"), (page.status, page.url)
        assert provider_views.TOKEN_REFUSED in _text(page)
        assert not _signed_in(sso, person, "/")


def test_a_wrong_state_or_a_return_replayed_elsewhere_opens_nothing(sso):
    person, back = _through_the_provider(sso, "chef.lp", stop_at=sso.sesame.url + RETURN)
    state = re.search(r"[?&]state=([^&]+)", back.url).group(1)
    wrong = person.go(back.url.replace(f"state={state}", f"state={state[:-2]}xy"))
    assert wrong.status == 400 and provider_views.STATE_REFUSED in _text(wrong)
    assert not _signed_in(sso, person, "/")
    elsewhere = Holder("", "")                                  # the return address seen, used in another browser
    replayed = elsewhere.go(back.url)
    assert replayed.status == 400 and provider_views.STATE_REFUSED in _text(replayed)
    assert not _signed_in(sso, elsewhere, "/")
    assert person.go(back.url).url == f"{sso.sesame.url}/" and _signed_in(sso, person, "/")    # the genuine one
    again = Holder("", "")
    assert again.go(back.url).status == 400                     # and once used, never again


@pytest.mark.parametrize("case", ["removed from the directory", "no right in Sésame"])
def test_someone_the_provider_knows_but_the_directory_does_not_is_refused_in_french(sso, demo_directory, case):
    if case == "no right in Sésame":
        person, page = _through_the_provider(sso, "secretariat.lp")
    else:
        dn = own_staff_member(demo_directory, "chef.essai28", DEMO_PASSWORD)
        try:
            person = Holder("chef.essai28", DEMO_PASSWORD)
            portal = person.sign_in(person.go(sso.engine.url))      # signed in at the portal first
            assert portal.form != "lform" and portal.status == 200
        finally:
            remove_entry(demo_directory, dn)                        # then gone from the directory
        person, page = _through_the_provider(sso, "chef.essai28", person)
    assert page.status == 403 and provider_views.UNKNOWN in _text(page)
    assert not _signed_in(sso, person, "/")


def test_signing_out_of_sesame_ends_the_providers_session(sso):
    person, page = _through_the_provider(sso, "chef.lp")
    assert page.url == f"{sso.sesame.url}/"
    out = person.go(f"{sso.sesame.url}/deconnexion", {"csrf_token": csrf_token(page.text)})
    assert out.url == f"{sso.sesame.url}/connexion"
    assert "Vous êtes déconnecté de Sésame et du portail de l'académie." in _text(out)
    assert not _signed_in(sso, person, "/")
    assert person.go(sso.engine.url).form == "lform"           # the portal asks who again
    again = person.go(f"{sso.sesame.url}/connexion/portail")
    assert again.form == "lform"                               # and so does Sésame's button


def test_a_back_channel_logout_from_the_provider_ends_sesames_session(sso):
    person, page = _through_the_provider(sso, "chef.lp")
    other, _ = _through_the_provider(sso, "admin.idt")          # someone else's session stays
    assert _signed_in(sso, person) and _signed_in(sso, other)
    assert person.go(f"{sso.engine.url}?logout=1").status == 200   # signed out at the portal itself
    after = person.http.get(f"{sso.sesame.url}/eleves", allow_redirects=False)
    assert after.status_code == 302 and "/connexion" in after.headers["Location"]
    assert _signed_in(sso, other)


def _logout_token(sso, key_pem: str, **changes) -> str:
    import secrets

    from sso.lemonldap import key_id
    now = int(time.time())
    claims = {"iss": sso.engine.url.rstrip("/"), "aud": sso.sesame.client_id, "sub": "chef.lp", "iat": now,
              "exp": now + 120, "jti": secrets.token_urlsafe(16),
              "events": {"http://schemas.openid.net/event/backchannel-logout": {}}, **changes}
    from joserfc import jwt
    from joserfc.jwk import RSAKey
    return jwt.encode({"alg": "RS256", "kid": key_id(sso.engine.settings), "typ": "logout+jwt"}, claims,
                      RSAKey.import_key(key_pem))


def test_a_logout_token_ends_sessions_only_signed_by_the_provider_and_only_once(sso):
    from sso.lemonldap import signing_pair
    url = f"{sso.sesame.url}/connexion/portail/deconnexion"
    person, _ = _through_the_provider(sso, "chef.lp")
    own_key, _ = signing_pair("Pas le portail")
    for forged in (_logout_token(sso, own_key), _logout_token(sso, sso.engine.settings.signing_key_pem, aud="autre"),
                   _logout_token(sso, sso.engine.settings.signing_key_pem, nonce="n"), "pas-un-jeton"):
        answer = requests.post(url, data={"logout_token": forged})
        assert answer.status_code == 400 and answer.json()["error"] == "invalid_request"
        assert _signed_in(sso, person)
    genuine = _logout_token(sso, sso.engine.settings.signing_key_pem)
    assert requests.post(url, data={"logout_token": genuine}).status_code == 200
    assert not _signed_in(sso, person)
    again, _ = _through_the_provider(sso, "chef.lp")
    replayed = requests.post(url, data={"logout_token": genuine})
    assert replayed.status_code == 400 and "déjà reçu" in replayed.json()["error_description"]
    assert _signed_in(sso, again)


def test_the_portals_pages_read_in_french_without_javascript(sso):
    """What a browser without JavaScript shows is the HTML as sent: the portal's title, its footer and the page of
    a refused code are in French there too (LemonLDAP::NG's own words are put in place by its scripts)."""
    person = Holder("chef.lp", DEMO_PASSWORD)
    page = person.go(f"{sso.sesame.url}/connexion/portail")
    assert page.form == "lform"
    for shown in (page, person.sign_in(page)):
        assert "<title>Portail de connexion de l'académie</title>" in shown.text
        assert 'lang="fr"' in shown.text
        assert "Service provided by" not in shown.text and "free software" not in shown.text
        assert "logiciel libre" in _text(shown)
    refused = person.second_factor(person.sign_in(person.go(f"{sso.sesame.url}/connexion/portail")), "000000")
    said = _text(refused.text.replace("<noscript>", "").replace("</noscript>", ""))
    assert "Le portail n'a pas accepté" in said and "Go to portal" not in refused.text
    assert "Recommencer" in said
