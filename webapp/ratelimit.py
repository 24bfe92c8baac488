"""Counting failures per key in Redis, in fixed windows: the brake on sign-in and reset forms."""
from __future__ import annotations

from .extensions import redis


def _key(scope: str, subject: str) -> str:
    return f"sesame:limit:{scope}:{subject}"


def exceeded(scope: str, subjects, limit: int) -> bool:
    """True when any of the subjects (an address, an identifier) already used up its failures."""
    keys = [_key(scope, s) for s in subjects if s]
    if not keys:
        return False
    counts = redis.current.mget(keys)
    return any(int(c or 0) >= limit for c in counts)


def record_failure(scope: str, subjects, window: int) -> None:
    pipe = redis.current.pipeline()
    for subject in subjects:
        if subject:
            key = _key(scope, subject)
            pipe.incr(key)
            pipe.expire(key, window, nx=True)
    pipe.execute()


def clear(scope: str, subjects) -> None:
    keys = [_key(scope, s) for s in subjects if s]
    if keys:
        redis.current.delete(*keys)
