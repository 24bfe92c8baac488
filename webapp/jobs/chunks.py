"""A job cut into chunks that any worker may claim: leases that lapse, the chunks done, one finisher."""
from __future__ import annotations

import json

from redis import Redis

from directory.passwords import Sealer

from .store import JOB_TTL

# Renew or let go of a lease only while it is still this worker's (another may hold it since it lapsed).
_KEEP = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('expire', KEYS[1], ARGV[2]) end return 0"
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
FINISH = -1      # the lease on assembling the documents, claimed once every chunk is done


class Chunks:
    """Chunk n of a job is its accounts [n × size, (n + 1) × size). A worker claims a chunk with a
    lease that lapses unless renewed (a dead worker's chunk is free again after `hold` seconds),
    notes it done, and the worker that finds every chunk done claims the finishing lease. What a
    chunk found for the documents is kept in Redis, sealed, until the finisher assembles it."""

    def __init__(self, redis: Redis, job_id: str, total: int, size: int, hold: int, sealer: Sealer | None = None):
        self.redis, self.job_id, self.size, self.hold, self.sealer = redis, job_id, max(1, size), hold, sealer
        self.count = max(1, -(-total // self.size))     # a job without accounts still has its one chunk

    def _key(self, part: str) -> str:
        return f"sesame:job:{self.job_id}:{part}"

    def _lease(self, number: int) -> str:
        return self._key("finish" if number == FINISH else f"chunk:{number}")

    def bounds(self, number: int) -> slice:
        return slice(number * self.size, (number + 1) * self.size)

    def done(self) -> dict[int, str]:
        """The chunks done, and by which worker."""
        return {int(n): w.decode() for n, w in self.redis.hgetall(self._key("chunks-done")).items()}

    def remaining(self) -> int:
        return self.count - self.redis.hlen(self._key("chunks-done"))

    def claim(self, worker: str) -> int | None:
        """A chunk nobody holds and nobody finished, now this worker's; None when there is none."""
        done = self.done()
        for number in range(self.count):
            if number in done or not self.redis.set(self._lease(number), worker, nx=True, ex=self.hold):
                continue
            if self.redis.hexists(self._key("chunks-done"), number):   # finished between the two looks
                self.release(number, worker)
                continue
            return number
        return None

    def claim_finish(self, worker: str) -> bool:
        """The right to assemble the documents and close the job: once every chunk is done, one worker."""
        return self.remaining() == 0 and bool(self.redis.set(self._lease(FINISH), worker, nx=True, ex=self.hold))

    def keep(self, number: int, worker: str) -> bool:
        return bool(self.redis.eval(_KEEP, 1, self._lease(number), worker, self.hold))

    def release(self, number: int, worker: str) -> None:
        self.redis.eval(_RELEASE, 1, self._lease(number), worker)

    def complete(self, number: int, worker: str) -> None:
        pipe = self.redis.pipeline()
        pipe.hset(self._key("chunks-done"), number, worker)
        pipe.expire(self._key("chunks-done"), JOB_TTL)
        pipe.execute()
        self.release(number, worker)

    def held(self) -> bool:
        """Whether some worker holds a chunk or the finish right now."""
        keys = [self._lease(n) for n in range(self.count)] + [self._lease(FINISH)]
        return any(self.redis.exists(*keys[start:start + 500]) for start in range(0, len(keys), 500))

    # --- what each chunk found for the documents (a letter or a list row per account) ---------------

    def keep_part(self, number: int, items: list) -> None:
        sealed = self.sealer.seal(json.dumps(items), f"{self.job_id}:{number}")
        pipe = self.redis.pipeline()
        pipe.hset(self._key("parts"), str(number), sealed)
        pipe.expire(self._key("parts"), JOB_TTL)
        pipe.execute()

    def parts(self) -> dict[int, list]:
        """Every chunk's items that were kept, by chunk number (a chunk whose part is missing: absent)."""
        raw = self.redis.hgetall(self._key("parts"))
        return {int(n): json.loads(self.sealer.open(sealed, f"{self.job_id}:{int(n)}")) for n, sealed in raw.items()}

    def keep_printed(self, number: int, pieces: list[tuple[list, bytes | None]]) -> None:
        """A chunk whose letters were printed piece by piece (account_jobs/pieces.py): each piece's items and PDF."""
        pipe = self.redis.pipeline()
        for index, (_, pdf) in enumerate(pieces):
            if pdf is not None:
                pipe.hset(self._key("pdfs"), f"{number}:{index}", self.sealer.seal_bytes(pdf, f"{self.job_id}:{number}:{index}"))
        pipe.expire(self._key("pdfs"), JOB_TTL)
        pipe.execute()
        self.keep_part(number, {"pieces": [items for items, _ in pieces]})

    def printed(self, parts: dict[int, list | dict]) -> list[tuple[list, bytes | None]] | None:
        """Every chunk's pieces in order, (items, PDF), if every chunk was printed piece by piece and
        Redis still has each PDF; None otherwise (the letters are then printed whole)."""
        if sorted(parts) != list(range(self.count)) or not all(isinstance(parts[n], dict) for n in parts):
            return None
        raw = self.redis.hgetall(self._key("pdfs"))
        pieces = []
        for number in range(self.count):
            for index, items in enumerate(parts[number]["pieces"]):
                sealed = raw.get(f"{number}:{index}".encode())
                if items and sealed is None:
                    return None
                pieces.append((items, self.sealer.open_bytes(sealed, f"{self.job_id}:{number}:{index}") if items else None))
        return pieces

    def clear(self) -> None:
        """Once the document is made: the parts and pieces (they hold provisional passwords) go at once."""
        self.redis.delete(self._key("parts"), self._key("pdfs"))


def forget(redis: Redis, job_id: str) -> None:
    """A job rebuilt from the directory (its accounts may differ): whatever its chunks left is not its own."""
    redis.delete(f"sesame:job:{job_id}:chunks-done", f"sesame:job:{job_id}:parts", f"sesame:job:{job_id}:pdfs")
