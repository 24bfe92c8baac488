"""The SSO engine of the suite: LemonLDAP::NG (FastCGI server + nginx) on the suite's slapd, started once, with
the « service de démonstration » (an OpenID Connect client, Authlib) standing for a school service, and a Sésame
served on loopback as the staff's OpenID Connect client of the same engine and behind its handler."""
from __future__ import annotations

import contextlib
import dataclasses
import secrets
import socket
import threading
from types import SimpleNamespace

import pyotp
import pytest

from devtools.slapd import free_port, terminate
from directory.migrations import Migrator
from sso.demo_service import DemoService
from sso.engine import SsoEngine, local_settings, portal_url
from sso.lemonldap import CasService, GuardedConsole, OidcService, SamlService, StaffConsole
from support import SSO_SECRET, SUFFIX

CLIENT_ID = "service-demo"
CAS_SERVICE = "http://127.0.0.1:9/cas-service"       # a CAS service is only an address: nothing listens there
SAML_SP = "http://127.0.0.1:9/saml-sp"
SAML_METADATA = f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="{SAML_SP}">
 <md:SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
  <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
  <md:AssertionConsumerService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{SAML_SP}/acs" index="0"/>
 </md:SPSSODescriptor>
</md:EntityDescriptor>"""


@pytest.fixture(scope="session")
def sso_password(migrated, migration_settings):
    """The SSO engine's password, given to the directory as the migrations give it (SESAME_LDAP_SSO_PASSWORD)."""
    password = secrets.token_urlsafe(16)
    Migrator(dataclasses.replace(migration_settings, sso_password=password)).migrate(say=lambda _: None)
    return password


# The suite's names, resolved to loopback in this process as a deployment's DNS gives its own: the portal and
# Sésame behind the portal's handler are two hosts under one cookie domain, as auth.… and sesame.… are in production
DOMAIN = "sesame.test"
PORTAL_HOST, GUARDED_HOST = f"portail.{DOMAIN}", f"depannage.{DOMAIN}"


@contextlib.contextmanager
def names_on_loopback(domain: str):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if isinstance(host, str) and (host == domain or host.endswith("." + domain)):
            host = "127.0.0.1"
        return real(host, *args, **kwargs)
    socket.getaddrinfo = resolve
    try:
        yield
    finally:
        socket.getaddrinfo = real


# The staff's second factor at the engine, as the académie registered it; chef.clg has none there (Sésame asks
# its own), nor has a staff member a test makes
STAFF_TOTP = pyotp.TOTP(pyotp.random_base32())
WITH_SECOND_FACTOR = ("chef.lp", "chef.lyc", "admin.idt", "support.lp", "cpe.lp", "prof.lp", "secretariat.lp")
STAFF_CLIENT_ID = "sesame"


@pytest.fixture(scope="session")
def sso(slapd, demo_directory, sso_password, app_config):
    """The engine's portal (portail.sesame.test); the demo service that signs holders in through it; and `sesame`:
    a Sésame on loopback (`url`), the engine's OpenID Connect client for staff (SESAME_STAFF_TOTP `required`), also
    reached behind the engine's handler (`guarded`, depannage.sesame.test) as support staff may be in production."""
    from werkzeug.serving import make_server

    from webapp import create_app
    from webapp.auth.provider_client import client_uris
    secret, staff_secret = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    service_port, engine_port, sesame_port, guarded_port = free_port(), free_port(), free_port(), free_port()
    service = f"http://127.0.0.1:{service_port}/"
    sesame_url = f"http://127.0.0.1:{sesame_port}"
    app = create_app(dict(app_config, SESAME_PUBLIC_URL=sesame_url, SESAME_STAFF_TOTP="required",
                          SESAME_STAFF_OIDC_ISSUER=portal_url(engine_port, PORTAL_HOST).rstrip("/"),
                          SESAME_STAFF_OIDC_CLIENT_ID=STAFF_CLIENT_ID, SESAME_STAFF_OIDC_CLIENT_SECRET=staff_secret))
    server = make_server("127.0.0.1", sesame_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    engine = SsoEngine(local_settings(engine_port, slapd.ldap_url, SUFFIX, sso_password, [
        OidcService("servicedemo", "Service de démonstration", CLIENT_ID, secret, (f"{service}retour",)),
        SamlService("samlsp", SAML_METADATA), CasService("casservice", CAS_SERVICE)], host=PORTAL_HOST,
        cookie_domain=DOMAIN, staff_console=StaffConsole(STAFF_CLIENT_ID, staff_secret, **client_uris(sesame_url)),
        guarded_console=GuardedConsole(GUARDED_HOST, sesame_url, SSO_SECRET, listen=f"127.0.0.1:{guarded_port}")))
    try:
        with names_on_loopback(DOMAIN):
            engine.start()
            for uid in WITH_SECOND_FACTOR:
                engine.register_totp(uid, STAFF_TOTP.secret)
            with DemoService(engine.url, CLIENT_ID, secret, service_port) as demo:
                yield SimpleNamespace(engine=engine, service=demo, client_secret=secret, cas_service=CAS_SERVICE,
                                      sesame=SimpleNamespace(url=sesame_url, app=app,
                                                             guarded=f"http://{GUARDED_HOST}:{guarded_port}",
                                                             client_id=STAFF_CLIENT_ID, client_secret=staff_secret),
                                      totp=STAFF_TOTP)
    finally:                # whatever failed on the way: nothing of the engine is left running
        engine.stop()
        server.shutdown()


@pytest.fixture(scope="session")
def follower(demo_directory, app_config):
    """The follower process, as the Procfile runs it, looking every half second."""
    import subprocess
    import sys

    from support import ROOT, worker_environment
    process = subprocess.Popen([sys.executable, "-m", "webapp.follower"], cwd=ROOT,
                               env=worker_environment(app_config, SESAME_FOLLOW_SECONDS=0.5),
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    yield process
    terminate(process)


@pytest.fixture(scope="session")
def portal_browser(playwright, tmp_path_factory):
    """Debian's Chromium (tests/browser's flags, fr-FR) resolving the suite's names to loopback as the tests'
    process does."""
    from browser.conftest import CHROMIUM, CHROMIUM_ARGS
    context = playwright.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium-portal")), executable_path=CHROMIUM, headless=True, locale="fr-FR",
        args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP *.{DOMAIN} 127.0.0.1"])
    yield context
    context.close()
