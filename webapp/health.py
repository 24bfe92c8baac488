"""Whether this node can serve: the directory's write and read servers, Redis and at least one job
worker, each checked with its time; and the workers' word that they are alive."""
from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field

PRESENCE = "sesame:worker:alive:"     # + the worker's name: set again every BEAT seconds, gone after ALIVE
BEAT = 5
ALIVE = 3 * BEAT
CACHED = 1.0                          # a readiness answer serves this long: a flood of checks is not a flood of reads


@dataclass
class Part:
    name: str
    up: bool
    milliseconds: float
    detail: str = ""


@dataclass
class Readiness:
    ready: bool
    parts: list[Part] = field(default_factory=list)

    def failing(self) -> list[str]:
        return [part.name for part in self.parts if not part.up]

    def as_dict(self) -> dict:
        return {"ready": self.ready, "failing": self.failing(), "parts": [asdict(part) for part in self.parts]}


def _timed(name: str, check) -> Part:
    started = time.perf_counter()
    try:
        answer = check()
        detail, up = (answer if isinstance(answer, str) else ""), True
    except Exception as error:  # noqa: BLE001 - any failure of a part is that part being down
        detail, up = f"{type(error).__name__}: {error}"[:300], False
    return Part(name, up, round((time.perf_counter() - started) * 1000, 2), detail)


def workers_alive(connection) -> list[str]:
    """The workers whose presence has not lapsed."""
    return sorted(key.decode()[len(PRESENCE):] for key in connection.scan_iter(f"{PRESENCE}*", count=500))


def check(directory, connection) -> Readiness:
    """Each part in turn. Ready: the provider answers, at least one read server answers (a consumer, or
    the provider when there is none), Redis answers and at least one worker is alive."""
    parts = [_timed("annuaire-ecriture", directory.writes.ping)]
    reads = [_timed(f"annuaire-lecture {pool.settings.url}", pool.ping)
             for pool in directory.reads.consumers]
    parts += reads
    redis_part = _timed("redis", connection.ping)
    parts.append(redis_part)
    alive: list[str] = []
    if redis_part.up:
        parts.append(_timed("travaux", lambda: _workers(connection, alive)))
    else:
        parts.append(Part("travaux", False, 0.0, "Redis ne répond pas : présence des serveurs de travaux inconnue"))
    writer, worker = parts[0], parts[-1]
    ready = writer.up and redis_part.up and worker.up and (not reads or any(part.up for part in reads))
    return Readiness(ready, parts)


def _workers(connection, alive: list) -> str:
    alive.extend(workers_alive(connection))
    if not alive:
        raise RuntimeError("aucun serveur de travaux en vie")
    return f"{len(alive)} en vie"


class Cached:
    """The last readiness of this process for CACHED seconds."""

    def __init__(self):
        self.lock = threading.Lock()
        self.at, self.value = 0.0, None

    def get(self, compute) -> Readiness:
        with self.lock:
            if self.value is not None and time.monotonic() - self.at < CACHED:
                return self.value
        value = compute()
        with self.lock:
            self.at, self.value = time.monotonic(), value
        return value


def keep_alive(connection, name: str, stop: threading.Event, log) -> None:
    """A worker's presence, said again every BEAT seconds until `stop` (a Redis away is waited out)."""
    while True:
        try:
            connection.set(f"{PRESENCE}{name}", str(time.time()), ex=ALIVE)
        except Exception as error:  # noqa: BLE001 - Redis away: said again at the next beat
            log.debug("presence not said: %s", error)
        if stop.wait(BEAT):
            break
    try:
        connection.delete(f"{PRESENCE}{name}")
    except Exception:  # noqa: BLE001 - it lapses by itself
        pass
