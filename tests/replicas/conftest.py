"""A provider and a consumer of the suite's own, set up by the migrations as README « Plusieurs serveurs »
says; the consumer replicates through a proxy that can hold it back."""
from __future__ import annotations

import base64
import os
import secrets
import signal
import time
from dataclasses import dataclass

import pytest

from directory.connection import DirectorySettings
from devtools.demo_load import load_demo_offline
from devtools.slapd import EmbeddedSlapd, terminate
from directory.migrations import MigrationSettings, Migrator
from directory.replicas import has_reached
from directory.repository import Directory
from devtools.embedded import EmbeddedRedis

from faults.ldap_proxy import LdapProxy
from support import ARGON2, SEAL_KEY, SERVICE_DN, SERVICE_PASSWORD, SSO_SECRET, SUFFIX, start_worker

REPLICATOR_PASSWORD = secrets.token_urlsafe(16)   # read it from `Replicas`: a test importing this module anew gets another


def migration_settings(server: EmbeddedSlapd, replicate_from: str = "") -> MigrationSettings:
    return MigrationSettings(url=server.ldapi_url, suffix=SUFFIX, service_dn=SERVICE_DN,
                             service_password=SERVICE_PASSWORD, migrator_dn=server.manager_dn, argon2=ARGON2,
                             replicator_password=REPLICATOR_PASSWORD, replicate_from=replicate_from)


@dataclass
class Replicas:
    provider: EmbeddedSlapd
    consumer: EmbeddedSlapd
    link: LdapProxy               # the consumer's syncrepl goes through it: `hold()` it to make it lag
    directory: Directory          # the app's view: writes to the provider, reads from the consumer
    config: dict
    worker: object = None
    replicator_password: str = REPLICATOR_PASSWORD

    def consumer_migration(self) -> MigrationSettings:
        """What the consumer was migrated with."""
        return migration_settings(self.consumer, replicate_from=self.link.url)

    def wait_until_caught_up(self, timeout: float = 15.0) -> None:
        """Until the consumer's contextCSN has reached the provider's."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            provider = self.directory.reads.provider_state()
            if has_reached(self.directory.reads.consumer_states()[0], provider):
                return
            time.sleep(0.05)
        raise AssertionError(f"the consumer did not catch up within {timeout} s")

    def kill_consumer(self) -> None:
        os.killpg(self.consumer.process.pid, signal.SIGKILL)
        self.consumer.process.wait()
        self.consumer.process = None

    def start_worker(self) -> None:
        """A real worker on the provider and the consumer, like the web app (one at a time)."""
        if self.worker is None or self.worker.poll() is not None:
            self.worker = start_worker(self.config)

    def stop_worker(self) -> None:
        terminate(self.worker)
        self.worker = None

    def ensure_up(self) -> None:
        """Both servers running and the link flowing, whatever the previous test stopped."""
        self.link.release()
        for server in (self.provider, self.consumer):
            if server.process is None:
                server.start()
        self.wait_until_caught_up()


@pytest.fixture(scope="package")
def replicas(tmp_path_factory):
    root = tmp_path_factory.mktemp("replicas")
    provider = EmbeddedSlapd(root / "provider", SUFFIX).start()
    Migrator(migration_settings(provider)).migrate(say=lambda _: None)
    link = LdapProxy(provider.port)
    consumer = EmbeddedSlapd(root / "consumer", SUFFIX).start()
    Migrator(migration_settings(consumer, replicate_from=link.url)).migrate(say=lambda _: None)
    settings = DirectorySettings(url=provider.ldap_url, suffix=SUFFIX, bind_dn=SERVICE_DN,
                                 bind_password=SERVICE_PASSWORD, read_urls=(consumer.ldap_url,), timeout=2)
    directory = Directory(settings)
    load_demo_offline(directory, SEAL_KEY, provider)   # slapadd, then the consumer fills by replication
    redis = EmbeddedRedis(root / "redis", persist=False).start()
    config = {
        "TESTING": True, "SESAME_FAILED_SIGN_IN_DELAY": 0, "SESAME_STAFF_TOTP": "off",
        "SESAME_SECRET_KEY": secrets.token_urlsafe(32),
        "SESAME_LDAP_URL": provider.ldap_url, "SESAME_LDAP_READ_URLS": (consumer.ldap_url,),
        "SESAME_LDAP_SUFFIX": SUFFIX, "SESAME_LDAP_BIND_DN": SERVICE_DN,
        "SESAME_LDAP_BIND_PASSWORD": SERVICE_PASSWORD, "SESAME_LDAP_TIMEOUT": 2,
        "SESAME_REDIS_URL": redis.url, "SESAME_SEAL_KEY": base64.b64encode(SEAL_KEY).decode(),
        "SESAME_SSO_SECRET": SSO_SECRET, "SESAME_FILES_DIR": str(root / "files"),
        "SESAME_SMTP_HOST": "127.0.0.1", "SESAME_SMTP_PORT": 9,
        "SESAME_ARGON2_TIME_COST": ARGON2[0], "SESAME_ARGON2_MEMORY_COST": ARGON2[1],
        "SESAME_ARGON2_PARALLELISM": ARGON2[2],
    }
    found = Replicas(provider, consumer, link, directory, config)
    found.wait_until_caught_up(30)
    yield found
    terminate(found.worker)
    directory.close()
    link.close()
    redis.stop()
    consumer.stop()
    provider.stop()


@pytest.fixture
def servers(replicas):
    replicas.ensure_up()
    return replicas


@pytest.fixture
def app(servers):
    from webapp import create_app
    return create_app(dict(servers.config))
