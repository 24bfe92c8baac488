"""A load run over HTTP through gunicorn as the Procfile runs it: many heads of many schools at once."""
from __future__ import annotations

import http.client
import os
import random
import re
import shlex
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from devtools.demo import SURNAMES
from devtools.slapd import free_port

from .common import CLASSES, CSRF, STAFF_PASSWORD, percentile

ROOT = Path(__file__).resolve().parent.parent
ROW_IDS = re.compile(r'name="ids" value="([0-9a-f]{32})"')


def procfile_web(port: int) -> list[str]:
    """The Procfile's `web:` command, its port given."""
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    command = line.split(":", 1)[1].replace("${PORT:-5000}", str(port))
    return shlex.split(command)


@contextmanager
def gunicorn(config: dict, say=print):
    """gunicorn serving the app on a free port with `config` as its environment, as in production."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")}
    env.update({k: str(v) for k, v in config.items() if k.startswith("SESAME_")})
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    command = procfile_web(port)
    command[command.index("0.0.0.0:" + str(port))] = f"127.0.0.1:{port}"
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/connexion")
                if connection.getresponse().status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError("gunicorn did not start")
            time.sleep(0.2)
        say(f"gunicorn as the Procfile runs it: {' '.join(command[1:])}")
        yield port
    finally:
        os.killpg(process.pid, 15)
        process.wait(15)


class Head:
    """One head of school in a browser: a kept-alive connection and the session cookie."""

    def __init__(self, port: int, uid: str, uai: str):
        self.port, self.uid, self.uai = port, uid, uai
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.connection.request(method, path, data, headers)
                response = self.connection.getresponse()
                content = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionError):
                if attempt == 2:
                    raise
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return response.status, content.decode("utf-8", "replace")

    def sign_in(self) -> None:
        status, page = self.request("GET", "/connexion")
        token = CSRF.search(page).group(1)
        status, _ = self.request("POST", "/connexion", {"csrf_token": token, "uid": self.uid, "password": STAFF_PASSWORD})
        if status != 302:
            raise RuntimeError(f"{self.uid} could not sign in ({status})")


@dataclass
class LoadFigures:
    seconds: float
    times: list[float] = field(default_factory=list)
    errors: int = 0
    foreign_rows: int = 0          # rows of another establishment than the head's
    rows: int = 0

    def line(self, label: str) -> str:
        ms = lambda f: percentile(self.times, f) * 1000 if self.times else float("nan")   # noqa: E731
        return (f"{label:34} {len(self.times) / self.seconds:>7.1f} req/s  p50 {ms(0.5):6.1f} ms  p95 {ms(0.95):6.1f} ms"
                f"  p99 {ms(0.99):6.1f} ms  errors {self.errors}  rows checked {self.rows:,}, "
                f"of another establishment {self.foreign_rows}")


def _next_request(rng: random.Random) -> str:
    """What a head does in « Élèves »: types a name, picks a class, pages on."""
    kind = rng.random()
    if kind < 0.4:
        query = {"q": rng.choice(SURNAMES)[:rng.randint(2, 5)].lower()}
    elif kind < 0.7:
        query = {"classe": rng.choice(CLASSES)[0]}
    else:
        query = {"page": rng.randint(1, 40)}
    return "/eleves?" + urlencode(query)


def run(port: int, heads: list[tuple[str, str]], school_of: dict[str, str], seconds: float,
        pause: float) -> LoadFigures:
    """Every head searching at once for `seconds`, pausing about `pause` seconds between requests (0:
    flat out); every row of every answer checked against the head's establishment."""
    people = [Head(port, uid, uai) for uid, uai in heads]
    for person in people:
        person.sign_in()
    figures = LoadFigures(seconds)
    lock = threading.Lock()
    start_gate = threading.Barrier(len(people) + 1)
    stop_at: list[float] = []

    def browse(person: Head, seed: int) -> None:
        rng = random.Random(seed)
        start_gate.wait()
        if pause:
            time.sleep(rng.uniform(0, pause))     # heads do not all type at the same instant
        while time.monotonic() < stop_at[0]:
            path = _next_request(rng)
            began = time.perf_counter()
            try:
                status, page = person.request("GET", path, headers={"HX-Request": "true"})
            except (OSError, http.client.HTTPException):
                status, page = 0, ""
            took = time.perf_counter() - began
            ids = ROW_IDS.findall(page) if status == 200 else []
            foreign = sum(1 for i in ids if school_of.get(i) != person.uai)
            with lock:
                if status == 200:
                    figures.times.append(took)
                else:
                    figures.errors += 1
                figures.rows += len(ids)
                figures.foreign_rows += foreign
            if pause:
                time.sleep(rng.uniform(0.5 * pause, 1.5 * pause))

    threads = [threading.Thread(target=browse, args=(person, n), daemon=True) for n, person in enumerate(people)]
    for thread in threads:
        thread.start()
    stop_at.append(time.monotonic() + seconds)
    start_gate.wait()
    for thread in threads:
        thread.join(seconds + 60)
    return figures
