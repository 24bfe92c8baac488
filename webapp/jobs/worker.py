"""The job worker (Procfile `worker:`): runs RQ jobs of the `sesame` queue inside the app's context."""
from __future__ import annotations

import logging
import signal
import threading

from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker

QUEUE = "sesame"
CHORES = "sesame.chores"        # what the sweeper does besides: the factory says (journal purge, planned departures)


def queue(connection: Redis) -> Queue:
    return Queue(QUEUE, connection=connection)


def _sweep(app, jobs_queue: Queue, stop: threading.Event) -> None:
    """Every few seconds, take up the jobs of a worker that died (on this machine or another), let go of old
    files, and do the app's chores (each its own turn: once a day, by whichever worker takes it)."""
    from .tasks import file_store, resume_abandoned
    log = logging.getLogger(__name__)
    while not stop.wait(app.config["SESAME_JOB_SWEEP_SECONDS"]):
        with app.app_context():
            try:
                for job_id in resume_abandoned(jobs_queue):
                    log.info("resumed job %s left by a worker that stopped", job_id)
                file_store().purge()
                for chore in app.extensions.get(CHORES, ()):
                    chore()
            except Exception:   # noqa: BLE001 - the sweeper must outlive a passing Redis or LDAP error
                log.exception("sweep failed")


def _wait_for_redis(connection: Redis, stop: threading.Event, log) -> None:
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


def main() -> None:
    """The app as the web servers have it: built by the WSGI module (`wsgi:app`, the Procfile's), from the
    same settings; every kind of job it registers is one this worker runs."""
    from flask.cli import ScriptInfo

    from .. import logs, metrics
    from ..health import keep_alive
    from ..redis_client import connect
    from .tasks import WORKER

    logs.configure("worker")
    log = logging.getLogger(__name__)
    app = ScriptInfo(app_import_path="wsgi:app").load_app()
    connection = connect(app.config, blocking=True)
    jobs_queue = queue(connection)
    stop = threading.Event()
    threading.Thread(target=_sweep, args=(app, jobs_queue, stop), daemon=True).start()
    # its presence, which the web nodes' readiness looks for; its metrics, if no web node serves them
    threading.Thread(target=keep_alive, args=(connect(app.config), WORKER, stop, log), daemon=True).start()
    metrics.serve_for_worker(app.config)
    with app.app_context():
        # RQ's worker quits when Redis goes away; this one waits for Redis and starts working again
        while not stop.is_set():
            worker = Worker([jobs_queue], connection=connection)
            try:
                worker.work(with_scheduler=False)
            except RedisError as error:
                log.warning("Redis unavailable (%s)", error)
            if getattr(worker, "_shutdown_requested_date", None) is not None:
                break          # SIGTERM or Ctrl-C: RQ's own shutdown has run
            for number in (signal.SIGINT, signal.SIGTERM):
                signal.signal(number, lambda *_: stop.set())
            log.warning("the worker lost Redis: it waits for it, then goes on")
            _wait_for_redis(connection, stop, log)
    stop.set()


if __name__ == "__main__":
    main()
