"""The job worker (Procfile `worker:`): runs RQ jobs of the queues of the kinds and formats it knows, inside the
app's context; asked to stop, it hands the chunk under way back and ends within seconds."""
from __future__ import annotations

import json
import logging
import os
import signal
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq import Worker
from rq.worker import DequeueStrategy

from . import formats, stopping

CHORES = "sesame.chores"        # what the sweeper does besides: the factory says (journal purge, planned departures)
log = logging.getLogger(__name__)


class SesameWorker(Worker):
    """RQ's forking worker, except that a stop asked of it (SIGTERM, Ctrl-C) reaches the work horse, which hands
    its chunk back at the next account instead of finishing the whole job first; and without RQ's command channel
    (a Redis pub/sub listened to by a thread of its own), which Sésame does not use — jobs stop by SIGTERM — and
    whose thread, once unsubscribed, held every stop up to a minute (redis-py 8's `stop()` waits for it to end,
    and it waits 60 s for a subscription that never comes)."""

    def __init__(self, *args, stop: threading.Event, **kwargs):
        super().__init__(*args, **kwargs)
        self.stop = stop        # set once a stop is asked: the sweeper and the presence end with it

    def subscribe(self):
        pass

    def setup_work_horse_signals(self):
        signal.signal(signal.SIGINT, signal.SIG_IGN)     # Ctrl-C reaches the worker, which tells the horse
        signal.signal(signal.SIGTERM, lambda *_: stopping.ASKED.set())

    def handle_warm_shutdown_request(self):
        super().handle_warm_shutdown_request()
        self.stop.set()
        if self.horse_pid:
            try:
                os.kill(self.horse_pid, signal.SIGTERM)
            except ProcessLookupError:
                pass


def _sweep(app, stop: threading.Event) -> None:
    """Every few seconds, take up the jobs of a worker that died (on this machine or another), let go of old
    files, and do the app's chores (each its own turn: once a day, by whichever worker takes it)."""
    from .tasks import file_store, resume_abandoned
    while not stop.wait(app.config["SESAME_JOB_SWEEP_SECONDS"]):
        with app.app_context():
            try:
                for job_id in resume_abandoned():
                    log.info("resumed job %s left by a worker that stopped", job_id)
                file_store().purge()
                for chore in app.extensions.get(CHORES, ()):
                    chore()
            except Exception:   # noqa: BLE001 - the sweeper must outlive a passing Redis or LDAP error
                log.exception("sweep failed")


def _wait_for_redis(connection: Redis, stop: threading.Event) -> None:
    """Until Redis answers again (or the worker is asked to stop), every few seconds."""
    delay = 1.0
    while not stop.is_set():
        try:
            connection.ping()
            log.info("Redis answers again: the worker goes on")
            return
        except RedisError:
            stop.wait(delay)
            delay = min(delay * 2, 15.0)


def presence(kinds) -> str:
    """What this worker says with its presence: which kinds and formats it takes (a job page asks whether one that
    would take its job is alive)."""
    return json.dumps({"format": formats.FORMAT, "kinds": sorted(kinds)})


def main() -> None:
    """The app as the web servers have it: built by the WSGI module (`wsgi:app`, the Procfile's), from the
    same settings; every kind of job it registers is one this worker runs."""
    from flask.cli import ScriptInfo

    from .. import logs, metrics
    from ..health import keep_alive
    from ..redis_client import connect
    from .kind import known_kinds
    from .tasks import WORKER

    logs.configure("worker")
    app = ScriptInfo(app_import_path="wsgi:app").load_app()
    connection = connect(app.config, blocking=True)
    kinds = known_kinds(app)
    stop = threading.Event()
    threading.Thread(target=_sweep, args=(app, stop), daemon=True).start()
    # its presence, which the web nodes' readiness and the job pages look for; its metrics, if no web node serves them
    alive = threading.Thread(target=keep_alive, args=(connect(app.config), WORKER, stop, log, presence(kinds)),
                             daemon=True)
    alive.start()
    metrics.serve_for_worker(app.config)
    with app.app_context():
        # RQ's worker quits when Redis goes away; this one waits for Redis and starts working again
        while not stop.is_set():
            worker = SesameWorker(formats.queues(connection, kinds), connection=connection, stop=stop)
            try:
                worker.work(with_scheduler=False, dequeue_strategy=DequeueStrategy.ROUND_ROBIN)
            except RedisError as error:
                log.warning("Redis unavailable (%s)", error)
            if getattr(worker, "_shutdown_requested_date", None) is not None:
                break          # SIGTERM or Ctrl-C: RQ's own shutdown has run
            for number in (signal.SIGINT, signal.SIGTERM):
                signal.signal(number, lambda *_: stop.set())
            log.warning("the worker lost Redis: it waits for it, then goes on")
            _wait_for_redis(connection, stop)
    stop.set()
    alive.join(2)       # its presence withdrawn: the job pages no longer count on it


if __name__ == "__main__":
    main()
