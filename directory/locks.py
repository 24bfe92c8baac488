"""The directory's own lockout (ppolicy) as Sésame reads it: when a lock ends, whether it still holds, and the
filter of the accounts it holds — the one lock the school sees and a reset lifts."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from . import attributes as A
from .escaping import any_of, at_least, equals, present
from .mapping import parse_time
from .model import PasswordPolicy

PERMANENT_LOCK = "000001010000Z"        # ppolicy's « until an administrator lifts it »


def lock_end(locked_time, policy: PasswordPolicy):
    """When a lock set at `locked_time` (pwdAccountLockedTime) ends: False if there is no lock, None
    if it lasts until an administrator lifts it (ppolicy's 000001010000Z, or no lockout duration)."""
    if not locked_time:
        return False
    started = parse_time(locked_time)
    if started is None or started.year < 1970 or not policy.lockout_duration:
        return None
    return started + timedelta(seconds=policy.lockout_duration)


def is_locked(locked_time, policy: PasswordPolicy, now: datetime | None = None) -> bool:
    """Whether a lock set at `locked_time` still holds: ppolicy leaves pwdAccountLockedTime on the entry after
    the lockout duration, until the next successful bind; a reset by the school deletes it."""
    end = lock_end(locked_time, policy)
    if end is False:
        return False
    return end is None or end > (now or datetime.now(timezone.utc))


def lock_filter(policy: PasswordPolicy, now: datetime | None = None) -> str:
    """The accounts whose lock still holds, as one filter (« Comptes bloqués »)."""
    if not policy.lockout_duration:
        return present(A.PWD_ACCOUNT_LOCKED_TIME)
    since = (now or datetime.now(timezone.utc)) - timedelta(seconds=policy.lockout_duration)
    return any_of(equals(A.PWD_ACCOUNT_LOCKED_TIME, PERMANENT_LOCK),
                  at_least(A.PWD_ACCOUNT_LOCKED_TIME, since.strftime("%Y%m%d%H%M%SZ")))
