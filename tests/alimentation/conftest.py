"""Servers of the « Alimentation » apply tests' own: an import changes the demo directory, which the rest of
the suite counts on, so these tests apply to a slapd of their own with the demo loaded, and a Redis
database of their own (their worker must not take the suite's jobs, nor the suite's worker theirs)."""
from __future__ import annotations

import pytest

from devtools.slapd import terminate

from support import demo_on_own_slapd, start_worker


@pytest.fixture(scope="module")
def own_demo(tmp_path_factory, app_config, redis_server):
    """(directory, app config, worker process): the demo on a slapd of its own, and a worker for it."""
    slapd, directory = demo_on_own_slapd(tmp_path_factory.mktemp("import-slapd"))
    redis_url = redis_server.url.rsplit("/", 1)[0] + "/3"
    from redis import Redis
    Redis.from_url(redis_url).flushdb()
    config = {**app_config, "SESAME_LDAP_URL": slapd.ldap_url, "SESAME_LDAP_ADMIN_URL": slapd.ldapi_url,
              "SESAME_LDAP_MIGRATOR_DN": slapd.manager_dn, "SESAME_REDIS_URL": redis_url}
    worker = start_worker(config)
    yield directory, config, slapd
    terminate(worker)
    directory.close()
    slapd.stop()


@pytest.fixture
def import_client(own_demo):
    from webapp import create_app
    _, config, _ = own_demo
    return create_app(dict(config)).test_client()
