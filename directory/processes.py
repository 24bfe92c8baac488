"""External programs (slapcat, slapadd, wkhtmltopdf, pdfunite) run within a bound: past it, the program and
whatever it started are killed, and the caller is told so."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class Overdue(RuntimeError):
    """A program still running when its time was up: it was killed with everything it started."""

    def __init__(self, program: str, seconds: float):
        self.program, self.seconds = program, seconds
        super().__init__(f"{program} still running after {seconds:g} s: killed")


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: bytes
    stderr: bytes


def _kill_group(process: subprocess.Popen) -> None:
    """The program's whole process group (it leads one of its own), SIGKILL: a wrapper's children too,
    which would otherwise keep its pipes open."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run(command: list[str], timeout: float, input: bytes | None = None, env: dict | None = None) -> Finished:
    """`command` given `input` on its standard input, its outputs read whole; `Overdue` past `timeout` seconds."""
    with subprocess.Popen(command, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, start_new_session=True) as process:
        try:
            stdout, stderr = process.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.communicate()
            raise Overdue(Path(command[0]).name, timeout) from None
        except BaseException:
            _kill_group(process)
            raise
    return Finished(process.returncode, stdout, stderr)


@contextmanager
def bounded(command: list[str], timeout: float, **popen):
    """`command` started in a process group of its own, for a caller that streams its input or output; killed
    with its group once `timeout` seconds have passed, and `Overdue` raised as the block ends."""
    process = subprocess.Popen(command, start_new_session=True, **popen)
    fired = threading.Event()

    def expire():
        fired.set()
        _kill_group(process)
    timer = threading.Timer(timeout, expire)
    timer.daemon = True
    timer.start()
    try:
        yield process
        process.wait()          # still bounded: the timer kills a program that would not end
    except BaseException:
        _kill_group(process)
        process.wait()
        if fired.is_set():
            raise Overdue(Path(command[0]).name, timeout) from None
        raise
    finally:
        timer.cancel()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                stream.close()
    if fired.is_set():
        raise Overdue(Path(command[0]).name, timeout)
