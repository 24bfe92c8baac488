"""What the benchmarks read of processes in /proc: CPU time spent (a process, its live children, its reaped ones),
the benchmark's own servers, and the peak memory of the processes a run watches."""
from __future__ import annotations

import os
import threading
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat's fields after the command's name (the first is the state, field 3)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """CPU time a process and its reaped children (RQ's work horses, wkhtmltopdf) have used."""
    fields = _stat(pid)
    return sum(int(v) for v in fields[11:15]) / TICK


def own_cpu_seconds(pid: int) -> float:
    """CPU time of the process itself, every thread, children left out."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / TICK


def children(pid: int) -> list[int]:
    """The live children of `pid`."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        try:
            below = children(todo.pop())
        except OSError:
            continue
        found += below
        todo += below
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and of every live descendant, each counted once (the reaped ones too, through
    their parents), at this moment."""
    total = 0.0
    for one in [pid, *descendants(pid)]:
        try:
            total += own_cpu_seconds(one)
        except OSError:
            continue
    try:
        fields = _stat(pid)
        total += (int(fields[13]) + int(fields[14])) / TICK
    except OSError:
        pass
    return total


def server_pids(config) -> dict[str, int]:
    """slapd's and Redis's process ids (the benchmark's own servers): their CPU time counts too."""
    root = str(Path(config["SESAME_FILES_DIR"]).parent)
    redis_port = config["SESAME_REDIS_URL"].rsplit(":", 1)[1].split("/")[0]
    found = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if command.startswith("/usr/sbin/slapd") and f"{root}/slapd/" in command:
            found["slapd"] = int(proc.name)
        elif "redis-server" in command and f":{redis_port}" in command:
            found["redis"] = int(proc.name)
    return found


def _memory(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


class PeakMemory:
    """Samples, a few times a second, the peak resident memory of every process under each root given (a role:
    gunicorn's workers, the job workers and their work horses), and keeps the largest one process reached."""

    def __init__(self, roots: dict[str, list[int]], every: float = 0.2):
        self.roots, self.every = roots, every
        self.peaks = {role: 0 for role in roots}
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)

    def sample(self) -> None:
        for role, pids in self.roots.items():
            for pid in [one for root in pids for one in (root, *descendants(root))]:
                try:
                    self.peaks[role] = max(self.peaks[role], _memory(pid))
                except OSError:
                    continue

    def _watch(self) -> None:
        while not self.stopped.wait(self.every):
            self.sample()

    def __enter__(self) -> "PeakMemory":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopped.set()
        self.thread.join()
        self.sample()


class CpuMeter:
    """CPU seconds spent between two readings by groups of processes (each with its live descendants and the
    ones reaped), e.g. {"web": [gunicorn's pid], "slapd": [its pid]}; `None` as a pid: this process alone."""

    def __init__(self, groups: dict[str, list[int | None]]):
        self.groups = groups

    def read(self) -> dict[str, float]:
        found = {}
        for name, pids in self.groups.items():
            total = 0.0
            for pid in pids:
                try:
                    total += own_cpu_seconds(os.getpid()) if pid is None else tree_cpu_seconds(pid)
                except OSError:
                    continue
            found[name] = total
        return found

    def since(self, before: dict[str, float]) -> dict[str, float]:
        now = self.read()
        return {name: now[name] - before.get(name, 0.0) for name in now}
