"""A worker asked to stop (SIGTERM, Ctrl-C): the chunk under way handed back at its next account, for another
worker (or this one, started again) to go on with — the accounts written carry the job's mark."""
from __future__ import annotations

import threading

ASKED = threading.Event()       # set in the work horse when its worker is asked to stop


class HandedBack(Exception):
    """Raised where a chunk's work stops for a worker asked to stop: the chunk is left to another."""


def check() -> None:
    """Raise `HandedBack` once this worker is asked to stop."""
    if ASKED.is_set():
        raise HandedBack()
