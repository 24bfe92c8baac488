"""The job worker (Procfile `worker:`): runs RQ jobs of the `sesame` queue inside the app's context."""
from __future__ import annotations

import logging
import threading

from redis import Redis
from rq import Queue, Worker

QUEUE = "sesame"


def queue(connection: Redis) -> Queue:
    return Queue(QUEUE, connection=connection)


def _sweep(app, jobs_queue: Queue, stop: threading.Event) -> None:
    """Every few seconds, take up the jobs of a worker that died (on this machine or another)."""
    from .tasks import file_store, resume_abandoned
    log = logging.getLogger(__name__)
    while not stop.wait(app.config["SESAME_JOB_SWEEP_SECONDS"]):
        with app.app_context():
            try:
                for job_id in resume_abandoned(jobs_queue):
                    log.info("resumed job %s left by a worker that stopped", job_id)
                file_store().purge()
            except Exception:   # noqa: BLE001 - the sweeper must outlive a passing Redis or LDAP error
                log.exception("sweep failed")


def main() -> None:
    from webapp import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    app = create_app()
    connection = Redis.from_url(app.config["SESAME_REDIS_URL"])
    jobs_queue = queue(connection)
    stop = threading.Event()
    threading.Thread(target=_sweep, args=(app, jobs_queue, stop), daemon=True).start()
    with app.app_context():
        Worker([jobs_queue], connection=connection).work(with_scheduler=False)
    stop.set()


if __name__ == "__main__":
    main()
