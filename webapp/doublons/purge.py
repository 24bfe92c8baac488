"""The merges past their 30 days, let go once a day by whichever worker takes the turn (a Redis key per day): the
account set aside removed, its identifier reserved for good."""
from __future__ import annotations

import logging
from datetime import date, datetime

from directory.audit import PARIS
from directory.duplicates.merge import purge

from ..extensions import directory, redis

TURN_KEY = "sesame:merges:purge:{day:%Y%m%d}"
log = logging.getLogger(__name__)


def purge_merges_when_due(today: date | None = None) -> int | None:
    """How many merges were let go; None when it was not this worker's turn. A run the directory stopped gives
    the turn back."""
    today = today or datetime.now(PARIS).date()
    key = TURN_KEY.format(day=today)
    if not redis.current.set(key, "1", nx=True, ex=2 * 86400):
        return None
    try:
        done = purge(directory.current)
    except Exception:
        redis.current.delete(key)
        raise
    if done:
        log.info("merges past their days: %d let go (identifiers reserved)", done)
    return done
