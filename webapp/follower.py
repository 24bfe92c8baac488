"""The follower (Procfile `follower:`): brings back into Sésame what changed accounts outside it, every few
seconds — a password chosen at the SSO makes the account « Activé » — and keeps leavers locked by the rule."""
from __future__ import annotations

import logging
import signal
import threading
import time

LEAVERS_EVERY = 3600.0     # seconds: days pass without any write, so the leavers' rule also runs on a clock


def main() -> None:
    from flask.cli import ScriptInfo

    from directory.errors import DirectoryError
    from directory.follower import Follower

    from .extensions import directory

    logging.basicConfig(level=logging.INFO, format="%(asctime)s follower %(levelname)s %(message)s")
    log = logging.getLogger(__name__)
    app = ScriptInfo(app_import_path="wsgi:app").load_app()     # as the web servers have it (worker.py)
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())

    def forget_figures(activated) -> None:
        from redis.exceptions import RedisError

        from .figures import forget
        try:
            for uai in {u for a in activated for u in a.uais}:
                forget(uai)        # « Accueil » and « Statistiques » count them at their next page
        except RedisError as error:
            log.warning("figures not forgotten (%s): they renew within SESAME_FIGURES_SECONDS", error)

    with app.app_context():
        follower = Follower(directory.current, app.config["SESAME_LEAVER_TOLERANCE_DAYS"], forget_figures)
        every = app.config["SESAME_FOLLOW_SECONDS"]
        leavers_due = time.monotonic() + LEAVERS_EVERY
        log.info("following the directory every %s s", every)
        while not stop.is_set():
            try:
                activated, locked, unlocked = follower.follow()
                if time.monotonic() >= leavers_due:
                    more_locked, more_unlocked = follower.lock_leavers()
                    locked, unlocked = locked + more_locked, unlocked + more_unlocked
                    leavers_due = time.monotonic() + LEAVERS_EVERY
                for dn in locked:
                    log.info("leaver past the tolerance, locked: %s", dn)
                for dn in unlocked:
                    log.info("leaver back, unlocked: %s", dn)
            except DirectoryError as error:     # the directory away: the next pass tries again
                log.warning("directory unavailable (%s): trying again", error)
            stop.wait(every)


if __name__ == "__main__":
    main()
