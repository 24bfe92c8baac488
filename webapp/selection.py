"""The accounts a staff member has ticked, per session and establishment, kept in Redis across pages."""
from __future__ import annotations

from flask import current_app, session

from .extensions import redis


class Selection:
    def __init__(self, kind: str, uai: str):
        self.key = f"sesame:selection:{session.sid}:{uai}:{kind}"
        # as long as a session may live, not its idle timeout: a head who selects, then works
        # elsewhere a while, finds the selection again
        self.ttl = int(current_app.config["SESAME_SESSION_HOURS"] * 3600)

    def add(self, ids) -> None:
        ids = list(ids)
        if ids:
            pipe = redis.current.pipeline()
            pipe.sadd(self.key, *ids)
            pipe.expire(self.key, self.ttl)
            pipe.execute()

    def remove(self, ids) -> None:
        ids = list(ids)
        if ids:
            redis.current.srem(self.key, *ids)

    def clear(self) -> None:
        redis.current.delete(self.key)

    def count(self) -> int:
        return redis.current.scard(self.key)

    def members(self) -> set[str]:
        return {m.decode() for m in redis.current.smembers(self.key)}

    def which(self, ids) -> set[str]:
        """Those of `ids` that are selected."""
        ids = list(ids)
        if not ids:
            return set()
        flags = redis.current.smismember(self.key, ids)
        return {i for i, flag in zip(ids, flags) if flag}
