"""Planned departures (a DATE_SORTIE still to come): on their day the students become leavers, by a daily task
that whichever worker takes the turn runs (a Redis key per day, as the journal's purge)."""
from __future__ import annotations

import logging
from datetime import date, datetime

from directory.audit import PARIS
from directory.registry.leavers import planned_departures

from ..extensions import directory, redis

TURN_KEY = "sesame:departures:{day:%Y%m%d}"
log = logging.getLogger(__name__)


def depart_when_due(today: date | None = None) -> tuple[int, int] | None:
    """The day's planned departures, if no worker made them today; None when it was not this one's turn.
    A run the directory stopped gives the turn back: the next sweep runs it again."""
    today = today or datetime.now(PARIS).date()
    key = TURN_KEY.format(day=today)
    if not redis.current.set(key, "1", nx=True, ex=2 * 86400):
        return None
    try:
        made, skipped = planned_departures(directory.current, today)
    except Exception:
        redis.current.delete(key)
        raise
    if made or skipped:
        log.info("planned departures of %s: %d made, %d left for a later run (changed meanwhile)", today, made,
                 skipped)
    return made, skipped
