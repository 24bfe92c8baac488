"""Sésame's Prometheus metrics. Each process counts what it does (requests, LDAP operations, accounts
changed, jobs ended); under gunicorn and RQ, whose work horses are forked processes, each writes its own
file in PROMETHEUS_MULTIPROC_DIR (read by prometheus-client when first imported) and a scrape adds them
up. What is shared by every node (jobs waiting and running, workers alive, replica lag) is read at the
scrape, from Redis and the directory (webapp/gauges.py)."""
from __future__ import annotations

import logging
import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess

from directory import observe

log = logging.getLogger(__name__)
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
CONTENT_TYPE = CONTENT_TYPE_LATEST

REQUESTS = Histogram("sesame_http_request_duration_seconds", "Requests by route, method and status, and their time",
                     ["route", "method", "status"],
                     buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
LDAP = Histogram("sesame_ldap_operation_duration_seconds", "LDAP operations answered, by server and kind, and their time",
                 ["server", "operation"],
                 buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5))
LDAP_FAILURES = Counter("sesame_ldap_failures_total", "LDAP operations that failed: the server did not answer "
                        "(unavailable) or refused", ["server", "failure"])
ACCOUNTS_CHANGED = Counter("sesame_accounts_changed_total", "Accounts changed by Sésame (state, password, identifier)",
                           ["population"])
SIGN_INS_REFUSED = Counter("sesame_sign_ins_refused_total", "Sign-ins refused (wrong identifier, password, code "
                           "or locked account), by form", ["form"])
RATE_LIMITED = Counter("sesame_rate_limited_total", "Requests refused by a rate limit (429), by route", ["route"])
JOBS_ENDED = Counter("sesame_jobs_ended_total", "Jobs that ended, by kind and status (finished, failed)",
                     ["kind", "status"])

# the forms whose 401 is a refused sign-in
SIGN_IN_FORMS = {"auth.login": "staff", "auth.code": "staff_code", "holders.sign_in": "holder"}


class _Listener:
    """Told by directory/observe.py of each LDAP operation and account changed."""

    def ldap_operation(self, server: str, operation: str, seconds: float, failure: str) -> None:
        if failure:
            LDAP_FAILURES.labels(server, failure).inc()
        else:
            LDAP.labels(server, operation).observe(seconds)

    def account_changed(self, population: str) -> None:
        ACCOUNTS_CHANGED.labels(population).inc()


LISTENER = _Listener()
observe.listen(LISTENER)


def request_done(route: str, endpoint: str | None, method: str, status: int, seconds: float) -> None:
    REQUESTS.labels(route, method, str(status)).observe(seconds)
    if status == 401 and method == "POST" and endpoint in SIGN_IN_FORMS:
        SIGN_INS_REFUSED.labels(SIGN_IN_FORMS[endpoint]).inc()
    elif status == 429:
        RATE_LIMITED.labels(route).inc()


def job_ended(kind: str, status: str) -> None:
    JOBS_ENDED.labels(kind, status).inc()


class _ThisProcess:
    """Without PROMETHEUS_MULTIPROC_DIR (one process): its own metrics."""

    def collect(self):
        yield from REGISTRY.collect()


def registry(*shared) -> CollectorRegistry:
    """What a scrape reads: every process's own metrics (added up across this host's processes in
    multiprocess mode) and the `shared` collectors (webapp/gauges.py)."""
    found = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS:
        multiprocess.MultiProcessCollector(found)
    else:
        found.register(_ThisProcess())
    for collector in shared:
        found.register(collector)
    return found


def scrape(*shared) -> bytes:
    return generate_latest(registry(*shared))


def serve_for_worker(config) -> None:
    """A worker host without a web node: its processes' metrics on SESAME_METRICS_PORT (loopback unless
    SESAME_METRICS_ADDRESS says otherwise), for Prometheus to scrape there."""
    port = config.get("SESAME_METRICS_PORT") or 0
    if not port:
        return
    from prometheus_client import start_http_server
    found = registry()
    start_http_server(int(port), addr=config.get("SESAME_METRICS_ADDRESS") or "127.0.0.1", registry=found)
    log.info("metrics served on %s:%s", config.get("SESAME_METRICS_ADDRESS") or "127.0.0.1", port)
