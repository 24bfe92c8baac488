"""The SSO engine of the suite: LemonLDAP::NG (FastCGI server + nginx) on the suite's slapd, started once, with
the « service de démonstration » (an OpenID Connect client, Authlib) standing for a school service."""
from __future__ import annotations

import dataclasses
import secrets
from types import SimpleNamespace

import pytest

from devtools.slapd import free_port, terminate
from directory.migrations import Migrator
from sso.demo_service import DemoService
from sso.engine import SsoEngine, local_settings
from sso.lemonldap import CasService, OidcService, SamlService
from support import SUFFIX

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


@pytest.fixture(scope="session")
def sso(slapd, demo_directory, sso_password):
    """(engine, service): the engine's portal and the demo service that signs holders in through it."""
    secret = secrets.token_urlsafe(24)
    service_port, engine_port = free_port(), free_port()
    service = f"http://127.0.0.1:{service_port}/"
    engine = SsoEngine(local_settings(engine_port, slapd.ldap_url, SUFFIX, sso_password, [
        OidcService("servicedemo", "Service de démonstration", CLIENT_ID, secret, (f"{service}retour",)),
        SamlService("samlsp", SAML_METADATA), CasService("casservice", CAS_SERVICE)]))
    engine.start()
    demo = DemoService(engine.url, CLIENT_ID, secret, service_port).start()
    yield SimpleNamespace(engine=engine, service=demo, client_secret=secret, cas_service=CAS_SERVICE)
    demo.stop()
    engine.stop()


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
