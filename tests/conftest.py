"""The real servers the suite runs against: one private slapd and one Redis for the whole session."""
from __future__ import annotations

import base64
import secrets
from pathlib import Path

import pytest

from directory.connection import DirectorySettings
from devtools.slapd import EmbeddedSlapd, terminate
from directory.migrations import MigrationSettings, Migrator
from directory.repository import Directory
from devtools.embedded import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent

from support import (AccountFactory, ARGON2, SEAL_KEY, SERVICE_DN, SERVICE_PASSWORD, SSO_SECRET, SUFFIX,
                     sign_in, start_worker)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory):
    server = EmbeddedSlapd(tmp_path_factory.mktemp("slapd"), SUFFIX)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    with EmbeddedRedis(tmp_path_factory.mktemp("redis"), persist=False) as server:
        yield server


@pytest.fixture(scope="session")
def migration_settings(slapd):
    return MigrationSettings(url=slapd.ldapi_url, suffix=SUFFIX, service_dn=SERVICE_DN,
                             service_password=SERVICE_PASSWORD, migrator_dn=slapd.manager_dn,
                             argon2=ARGON2)


@pytest.fixture(scope="session")
def migrated(slapd, migration_settings):
    Migrator(migration_settings).migrate(say=lambda _: None)
    return slapd


@pytest.fixture(scope="session")
def directory_settings(slapd):
    return DirectorySettings(url=slapd.ldap_url, suffix=SUFFIX, bind_dn=SERVICE_DN,
                             bind_password=SERVICE_PASSWORD)


@pytest.fixture(scope="session")
def demo_directory(migrated, directory_settings):
    """The directory with the demo data of SPEC §11 loaded, as `make run` has it."""
    from devtools.demo_load import load_demo_offline
    directory = Directory(directory_settings)
    load_demo_offline(directory, SEAL_KEY, migrated)
    yield directory
    directory.close()


@pytest.fixture(scope="session")
def mail_sink(tmp_path_factory):
    """A real SMTP server on loopback; the app sends to it as to any relay."""
    from devtools.mailsink import MailSink
    with MailSink(tmp_path_factory.mktemp("mail")) as sink:
        yield sink


@pytest.fixture(scope="session")
def app_config(slapd, redis_server, mail_sink, tmp_path_factory):
    return {
        "SESAME_FAILED_SIGN_IN_DELAY": 0,     # measured nowhere here; its presence is tested apart
        "SESAME_SMTP_HOST": "127.0.0.1",
        "SESAME_SMTP_PORT": mail_sink.port,
        "SESAME_FILES_DIR": str(tmp_path_factory.mktemp("files")),
        "TESTING": True,
        "SESAME_SECRET_KEY": secrets.token_urlsafe(32),
        "SESAME_LDAP_URL": slapd.ldap_url,
        "SESAME_LDAP_SUFFIX": SUFFIX,
        "SESAME_LDAP_BIND_DN": SERVICE_DN,
        "SESAME_LDAP_BIND_PASSWORD": SERVICE_PASSWORD,
        "SESAME_LDAP_ADMIN_URL": slapd.ldapi_url,
        "SESAME_LDAP_MIGRATOR_DN": slapd.manager_dn,
        "SESAME_REDIS_URL": redis_server.url,
        "SESAME_SEAL_KEY": base64.b64encode(SEAL_KEY).decode(),
        "SESAME_SSO_SECRET": SSO_SECRET,
        "SESAME_STAFF_TOTP": "off",           # its own tests turn it on
        "SESAME_ARGON2_TIME_COST": ARGON2[0],
        "SESAME_ARGON2_MEMORY_COST": ARGON2[1],
        "SESAME_ARGON2_PARALLELISM": ARGON2[2],
    }


@pytest.fixture
def app(demo_directory, app_config, redis_server):
    from redis import Redis

    from webapp import create_app
    connection = Redis.from_url(redis_server.url)
    for pattern in ("sesame:session:*", "sesame:limit:*", "sesame:selection:*", "sesame:totp:*",
                    "sesame:figures:*"):
        keys = list(connection.scan_iter(pattern))
        if keys:
            connection.delete(*keys)   # each test starts signed out, unthrottled, nothing selected
    return create_app(dict(app_config))


@pytest.fixture
def client(app):
    return app.test_client()



@pytest.fixture
def signed_in(client):
    """A client signed in as the given demo staff member: `signed_in("chef.lp")`."""
    def sign(uid: str):
        response = sign_in(client, uid)
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return sign


@pytest.fixture
def make_account(demo_directory):
    """`make_account.student(AccountState.NOTIFIED)`: an account of the test's own, removed after it."""
    with AccountFactory(demo_directory) as factory:
        yield factory


@pytest.fixture(scope="session")
def worker(demo_directory, app_config):
    process = start_worker(app_config)
    yield process
    terminate(process)
