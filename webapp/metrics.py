"""Sésame's Prometheus metrics. Each process counts what it does (requests, LDAP operations, accounts
changed, jobs ended); under gunicorn and RQ, whose work horses are forked processes, each writes its own
file in PROMETHEUS_MULTIPROC_DIR (read by prometheus-client when first imported) and a scrape adds them
up. What is shared by every node (jobs waiting and running, workers alive, replica lag) is read at the
scrape, from Redis and the directory."""
from __future__ import annotations

import logging
import os

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import multiprocess
from prometheus_client.core import GaugeMetricFamily

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


class Shared:
    """What every node sees alike, read at the scrape: jobs waiting and running by kind with their accounts
    (the progress of those under way), the queue, the workers alive, each consumer's lag behind the
    provider. A part that does not answer is left out of the scrape (and said by `sesame_scrape_ok`)."""

    def __init__(self, app):
        self.app = app

    def collect(self):
        from .health import workers_alive
        from .jobs.store import QUEUED, RUNNING, job_store
        from .jobs.worker import queue
        from .extensions import directory, redis
        ok = GaugeMetricFamily("sesame_scrape_ok", "Whether this scrape could read each shared part", labels=["part"])
        with self.app.app_context():
            try:
                store = job_store()
                jobs = GaugeMetricFamily("sesame_jobs", "Jobs waiting (queued) or under way (running), by kind",
                                         labels=["kind", "status"])
                accounts = GaugeMetricFamily("sesame_job_accounts", "Accounts of the jobs waiting or under way: "
                                             "asked, and noted so far (their progress)", labels=["kind", "state"])
                counted, asked, noted = {}, {}, {}
                for job_id in store.open_jobs():
                    job = store.get(job_id)
                    if job is None or job.status not in (QUEUED, RUNNING):
                        continue
                    counted[(job.kind, job.status)] = counted.get((job.kind, job.status), 0) + 1
                    asked[job.kind] = asked.get(job.kind, 0) + job.total
                    noted[job.kind] = noted.get(job.kind, 0) + store.progress(job.id)
                for (kind, status), count in sorted(counted.items()):
                    jobs.add_metric([kind, status], count)
                for kind in sorted(asked):
                    accounts.add_metric([kind, "asked"], asked[kind])
                    accounts.add_metric([kind, "noted"], noted[kind])
                waiting = GaugeMetricFamily("sesame_queue_length", "RQ jobs waiting on the queue for a worker")
                waiting.add_metric([], queue(redis.current).count)
                workers = GaugeMetricFamily("sesame_workers_alive", "Job workers that said they were alive lately")
                workers.add_metric([], len(workers_alive(redis.current)))
                yield from (jobs, accounts, waiting, workers)
                ok.add_metric(["redis"], 1)
            except Exception as error:  # noqa: BLE001 - a scrape says what it could not read, never fails
                log.warning("metrics: Redis not read: %s", error)
                ok.add_metric(["redis"], 0)
            reads = directory.current.reads
            if reads.consumers:
                lag = GaugeMetricFamily("sesame_directory_replica_lag_seconds",
                                        "How far each consumer is behind the provider (0: caught up)", labels=["consumer"])
                up = GaugeMetricFamily("sesame_directory_replica_up", "Whether each consumer answers", labels=["consumer"])
                try:
                    provider = reads.provider_state()
                    for pool, state in zip(reads.consumers, reads.consumer_states()):
                        up.add_metric([pool.settings.url], 0 if state is None else 1)
                        if state is not None:
                            lag.add_metric([pool.settings.url], replica_lag(provider, state))
                    yield from (lag, up)
                    ok.add_metric(["directory"], 1)
                except Exception as error:  # noqa: BLE001
                    log.warning("metrics: replica lag not read: %s", error)
                    ok.add_metric(["directory"], 0)
        yield ok


def _csn_time(csn: str) -> float:
    """Seconds since the epoch of a CSN (`20261201101500.123456Z#000000#000#000000`)."""
    from datetime import datetime, timezone
    stamp = csn.split("#", 1)[0].rstrip("Z")
    return datetime.strptime(stamp, "%Y%m%d%H%M%S.%f").replace(tzinfo=timezone.utc).timestamp()


def replica_lag(provider: str, consumer: str) -> float:
    """Seconds between the provider's last change and the consumer's, for each server id both know of;
    0 when the consumer holds every change the provider has."""
    from directory.replicas import _by_server, has_reached
    if has_reached(consumer, provider):
        return 0.0
    have = _by_server(consumer.split())
    behind = [_csn_time(csn) - _csn_time(have.get(server, csn))
              for server, csn in _by_server(provider.split()).items() if have.get(server, "") < csn]
    return max([max(0.0, b) for b in behind] or [0.0])


def registry(app) -> CollectorRegistry:
    """What a scrape reads: every process's own metrics (added up across this host's processes in
    multiprocess mode) and the shared parts."""
    found = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS:
        multiprocess.MultiProcessCollector(found)
    else:
        found.register(_ThisProcess())
    found.register(Shared(app))
    return found


def scrape(app) -> bytes:
    return generate_latest(registry(app))


def serve_for_worker(config) -> None:
    """A worker host without a web node: its processes' metrics on SESAME_METRICS_PORT (loopback unless
    SESAME_METRICS_ADDRESS says otherwise), for Prometheus to scrape there."""
    port = config.get("SESAME_METRICS_PORT") or 0
    if not port:
        return
    from prometheus_client import start_http_server
    found = CollectorRegistry(auto_describe=False)
    if MULTIPROCESS:
        multiprocess.MultiProcessCollector(found)
    else:
        found.register(_ThisProcess())
    start_http_server(int(port), addr=config.get("SESAME_METRICS_ADDRESS") or "127.0.0.1", registry=found)
    log.info("metrics served on %s:%s", config.get("SESAME_METRICS_ADDRESS") or "127.0.0.1", port)
