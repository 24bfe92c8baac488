"""Counting failures per key in Redis, in fixed windows: the brake on sign-in and reset forms."""
from __future__ import annotations

from .extensions import redis


def _key(scope: str, subject: str) -> str:
    return f"sesame:limit:{scope}:{subject}"


def exceeded(scope: str, limits: dict) -> bool:
    """True when any subject (an address, an identifier) already used up its failures.
    `limits` maps each subject to the number of failures it is allowed."""
    subjects = [s for s in limits if s]
    if not subjects:
        return False
    counts = redis.current.mget([_key(scope, s) for s in subjects])
    return any(int(count or 0) >= limits[s] for s, count in zip(subjects, counts))


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
