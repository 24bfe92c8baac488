"""A Redis primary, its replica and three sentinels watching them, on loopback, as README « Plusieurs
serveurs » sets them up, with the sentinels' timeouts cut to a second so that a failover takes seconds."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from devtools.slapd import free_port, terminate
from devtools.embedded import EmbeddedRedis
from support import wait_until

SENTINEL = shutil.which("redis-sentinel") or "/usr/bin/redis-sentinel"
MASTER = "sesame"


class Sentinels:
    def __init__(self, root: Path, password: str):
        self.root, self.password = root, password
        self.primary = EmbeddedRedis(root / "primary", password=password, settings=f"masterauth {password}\n")
        self.replica = EmbeddedRedis(root / "replica", password=password, settings=f"masterauth {password}\n")
        self.ports = [free_port() for _ in range(3)]
        self.sentinels: list[subprocess.Popen] = []

    @property
    def addresses(self) -> tuple[str, ...]:
        return tuple(f"127.0.0.1:{port}" for port in self.ports)

    @property
    def url(self) -> str:
        """What SESAME_REDIS_URL gives beside the sentinels: the password and the database."""
        return f"redis://:{self.password}@sentinel/0"

    def start(self) -> "Sentinels":
        self.primary.start()
        self.replica.settings += f"replicaof 127.0.0.1 {self.primary.port}\n"
        self.replica.start()
        for number, port in enumerate(self.ports):
            folder = self.root / f"sentinel-{number}"
            folder.mkdir(parents=True, exist_ok=True)
            config = folder / "sentinel.conf"       # the sentinel rewrites it: its own, writable
            config.write_text(
                f"port {port}\nbind 127.0.0.1\ndaemonize no\ndir {folder}\nlogfile {folder / 'sentinel.log'}\n"
                f"sentinel monitor {MASTER} 127.0.0.1 {self.primary.port} 2\n"
                f"sentinel auth-pass {MASTER} {self.password}\n"
                f"sentinel down-after-milliseconds {MASTER} 1000\n"
                f"sentinel failover-timeout {MASTER} 5000\n"
                f"sentinel parallel-syncs {MASTER} 1\n")
            self.sentinels.append(subprocess.Popen([SENTINEL, str(config)], stdout=subprocess.DEVNULL,
                                                   stderr=subprocess.DEVNULL, start_new_session=True))
        self.wait_until(lambda: all(self._ask(port, "SENTINEL", "REPLICAS", MASTER) for port in self.ports)
                        and self._replica_in_step(), "sentinels see the replica in step")
        return self

    def _ask(self, port: int, *command: str) -> str:
        """A command to a sentinel, its raw answer ('' if it does not answer)."""
        wire = f"*{len(command)}\r\n" + "".join(f"${len(c)}\r\n{c}\r\n" for c in command)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(wire.encode())
                time.sleep(0.05)
                answer = sock.recv(65536).decode(errors="replace")
        except OSError:
            return ""
        return "" if answer.startswith(("*0", "-")) else answer

    def _replica_in_step(self) -> bool:
        from redis import Redis
        info = Redis(port=self.replica.port, password=self.password).info("replication")
        return info.get("master_link_status") == "up"

    def primary_port(self) -> int | None:
        """The port of the primary as the sentinels name it now."""
        answer = self._ask(self.ports[0], "SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER)
        lines = [line for line in answer.split("\r\n") if line and not line.startswith(("*", "$"))]
        return int(lines[1]) if len(lines) == 2 else None

    def kill_primary(self) -> None:
        os.killpg(self.primary.process.pid, signal.SIGKILL)
        self.primary.process.wait()
        self.primary.process = None

    def wait_until(self, condition, what: str, timeout: float = 30.0):
        return wait_until(condition, timeout, 0.1, what)

    def stop(self) -> None:
        for process in self.sentinels:
            terminate(process)
        self.replica.stop()
        self.primary.stop()
