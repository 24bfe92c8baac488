"""The job worker (Procfile `worker:`): runs RQ jobs of the `sesame` queue inside the app's context."""
from __future__ import annotations

import logging

from redis import Redis
from rq import Queue, Worker

QUEUE = "sesame"


def main() -> None:
    from webapp import create_app

    logging.basicConfig(level=logging.INFO, format="%(asctime)s worker %(levelname)s %(message)s")
    app = create_app()
    connection = Redis.from_url(app.config["SESAME_REDIS_URL"])
    with app.app_context():
        Worker([Queue(QUEUE, connection=connection)], connection=connection).work(with_scheduler=False)


if __name__ == "__main__":
    main()
