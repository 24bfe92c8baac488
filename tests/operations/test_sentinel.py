"""Redis that survives its host: a primary, a replica and three sentinels; the primary killed while a
notify of 2,000 accounts runs. Pages answer 503 in French meanwhile, never 500; the head stays signed in;
the job finishes once after the failover, every account changed once (counted on the wire), its report
agreeing with the directory."""
from __future__ import annotations

import base64
import csv
import html
import io
import time
from collections import Counter

import pytest

from bench.common import SERVICE_DN as BENCH_SERVICE_DN, STAFF_PASSWORD, SUFFIX as BENCH_SUFFIX, \
    write_directory_ldif
from directory import attributes as A
from directory import audit
from directory.connection import DirectorySettings
from devtools.slapd import terminate
from directory.passwords import PasswordHasher
from directory.repository import Directory
from faults.ldap_proxy import LdapProxy
from support import ARGON2, JOB_URL, SEAL_KEY, confirmed, csrf_token, migrated_slapd, start_worker

from operations.sentinel import Sentinels

ACCOUNTS = 2_000
SERVICE_PASSWORD = "sentinel-" + base64.b16encode(SEAL_KEY[:6]).decode()


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    root = tmp_path_factory.mktemp("sentinel")
    slapd = migrated_slapd(root / "slapd", BENCH_SUFFIX, BENCH_SERVICE_DN, SERVICE_PASSWORD)
    ldif = root / "students.ldif"
    write_directory_ldif(ldif, 1, ACCOUNTS, PasswordHasher(*ARGON2).hash(STAFF_PASSWORD), (100, 0, 0))
    slapd.load(ldif)
    proxy = LdapProxy(slapd.port)          # counts the modifies each entry receives
    redis = Sentinels(root / "redis", "sentinel-" + SERVICE_PASSWORD).start()
    config = {
        "TESTING": True, "SESAME_FAILED_SIGN_IN_DELAY": 0, "SESAME_STAFF_TOTP": "off",
        "SESAME_SECRET_KEY": "sentinel-" + SERVICE_PASSWORD, "SESAME_LDAP_URL": proxy.url,
        "SESAME_LDAP_SUFFIX": BENCH_SUFFIX, "SESAME_LDAP_BIND_DN": BENCH_SERVICE_DN,
        "SESAME_LDAP_BIND_PASSWORD": SERVICE_PASSWORD, "SESAME_LDAP_TIMEOUT": 30,
        "SESAME_REDIS_URL": redis.url, "SESAME_REDIS_SENTINELS": redis.addresses, "SESAME_REDIS_MASTER": "sesame",
        "SESAME_SEAL_KEY": base64.b64encode(SEAL_KEY).decode(), "SESAME_FILES_DIR": str(root / "files"),
        "SESAME_SMTP_PORT": 9, "SESAME_ARGON2_TIME_COST": ARGON2[0], "SESAME_ARGON2_MEMORY_COST": ARGON2[1],
        "SESAME_ARGON2_PARALLELISM": ARGON2[2], "SESAME_JOB_HOLD_SECONDS": 3, "SESAME_JOB_SWEEP_SECONDS": 1,
    }
    directory = Directory(DirectorySettings(url=slapd.ldap_url, suffix=BENCH_SUFFIX, bind_dn=BENCH_SERVICE_DN,
                                            bind_password=SERVICE_PASSWORD))
    yield slapd, proxy, redis, config, directory
    directory.close()
    proxy.close()
    redis.stop()
    slapd.stop()


def _marks(directory, job_id) -> dict[str, str]:
    """account id → state, of the accounts carrying the job's mark."""
    found = directory.search(directory.base(A.STUDENTS), f"({A.LAST_JOB}={job_id})", [A.ACCOUNT_ID, A.ACCOUNT_STATE])
    return {e[A.ACCOUNT_ID][0]: e[A.ACCOUNT_STATE][0] for _, e in found}


def test_the_redis_primary_killed_mid_job_fails_over_and_the_job_finishes_once(servers):
    slapd, proxy, redis, config, directory = servers
    from webapp import create_app
    from webapp.jobs.store import JobStore
    from webapp.redis_client import connect
    app = create_app(dict(config))
    client = app.test_client()
    token = csrf_token(client.get("/connexion").get_data(as_text=True))
    assert client.post("/connexion", data={"csrf_token": token, "uid": "head.0",
                                           "password": STAFF_PASSWORD}).status_code == 302
    worker = start_worker(config)
    try:
        token = csrf_token(client.get("/eleves").get_data(as_text=True))
        client.post("/eleves/selection/tout", data={"csrf_token": token, "tout": "1"})
        response = client.post("/eleves/notifications", data=confirmed({
            "csrf_token": token, "notification": "sans-courrier", "reset_password": "y"}))
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        job_id = JOB_URL.search(response.headers["Location"]).group(1)
        first = redis.primary.port
        redis.wait_until(lambda: len(proxy.modifies) >= 300, "the job a good way in", timeout=120)
        assert len(proxy.modifies) < ACCOUNTS * 0.8, "the primary is to die mid-job"
        redis.kill_primary()

        # during the failover every page answers, 200 or 503 in French, never 500
        statuses: Counter = Counter()
        while redis.primary_port() in (None, first):
            for url in ("/eleves", f"/travaux/{job_id}"):
                page = client.get(url)
                statuses[page.status_code] += 1
                assert page.status_code in (200, 503), (url, page.status_code)
                if page.status_code == 503:
                    assert "Service momentanément indisponible" in html.unescape(page.get_data(as_text=True))
            time.sleep(0.1)
        assert redis.primary_port() == redis.replica.port
        assert statuses[503] > 0, "the test was to see the primary away"

        # the head is still signed in on the promoted replica
        page = client.get("/eleves")
        assert page.status_code == 200, page.headers.get("Location")

        store = JobStore(connect(config))
        redis.wait_until(lambda: (store.get(job_id) or None) and store.get(job_id).status in ("finished", "failed"),
                         "the job ends", timeout=180)
        job = store.get(job_id)
        assert job.status == "finished", job.message
    finally:
        terminate(worker)

    # once: every account changed by exactly one modify, the job's record closed once in the directory
    students = {dn.lower(): n for dn, n in proxy.modifies.items() if f",{A.STUDENTS.lower()}," in dn.lower()}
    assert len(students) == ACCOUNTS and set(students.values()) == {1}, Counter(students.values())
    assert audit.job_trace(directory, job_id).state == audit.CLOSED

    # the report says what the directory holds
    marks = _marks(directory, job_id)
    assert len(marks) == ACCOUNTS and set(marks.values()) == {"NOTIFIED"}
    rows = list(csv.reader(io.StringIO(client.get(f"/travaux/{job_id}/compte-rendu.csv").data.decode("utf-8-sig")),
                           delimiter=";"))
    said = {row[3]: row[4] for row in rows[1:]}
    assert said == {account_id: "Fait" for account_id in marks}
