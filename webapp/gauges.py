"""What every node sees alike, read from Redis and the directory at each scrape: jobs waiting and under way
with their progress, the queue, the workers alive, each consumer's lag behind the provider."""
from __future__ import annotations

import logging
import math
from datetime import datetime, timezone

from prometheus_client.core import GaugeMetricFamily

from directory.replicas import _by_server, has_reached

from .extensions import directory, redis
from .health import workers_alive
from .jobs.store import QUEUED, RUNNING, job_store
from .jobs.formats import queues
from .jobs.kind import known_kinds

log = logging.getLogger(__name__)


class Shared:
    """What every node sees alike, read at the scrape: jobs waiting and running by kind with their accounts
    (the progress of those under way), the queue, the workers alive, each consumer's lag behind the
    provider. A part that does not answer is left out of the scrape (and said by `sesame_scrape_ok`)."""

    def __init__(self, app):
        self.app = app

    def collect(self):
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
                waiting = GaugeMetricFamily("sesame_queue_length", "RQ jobs waiting on the queues for a worker")
                waiting.add_metric([], sum(q.count for q in queues(redis.current, known_kinds(self.app))))
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
    stamp = csn.split("#", 1)[0].rstrip("Z")
    return datetime.strptime(stamp, "%Y%m%d%H%M%S.%f").replace(tzinfo=timezone.utc).timestamp()


def replica_lag(provider: str, consumer: str) -> float:
    """Seconds between the provider's last change and the consumer's, the most behind of the server ids the
    provider has changes of; 0 when the consumer holds every change the provider has, infinite when it has
    none of some server's yet."""
    if has_reached(consumer, provider):
        return 0.0
    have = _by_server(consumer.split())
    behind = [_csn_time(csn) - _csn_time(have[server]) if server in have else math.inf
              for server, csn in _by_server(provider.split()).items() if have.get(server, "") < csn]
    return max([max(0.0, b) for b in behind] or [0.0])
