"""Servers of the fault suite's own, which it kills: a slapd with the demo data and a durable Redis."""
from __future__ import annotations

import base64

import pytest

from devtools.slapd import terminate
from devtools.embedded import EmbeddedRedis

from faults.helpers import Servers
from support import SEAL_KEY, SERVICE_DN, SERVICE_PASSWORD, SSO_SECRET, SUFFIX, demo_on_own_slapd


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    slapd, directory = demo_on_own_slapd(root / "slapd")
    redis = EmbeddedRedis(root / "redis", persist=True).start()
    config = {
        "TESTING": True, "SESAME_FAILED_SIGN_IN_DELAY": 0,
        "SESAME_SECRET_KEY": "faults-" + SERVICE_PASSWORD,
        "SESAME_LDAP_URL": slapd.ldap_url, "SESAME_LDAP_SUFFIX": SUFFIX, "SESAME_LDAP_BIND_DN": SERVICE_DN,
        "SESAME_LDAP_BIND_PASSWORD": SERVICE_PASSWORD, "SESAME_LDAP_TIMEOUT": 2,
        "SESAME_REDIS_URL": redis.url, "SESAME_SEAL_KEY": base64.b64encode(SEAL_KEY).decode(),
        "SESAME_SSO_SECRET": SSO_SECRET, "SESAME_FILES_DIR": str(root / "files"),
        "SESAME_SMTP_HOST": "127.0.0.1", "SESAME_SMTP_PORT": 9,
        # OWASP's minimum, as in production: a job of 120 accounts takes a few seconds
        "SESAME_ARGON2_TIME_COST": 2, "SESAME_ARGON2_MEMORY_COST": 19456, "SESAME_ARGON2_PARALLELISM": 1,
        "SESAME_JOB_HOLD_SECONDS": 3, "SESAME_JOB_SWEEP_SECONDS": 1, "SESAME_STAFF_TOTP": "off",
    }
    found = Servers(slapd, redis, directory, config, root)
    yield found
    for process in found.workers:
        terminate(process)
    directory.close()
    redis.stop()
    slapd.stop()


@pytest.fixture
def fresh(servers):
    """Each test starts with the servers up and nothing queued."""
    if servers.slapd.process is None:
        servers.slapd.start()
    if servers.redis.process is None:
        servers.redis.start()
    for process in servers.workers:
        terminate(process)
    servers.workers.clear()
    from redis import Redis
    Redis.from_url(servers.redis.url).flushdb()
    return servers


