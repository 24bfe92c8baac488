"""The journal's purge: records older than SESAME_AUDIT_RETENTION_DAYS go, once a day,
by whichever worker takes the turn (a Redis key with an expiry)."""
from __future__ import annotations

import logging

from flask import current_app

from directory import journal

from ..extensions import directory, redis

TURN_KEY = "sesame:journal:purge"
TURN_SECONDS = 86400
log = logging.getLogger(__name__)


def purge_now(everything: bool = False) -> int:
    removed = journal.purge(directory.current, current_app.config["SESAME_AUDIT_RETENTION_DAYS"],
                            everything=everything)
    if removed:
        log.info("journal purge: %d record(s) older than %d days removed", removed,
                 current_app.config["SESAME_AUDIT_RETENTION_DAYS"])
    return removed


def purge_when_due() -> int | None:
    """Purge if no worker did in the last day; None when it was not this one's turn."""
    if not redis.current.set(TURN_KEY, "1", nx=True, ex=TURN_SECONDS):
        return None
    return purge_now()
