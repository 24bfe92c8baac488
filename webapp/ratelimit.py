"""Counting attempts per key in Redis: the brake on sign-in and reset forms.

Sign-in counts failures only, so that a computer room signing in from one address is never stopped by
its own successes; its per-identifier ceilings stay under the directory's lockout (read from the
directory's password policy), so that nobody can lock an account in the directory through Sésame."""
from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app, request

from directory.names import ascii_lower

from .extensions import directory, redis


def _key(scope: str, subject: str) -> str:
    return f"sesame:limit:{scope}:{subject}"


def attempt(scope: str, limits: dict, window: int) -> bool:
    """Count one attempt for every subject (an address, an identifier) and say whether it may go on.

    The count goes up before the attempt is made, in one step: attempts sent all at once cannot slip
    past the limit. `limits` maps each subject to the attempts it is allowed per window."""
    subjects = [s for s in limits if s]
    pipe = redis.current.pipeline()
    for subject in subjects:
        pipe.incr(_key(scope, subject))
        pipe.expire(_key(scope, subject), window, nx=True)
    counts = pipe.execute()[0::2]
    return all(count <= limits[s] for s, count in zip(subjects, counts))


# One step in Redis: count the attempt under every key; if one is over its limit, take every count back
# (an attempt not made is no failure) without moving any window, and answer which keys block and for
# how long; else start or slide the windows. A blocked identifier's « until » never moves with its tries.
_RESERVE_LUA = """
local blocked = {}
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) > tonumber(ARGV[(i - 1) * 3 + 1]) then blocked[#blocked + 1] = i end
end
if #blocked > 0 then
  for i, key in ipairs(KEYS) do
    redis.call('DECR', key)
    if redis.call('TTL', key) < 0 then redis.call('EXPIRE', key, ARGV[(i - 1) * 3 + 2]) end
  end
  local answer = {}
  for _, i in ipairs(blocked) do
    answer[#answer + 1] = i
    answer[#answer + 1] = redis.call('TTL', KEYS[i])
  end
  return answer
end
for i, key in ipairs(KEYS) do
  if ARGV[(i - 1) * 3 + 3] == '1' or redis.call('TTL', key) < 0 then
    redis.call('EXPIRE', key, ARGV[(i - 1) * 3 + 2])
  end
end
return {}
"""


class _Script:
    """The Lua script, loaded once per Redis connection pool."""

    def __init__(self, source: str):
        self.source = source

    def __call__(self, keys, args, client):
        script = getattr(client, "_sesame_reserve", None)
        if script is None:
            script = client._sesame_reserve = client.register_script(self.source)
        return script(keys=keys, args=args)


_RESERVE = _Script(_RESERVE_LUA)


@dataclass(frozen=True)
class Limit:
    subject: str
    allowed: int          # failures allowed ...
    window: int           # ... in this many seconds
    sliding: bool         # each failure starts the window again (the count ends only after a quiet window)
    per_identifier: bool  # cleared by a success, as the directory clears its own failure count


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    until: float | None = None          # blocked until this moment (seconds since the epoch)
    by_identifier: bool = False         # blocked for this identifier, rather than for the address


class Failures:
    """The failures of one sign-in form. `reserve()` counts the attempt as a failure before it is made
    (attempts sent at once cannot slip past); `succeeded()` takes it back and clears the identifier's
    count; a refusal leaves it counted."""

    def __init__(self, scope: str, limits: list[Limit]):
        self.scope = scope
        self.limits = [limit for limit in limits if limit.subject]

    def reserve(self) -> Verdict:
        keys = [_key(self.scope, limit.subject) for limit in self.limits]
        args = [value for limit in self.limits
                for value in (limit.allowed, limit.window, 1 if limit.sliding else 0)]
        over = _RESERVE(keys=keys, args=args, client=redis.current)
        if not over:
            return Verdict(True)
        blocking = [self.limits[int(i) - 1] for i in over[0::2]]
        wait = max([int(ttl) for ttl in over[1::2] if int(ttl) > 0] or [1])
        return Verdict(False, time.time() + wait, any(limit.per_identifier for limit in blocking))

    def forget_identifier(self) -> None:
        """The identifier's counts cleared (the directory holds no lock on it any more: a reset lifted it)."""
        keys = [_key(self.scope, limit.subject) for limit in self.limits if limit.per_identifier]
        if keys:
            redis.current.delete(*keys)

    def succeeded(self) -> None:
        pipe = redis.current.pipeline()
        for limit in self.limits:
            key = _key(self.scope, limit.subject)
            if limit.per_identifier:
                pipe.delete(key)
            else:
                pipe.decr(key)
        pipe.execute()


def sign_in_failures(scope: str, identifier: str, at_the_lock: bool = False) -> Failures:
    """The limits of a sign-in form for this identifier from this address.

    Per address, `SESAME_LOGIN_ATTEMPTS_PER_ADDRESS` failures in a window, whatever the identifiers. Per
    identifier, two ways:

    - `at_the_lock` (holders: the directory's lock is the one lock, which the school sees and a reset lifts):
      as many failures as the directory's own lockout allows (pwdMaxFailure) — never fewer, so that slapd
      locks the account first — counted over its interval; `webapp.signin.brake` lets the identifier go as
      soon as the directory holds no lock on it;
    - otherwise (staff, whom nobody in Sésame unlocks): at most `SESAME_LOGIN_ATTEMPTS` failures from one
      address and `SESAME_LOGIN_ATTEMPTS_PER_IDENTIFIER` from all, kept under the directory's lockout, so that
      an outsider never locks a head in the directory.

    Counts last until a quiet `SESAME_LOGIN_WINDOW`. An unknown identifier is counted like a known one: the
    answers tell nobody which identifiers exist."""
    config = current_app.config
    window, per_identifier = config["SESAME_LOGIN_WINDOW"], config["SESAME_LOGIN_ATTEMPTS_PER_IDENTIFIER"]
    policy = directory.current.password_policy()
    if policy.lockout:
        window = max(window, policy.failure_interval)
        per_identifier = policy.max_failure if at_the_lock else min(per_identifier, policy.max_failure - 1)
    per_pair = per_identifier if at_the_lock else min(config["SESAME_LOGIN_ATTEMPTS"], per_identifier)
    who = ascii_lower(identifier or "")[:128]
    address = request.remote_addr or "-"
    return Failures(scope, [
        Limit(f"addr:{address}", config["SESAME_LOGIN_ATTEMPTS_PER_ADDRESS"], window, False, False),
        Limit(f"id:{who}@{address}" if who and not at_the_lock else "", per_pair, window, True, True),
        Limit(f"id:{who}" if who else "", per_identifier, window, True, True),
    ])
