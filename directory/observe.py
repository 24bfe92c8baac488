"""What the directory layer tells whoever watches it (the web app's metrics): each LDAP operation with its
time, and each account it changed. Nothing here knows who listens; a listener that fails is ignored."""
from __future__ import annotations

import logging

from .errors import DirectoryUnavailable

_listeners: list = []
log = logging.getLogger(__name__)


def listen(listener) -> None:
    """`listener` has `ldap_operation(server, operation, seconds, failure)` and `account_changed(population)`;
    the same listener given twice is told once."""
    if listener not in _listeners:
        _listeners.append(listener)


def failure(error: Exception) -> str:
    """How an operation failed, in one word: the server did not answer, or it refused."""
    return "unavailable" if isinstance(error, DirectoryUnavailable) else "refused"


def _tell(method: str, *args) -> None:
    for listener in _listeners:
        try:
            getattr(listener, method)(*args)
        except Exception:   # noqa: BLE001 - watching must never break the operation watched
            log.exception("directory listener failed")


def ldap_operation(server: str, operation: str, seconds: float, failure: str = "") -> None:
    _tell("ldap_operation", server, operation, seconds, failure)


def account_changed(population: str) -> None:
    _tell("account_changed", population)
