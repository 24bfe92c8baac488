"""Secrets a page shows once (a row's new provisional password without JavaScript, the recovery codes of a
second factor): never kept in the session, but sealed in Redis under a random key the session names, gone
once read and after a minute at most, whether or not the page that shows them is ever asked for."""
from __future__ import annotations

import json
import secrets

from flask import current_app, session

from directory.passwords import Sealer

from .config import seal_key
from .extensions import redis

SECONDS = 60
_KEY = "sesame:once:{}"


def _sealer() -> Sealer:
    return Sealer(seal_key(current_app.config))


def keep(name: str, value) -> None:
    """`value` (anything JSON can say) kept for the next page of this session that takes `name`."""
    token = secrets.token_urlsafe(18)
    sealed = _sealer().seal_bytes(json.dumps(value).encode(), f"{name}:{token}")
    redis.current.set(_KEY.format(token), sealed, ex=SECONDS)
    session[f"once:{name}"] = token


def take(name: str):
    """What was kept under `name`, once; None if nothing was, it was shown already, or its minute is over."""
    token = session.pop(f"once:{name}", None)
    if not token:
        return None
    sealed = redis.current.getdel(_KEY.format(token))
    if sealed is None:
        return None
    return json.loads(_sealer().open_bytes(sealed, f"{name}:{token}"))
