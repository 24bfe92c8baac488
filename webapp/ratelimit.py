"""Counting attempts per key in Redis, in fixed windows: the brake on sign-in and reset forms."""
from __future__ import annotations

from .extensions import redis


def _key(scope: str, subject: str) -> str:
    return f"sesame:limit:{scope}:{subject}"


def attempt(scope: str, limits: dict, window: int) -> bool:
    """Count one attempt for every subject (an address, an identifier) and say whether it may go on.

    The count goes up before the attempt is made, in one step: attempts sent all at once cannot slip
    past the limit. `limits` maps each subject to the attempts it is allowed per window; a successful
    attempt clears its subject's count."""
    subjects = [s for s in limits if s]
    pipe = redis.current.pipeline()
    for subject in subjects:
        pipe.incr(_key(scope, subject))
        pipe.expire(_key(scope, subject), window, nx=True)
    counts = pipe.execute()[0::2]
    return all(count <= limits[s] for s, count in zip(subjects, counts))


def clear(scope: str, subjects) -> None:
    keys = [_key(scope, s) for s in subjects if s]
    if keys:
        redis.current.delete(*keys)
