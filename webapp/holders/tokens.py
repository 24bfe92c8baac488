"""Single-use, short-lived links: random, stored hashed, one current link per account and purpose."""
from __future__ import annotations

import hashlib
import json
import secrets

from ..extensions import redis


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue(purpose: str, account_id: str, payload: dict, ttl: int) -> str:
    """A new link's token; the account's previous link for this purpose stops working."""
    token = secrets.token_urlsafe(32)
    digest = _digest(token)
    current = f"sesame:link:{purpose}:account:{account_id}"
    pipe = redis.current.pipeline()
    pipe.set(f"sesame:link:{purpose}:{digest}", json.dumps({"account": account_id, **payload}), ex=ttl)
    pipe.set(current, digest, ex=ttl)
    pipe.execute()
    return token


def peek(purpose: str, token: str) -> dict | None:
    """What a link is for, without using it (to show the form it leads to)."""
    if not token or len(token) > 100:
        return None
    raw = redis.current.get(f"sesame:link:{purpose}:{_digest(token)}")
    if not raw:
        return None
    payload = json.loads(raw)
    current = redis.current.get(f"sesame:link:{purpose}:account:{payload['account']}")
    return payload if current and current.decode() == _digest(token) else None


def redeem(purpose: str, token: str) -> dict | None:
    """Use a link: atomically, so that two requests with the same link succeed once."""
    if not token or len(token) > 100:
        return None
    digest = _digest(token)
    raw = redis.current.getdel(f"sesame:link:{purpose}:{digest}")
    if not raw:
        return None
    payload = json.loads(raw)
    current_key = f"sesame:link:{purpose}:account:{payload['account']}"
    current = redis.current.get(current_key)
    if not current or current.decode() != digest:
        return None          # a newer link, or a reset by the school, made this one void
    redis.current.delete(current_key)
    return payload


def revoke(purpose: str, account_ids) -> None:
    """Void the accounts' links (e.g. when the school resets their passwords)."""
    keys = [f"sesame:link:{purpose}:account:{i}" for i in account_ids]
    if keys:
        redis.current.delete(*keys)
