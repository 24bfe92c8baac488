"""What the operations team sees: the load balancers' health (up or down, and to the operator only, what is
down), the Prometheus metrics of a real gunicorn with two processes and of a worker added up, and the log
lines of a run that resets passwords — one per request and per job step, the request's id carried into the
worker, no password anywhere."""
from __future__ import annotations

import http.cookiejar
import json
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from redis import Redis

from devtools.slapd import free_port, terminate
from faults.helpers import LYC, accounts, job_status, make_app, students, wait_until
from support import DEMO_PASSWORD, JOB_URL, ROOT, confirmed, csrf_token, worker_environment

TOKEN = "operator-token-of-the-tests"


def _ready(client, token=None):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get("/sante/pret", headers=headers)
    return response.status_code, response.get_data(as_text=True)


def test_health_says_up_or_down_to_everyone_and_what_is_down_to_the_operator_only(fresh):
    servers = fresh
    app = make_app(servers.config, SESAME_OPERATOR_TOKEN=TOKEN)
    client = app.test_client()
    assert client.get("/sante/vivant").get_data(as_text=True) == "ok\n"

    # no worker alive yet: not ready, and only the operator is told why
    time.sleep(1.1)     # past the cached answer
    assert _ready(client) == (503, "indisponible\n")
    status, body = _ready(client, TOKEN)
    assert status == 503 and json.loads(body)["failing"] == ["travaux"]
    assert _ready(client, "not-the-token") == (503, "indisponible\n")

    servers.start_worker()
    wait_until(lambda: Redis.from_url(servers.config["SESAME_REDIS_URL"]).keys("sesame:worker:alive:*"), timeout=30)
    time.sleep(1.1)
    assert _ready(client) == (200, "ok\n")
    details = json.loads(_ready(client, TOKEN)[1])
    assert details["ready"] and {p["name"] for p in details["parts"]} == {"annuaire-ecriture", "redis", "travaux"}
    assert all(p["up"] and p["milliseconds"] >= 0 for p in details["parts"])

    for stop, start, part in ((servers.kill_slapd, servers.slapd.start, "annuaire-ecriture"),
                              (servers.kill_redis, servers.redis.start, "redis")):
        stop()
        try:
            time.sleep(1.1)
            assert _ready(client) == (503, "indisponible\n")
            assert json.loads(_ready(client, TOKEN)[1])["failing"][0] == part
            assert client.get("/sante/vivant").status_code == 200, "alive: the process answers"
        finally:
            start()
    for process in servers.workers:
        servers.kill(process)
    Redis.from_url(servers.config["SESAME_REDIS_URL"]).delete(
        *Redis.from_url(servers.config["SESAME_REDIS_URL"]).keys("sesame:worker:alive:*"))
    time.sleep(1.1)
    assert json.loads(_ready(client, TOKEN)[1])["failing"] == ["travaux"]

    # the metrics: the operator's only
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert make_app(servers.config).test_client().get("/metrics", headers={"Authorization": "Bearer "}).status_code == 401


class _Browser:
    """Plain HTTP to the gunicorn under test, cookies kept, redirects not followed."""

    class _Stay(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  self._Stay)

    def call(self, path, data=None, headers=None):
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=60) as answer:
                return answer.status, dict(answer.headers), answer.read().decode("utf-8")
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode("utf-8")


def _answers(base: str) -> bool:
    try:
        return _Browser(base).call("/sante/vivant")[0] == 200
    except urllib.error.URLError:
        return False


def _samples(text: str, name: str) -> dict[str, float]:
    """The samples of one metric: its labels as written → value."""
    return {labels: float(value) for labels, value in re.findall(rf"^{name}\{{(.*?)\}} (\S+)$", text, re.M)}


def test_gunicorn_and_worker_metrics_add_up_and_the_logs_of_resets_hold_no_password(fresh, tmp_path):
    servers = fresh
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    port = free_port()
    env = worker_environment(servers.config, SESAME_OPERATOR_TOKEN=TOKEN)
    env.pop("SESAME_TESTING", None)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    web_log, worker_log = tmp_path / "web.log", tmp_path / "worker.log"
    with open(web_log, "wb") as out:
        web = subprocess.Popen([sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                                "--threads", "2", "--no-control-socket", "wsgi:app"], cwd=ROOT, env=env,
                               stdout=out, stderr=out, start_new_session=True)
    with open(worker_log, "wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "webapp.jobs.worker"], cwd=ROOT, env=env, stdout=out,
                                  stderr=out, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(base), timeout=60, every=0.2)
        head = _Browser(base)
        status, _, page = head.call("/connexion")
        assert head.call("/connexion", {"csrf_token": csrf_token(page), "uid": "chef.lyc",
                                        "password": DEMO_PASSWORD})[0] == 302

        # a row's reset, then a reset job of 30 accounts with letters
        row, *ids = students(servers.directory, 900, 31)
        token = csrf_token(head.call("/eleves")[2])
        reset = head.call(f"/eleves/{row}/reinitialisation", {"csrf_token": token})
        assert reset[0] == 303
        head.call("/eleves/selection/vider", {"csrf_token": token})
        for account_id in ids:
            head.call("/eleves/selection", {"csrf_token": token, "id": account_id, "ids": [account_id]})
        status, headers, _ = head.call("/eleves/reinitialisations", confirmed({"csrf_token": token}))
        assert status == 303
        job_id = JOB_URL.search(headers["Location"]).group(1)
        asked_by = headers["X-Request-Id"]
        wait_until(lambda: job_status(servers.config, job_id) == "finished", timeout=60)

        # requests spread over both gunicorn processes, counted once each in the scrape
        def hit(_):
            return _Browser(base).call("/connexion")[0]
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(hit, range(40))) == {200}
        scraped = _Browser(base).call("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        assert scraped[0] == 200
        text = scraped[2]
        requests = _samples(text, "sesame_http_request_duration_seconds_count")
        assert requests['method="GET",route="/connexion",status="200"'] == 41
        writers = {path.name.rsplit("_", 1)[1] for path in metrics_dir.glob("histogram_*.db")}
        assert len(writers) >= 3, f"two web processes and the worker's work horse write their own: {writers}"
        # from the worker's forked work horse: the accounts it changed, its LDAP operations, the job ended
        assert _samples(text, "sesame_accounts_changed_total")['population="students"'] >= 31
        assert _samples(text, "sesame_jobs_ended_total")['kind="reset",status="finished"'] == 1
        assert any(v > 0 for k, v in _samples(text, "sesame_ldap_operation_duration_seconds_count").items()
                   if 'operation="modify"' in k)
        assert 'le="0.005"' in text and "sesame_ldap_operation_duration_seconds_bucket" in text
        assert re.search(r"^sesame_workers_alive 1\.0$", text, re.M)
    finally:
        terminate(web)
        terminate(worker)

    web_lines, worker_lines = web_log.read_text(), worker_log.read_text()
    # one line per request, with its id; the job's steps in the worker with the id of the request that asked
    assert re.search(rf"request={asked_by} .*POST /eleves/reinitialisations 303", web_lines)
    steps = [line for line in worker_lines.splitlines() if f"request={asked_by} job={job_id}" in line]
    assert any("taken up" in line for line in steps) and any("chunk 1 of 1 done" in line for line in steps) \
        and any("finished" in line for line in steps), worker_lines[-3000:]
    assert web_lines.count("GET /connexion 200") >= 41
    # no password, no hash, no link's token in any line
    records = accounts(servers.directory).read(LYC, [row, *ids])
    passwords = [accounts(servers.directory).provisional_password(r) for r in records.values()] + [DEMO_PASSWORD]
    assert all(passwords) and len(passwords) == 32
    for password in passwords:
        assert password not in web_lines and password not in worker_lines
    assert "{ARGON2}" not in web_lines + worker_lines and "$argon2" not in web_lines + worker_lines
