"""A load run over HTTP through gunicorn as the Procfile runs it: many heads of many schools at once."""
from __future__ import annotations

import http.client
import os
import random
import re
import secrets
import shlex
import statistics
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

from .common import arguments, CLASSES, CSRF, STAFF_PASSWORD, big_directory, percentile, uai_of
from .procs import own_cpu_seconds, tree_cpu_seconds

ROOT = Path(__file__).resolve().parent.parent
ROW_IDS = re.compile(r'name="ids" value="([0-9a-f]{32})"')
_MASTERS: dict[int, int] = {}      # port → the pid of the gunicorn serving it


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
        _MASTERS[port] = process.pid
        yield port
    finally:
        _MASTERS.pop(port, None)
        os.killpg(process.pid, 15)
        process.wait(15)


def _multipart(fields, files) -> tuple[bytes, str]:
    """A multipart/form-data body of form fields and files, and its Content-Type."""
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in (fields.items() if isinstance(fields, dict) else fields):
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode())
    for name, filename, content, kind in files:
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f'Content-Type: {kind}\r\n\r\n'.encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class Head:
    """One head of school in a browser: a kept-alive connection and the session cookie."""

    def __init__(self, port: int, uid: str, uai: str, timeout: float = 30):
        self.port, self.uid, self.uai, self.timeout = port, uid, uai, timeout
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.headers: dict[str, str] = {}

    def request(self, method: str, path: str, body=None, headers: dict | None = None, files=None):
        """`body`: form fields (a dict, or pairs for a field given twice); `files`: (field, file name, content,
        type) sent with them as multipart/form-data. (status, text); the answer's headers in `self.headers`."""
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if files:
            data, headers["Content-Type"] = _multipart(body or {}, files)
        elif body is not None:
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
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        self.headers = {name.lower(): value for name, value in response.getheaders()}
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


def master_pid(port: int) -> int:
    """The pid of the gunicorn `gunicorn()` started on `port` (its workers are its children)."""
    return _MASTERS[port]


def cpu_meters(port: int, servers: dict[str, int]) -> dict[str, callable]:
    """What to read CPU time from during a load run: gunicorn's workers (the master and every worker), each
    server of `servers` (slapd, Redis) and this process, the load generator."""
    master = master_pid(port)
    meters = {"web workers": lambda: tree_cpu_seconds(master)}
    meters.update({name: (lambda pid=pid: own_cpu_seconds(pid)) for name, pid in servers.items()})
    meters["load generator"] = lambda: own_cpu_seconds(os.getpid())
    return meters


GENERATOR = "load generator"


@dataclass
class LoadFigures:
    seconds: float
    times: list[float] = field(default_factory=list)
    errors: int = 0
    foreign_rows: int = 0          # rows of another establishment than the head's
    rows: int = 0
    cpu: dict[str, float] = field(default_factory=dict)    # CPU seconds each spent in the window
    window: float = 0.0            # the window's length as measured (the last requests end after `seconds`)

    @property
    def requests(self) -> int:
        return len(self.times) + self.errors

    @property
    def throughput(self) -> float:
        return len(self.times) / self.seconds

    def percentile_ms(self, fraction: float) -> float:
        return percentile(self.times, fraction) * 1000 if self.times else float("nan")

    def cpu_per_request(self) -> dict[str, float]:
        """CPU seconds per request of each process watched."""
        return {name: spent / max(self.requests, 1) for name, spent in self.cpu.items()}

    @property
    def ceiling(self) -> float:
        """Requests a second this machine could serve if its cores did nothing but the servers' work: cores ÷
        the CPU a request costs without the load generator."""
        serving = sum(v for k, v in self.cpu_per_request().items() if k != GENERATOR)
        return (os.cpu_count() or 1) / serving if serving else float("nan")

    def line(self, label: str) -> str:
        ms = self.percentile_ms
        return (f"{label:34} {self.throughput:>7.1f} req/s  p50 {ms(0.5):6.1f} ms  p95 {ms(0.95):6.1f} ms"
                f"  p99 {ms(0.99):6.1f} ms  errors {self.errors}  rows checked {self.rows:,}, "
                f"of another establishment {self.foreign_rows}")

    def cpu_line(self) -> str:
        """The CPU each process spent per request in the window, and the ceiling it implies."""
        if not self.cpu:
            return ""
        per = self.cpu_per_request()
        split = ", ".join(f"{name} {seconds * 1000:.1f} ms" for name, seconds in per.items())
        return (f"{'':34} CPU per request: {split}; ceiling {os.cpu_count()} cores ÷ "
                f"{sum(v for k, v in per.items() if k != GENERATOR) * 1000:.1f} ms = {self.ceiling:.0f} req/s, "
                f"served {self.throughput / self.ceiling:.2f} of it")


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
        pause: float, meters: dict | None = None) -> LoadFigures:
    """Every head searching at once for `seconds`, pausing about `pause` seconds between requests (0:
    flat out); every row of every answer checked against the head's establishment. `meters` (name → CPU
    seconds so far, see cpu_meters): the CPU each spent from the start to the end of the window."""
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
    meters = meters or {}
    before = {name: read() for name, read in meters.items()}
    began = time.monotonic()
    stop_at.append(began + seconds)
    start_gate.wait()
    for thread in threads:
        thread.join(seconds + 60)
    figures.window = time.monotonic() - began
    figures.cpu = {name: read() - before[name] for name, read in meters.items()}
    return figures


def rounds(config, port: int, heads: int, schools: dict, seconds: float, count: int, say=print) -> dict:
    """`count` rounds of the load run, each paced then flat out, with the CPU split of each; then the medians."""
    from .procs import server_pids
    people = [(f"head.{n}", uai_of(n)) for n in range(heads)]
    meters = cpu_meters(port, server_pids(config))
    say(f"\nload: {heads} heads of {heads} establishments searching and paging at once for {seconds:.0f} s each "
        f"(paced about 1 s between requests, then flat out), every row of every answer checked; CPU time from "
        f"/proc over the same window; {count} round(s)")
    found: dict[str, list[LoadFigures]] = {"paced": [], "flat": []}
    for number in range(1, count + 1):
        for kind, pause, label in (("paced", 1.0, "pausing about 1 s"), ("flat", 0.0, "flat out")):
            figures = run(port, people, schools, seconds, pause=pause, meters=meters)
            found[kind].append(figures)
            say(figures.line(f"round {number}, {label}"))
            say(figures.cpu_line())
    median = statistics.median
    paced, flat = found["paced"], found["flat"]
    per = {name: median(f.cpu_per_request()[name] for f in flat) * 1000 for name in flat[0].cpu}
    ceiling = median(f.ceiling for f in flat)
    throughput = median(f.throughput for f in flat)
    say(f"\nmedians of {count}: paced p50 {median(f.percentile_ms(0.5) for f in paced):.1f} ms, "
        f"p95 {median(f.percentile_ms(0.95) for f in paced):.1f} ms (target <= 100), "
        f"p99 {median(f.percentile_ms(0.99) for f in paced):.1f} ms (target <= 250), "
        f"{median(f.throughput for f in paced):.1f} req/s")
    say(f"flat out {throughput:.1f} req/s, p50 {median(f.percentile_ms(0.5) for f in flat):.1f} ms, "
        f"p95 {median(f.percentile_ms(0.95) for f in flat):.1f} ms, p99 {median(f.percentile_ms(0.99) for f in flat):.1f} ms; "
        f"ceiling {ceiling:.0f} req/s -> {throughput / ceiling:.2f} of it (target >= 0.8)")
    say("CPU per request flat out: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in per.items()) +
        f" -> the web workers {per['web workers'] / per['slapd']:.2f}x slapd's (target <= 1x)")
    foreign = sum(f.foreign_rows for kind in found.values() for f in kind)
    errors = sum(f.errors for kind in found.values() for f in kind)
    say(f"rows of another establishment: {foreign} (target 0); errors {errors}")
    return found


def main(argv=None) -> int:
    parser = arguments("The load run alone: " + __doc__)
    parser.add_argument("--heads", type=int, default=50, help="heads of as many schools")
    parser.add_argument("--seconds", type=float, default=60, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (paced, flat out)")
    parser.add_argument("--profile", metavar="FILE", help="then one more flat-out run with py-spy sampling every web "
                        "worker (`.venv/bin/pip install -e '.[bench]'`), collapsed stacks to FILE")
    args = parser.parse_args(argv)
    schools: dict[str, str] = {}
    heads = min(args.heads, args.establishments)
    with big_directory(args.establishments, args.students, schools=schools) as config:
        with gunicorn(config) as port:
            print(f"load average before: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
            if args.rounds:
                rounds(config, port, heads, schools, args.seconds, args.rounds)
            print(f"load average after: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
            if args.profile:
                spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "--subprocesses", "--gil",
                                        "--nonblocking", "--format", "raw", "-o", args.profile, "--pid",
                                        str(master_pid(port))], stdout=subprocess.DEVNULL)
                time.sleep(2)
                people = [(f"head.{n}", uai_of(n)) for n in range(heads)]
                print(run(port, people, schools, args.seconds, pause=0.0).line("flat out under py-spy"))
                spy.send_signal(2)
                spy.wait(60)
                print(f"py-spy's collapsed stacks of the web workers: {args.profile}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
