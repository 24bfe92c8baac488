"""How every process reaches Redis: the server of SESAME_REDIS_URL, or the primary that Redis Sentinel
names (SESAME_REDIS_SENTINELS), found again after a failover."""
from __future__ import annotations

from urllib.parse import unquote, urlsplit

from redis import Redis
from redis.sentinel import Sentinel

# Seconds before a silent Redis (or sentinel) counts as away: the page answers 503 rather than hang.
SOCKET_TIMEOUT = 5.0


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"SESAME_REDIS_SENTINELS: {text!r} is not host:port")
    return host.strip("[]"), int(port)


def connect(config, blocking: bool = False) -> Redis:
    """A client of the Redis primary. With sentinels, SESAME_REDIS_URL gives only the password and the
    database number: the primary's address is asked of the sentinels at each new connection, so that
    after a failover the next command goes to the replica they promoted. `blocking`: for RQ's worker,
    whose commands wait for jobs longer than SOCKET_TIMEOUT (RQ sets its own read timeout)."""
    url = config["SESAME_REDIS_URL"]
    sentinels = config.get("SESAME_REDIS_SENTINELS") or ()
    timeouts = {"socket_timeout": None if blocking else SOCKET_TIMEOUT, "socket_connect_timeout": SOCKET_TIMEOUT}
    if not sentinels:
        return Redis.from_url(url, **timeouts)      # the URL's own options, if it has some, come first
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0)
    sentinel = Sentinel([_address(s) for s in sentinels],
                        sentinel_kwargs={"password": config.get("SESAME_REDIS_SENTINEL_PASSWORD") or None,
                                         **timeouts},
                        password=unquote(parts.password) if parts.password else None, db=database, **timeouts)
    return sentinel.master_for(config.get("SESAME_REDIS_MASTER") or "sesame", **timeouts)
