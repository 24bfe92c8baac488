"""The embedded default behind `make run`: private slapd and Redis under instance/, then worker and web."""
from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from .slapd import EmbeddedSlapd, free_port, terminate

ROOT = Path(__file__).resolve().parent.parent
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


class EmbeddedRedis:
    """One redis-server on loopback with its files under `root`."""

    def __init__(self, root: Path | str, port: int | None = None, persist: bool = True,
                 password: str | None = None, settings: str = ""):
        self.root = Path(root).resolve()
        self.port = port or free_port()
        self.persist = persist
        self.settings = settings          # more of redis.conf (a replica's `replicaof`, `masterauth`)
        # sessions live here: even on loopback, only those who know the password read them
        self.password = password or secrets.token_urlsafe(24)
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://:{self.password}@127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> "EmbeddedRedis":
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        config = self.root / "redis.conf"
        fd = os.open(config, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:   # the password in a file, not on the command line
            out.write(f"requirepass {self.password}\n{self.settings}")
        args = [REDIS_SERVER, str(config), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.root),
                "--daemonize", "no", "--protected-mode", "yes", "--logfile", str(self.root / "redis.log")]
        # durable: every write in the append-only file, flushed to disk every second (a crash loses at
        # most that second: sessions, and the jobs' records and reports)
        args += (["--appendonly", "yes", "--appendfsync", "everysec", "--save", "60 1", "--dbfilename", "dump.rdb"]
                 if self.persist else ["--save", "", "--appendonly", "no"])
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.root / 'redis.log'}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as sock:
                    sock.sendall(f"AUTH {self.password}\r\nPING\r\n".encode())
                    if b"+PONG" in sock.recv(64):
                        return self
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError("redis-server did not answer")

    def stop(self) -> None:
        terminate(self.process)
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def embedded_redis(instance: Path) -> EmbeddedRedis:
    """`make run`'s Redis, on the same port from one run to the next (`make backup` finds it there)."""
    folder = instance / "redis"
    kept = folder / "port"
    if not kept.exists():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        kept.write_text(str(free_port()))
    return EmbeddedRedis(folder, port=int(kept.read_text()), password=instance_secrets(instance)["SESAME_REDIS_PASSWORD"])


def instance_command(arguments: list[str]) -> int:
    """`python -m devtools.embedded flask ARGS`: a flask command on `make run`'s instance, with its settings
    (`make backup`, `make restore`). Its Redis is started for the command if `make run` is not running."""
    instance = Path(os.environ.get("SESAME_INSTANCE", ROOT / "instance")).resolve()
    suffix = os.environ.get("SESAME_LDAP_SUFFIX", "dc=sesame,dc=local")
    slapd = EmbeddedSlapd(instance / "slapd", suffix)
    redis = embedded_redis(instance)
    started = False
    try:
        with socket.create_connection(("127.0.0.1", redis.port), timeout=0.5):
            pass
    except OSError:
        redis.start()
        started = True
    try:
        env = embedded_environment(instance, slapd, redis)
        env.pop("PROMETHEUS_MULTIPROC_DIR")     # a command's own metrics: nobody scrapes them
        return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *arguments], env=env, cwd=ROOT).returncode
    finally:
        if started:
            redis.stop()


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def wait_until_listening(port: int, server: subprocess.Popen, timeout: float = 90) -> bool:
    """True once something accepts connections on `port`; False if `server` ended or time ran out
    (on a loaded machine gunicorn may take seconds to bind: the banner waits for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        with socket.socket() as sock:
            sock.settimeout(1)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


def port_is_free(port: int) -> bool:
    with socket.socket() as sock:
        # as gunicorn binds: connections of a previous run still in TIME_WAIT do not count
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _new_secrets() -> dict:
    return {
        "SESAME_SECRET_KEY": secrets.token_urlsafe(48),
        "SESAME_LDAP_BIND_PASSWORD": secrets.token_urlsafe(24),
        "SESAME_SEAL_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "SESAME_SSO_SECRET": secrets.token_urlsafe(24),
        "SESAME_REDIS_PASSWORD": secrets.token_urlsafe(24),
        "SESAME_OPERATOR_TOKEN": secrets.token_urlsafe(24),
        # what the SSO engine of `make sso` binds to the directory with (README « Les services de l'établissement »)
        "SESAME_LDAP_SSO_PASSWORD": secrets.token_urlsafe(24),
    }


def instance_secrets(instance: Path) -> dict:
    """Secrets of the embedded default, made once and kept (mode 600) under instance/."""
    path = instance / "secrets.json"
    if path.exists():
        values = json.loads(path.read_text())
        missing = {k: v for k, v in _new_secrets().items() if k not in values}
        if missing:   # made by an earlier version: the secrets it lacks are added, the others kept
            values.update(missing)
            path.write_text(json.dumps(values))
        return values
    instance.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(instance, 0o700)
    values = _new_secrets()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(values, out)
    return values


def embedded_environment(instance: Path, slapd: EmbeddedSlapd | None, redis: EmbeddedRedis | None,
                         port: int = 5000) -> dict:
    env = dict(os.environ)
    env.setdefault("SESAME_PUBLIC_URL", f"http://127.0.0.1:{port}")
    env.setdefault("SESAME_FILES_DIR", str(instance / "files"))
    # the demo's staff share one password: the second factor is offered (« Double authentification »
    # in the header), not imposed; a real deployment requires it by default
    env.setdefault("SESAME_STAFF_TOTP", "optional")
    for name, value in instance_secrets(instance).items():
        if name != "SESAME_REDIS_PASSWORD":   # it travels inside SESAME_REDIS_URL
            env.setdefault(name, value)
    if slapd is not None:
        env.update(SESAME_LDAP_URL=slapd.ldap_url, SESAME_LDAP_ADMIN_URL=slapd.ldapi_url,
                   SESAME_LDAP_MIGRATOR_DN=slapd.manager_dn, SESAME_LDAP_SUFFIX=slapd.suffix,
                   SESAME_SLAPD_CONFIG_DIR=str(slapd.config_dir))
    # the web server's processes and the worker's count their metrics together (webapp/metrics.py)
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(instance / "metrics"))
    if redis is not None:
        env["SESAME_REDIS_URL"] = redis.url
    return env


def demo_sign_ins(port: int, totp: str, token: str = "…") -> str:
    """What `make run` says once it runs: where, the demo's sign-ins (devtools.demo.SIGN_INS), the health page."""
    from .demo import SIGN_INS
    width = max(len(uid) for uid, _ in SIGN_INS) + 2
    return DEMO_SIGN_INS.format(port=port, totp=totp, token=token,
                                sign_ins="\n".join(f"  {uid:<{width}}{who}" for uid, who in SIGN_INS))


DEMO_SIGN_INS = """
Sésame is running on http://127.0.0.1:{port}  (staff second factor: {totp})

Demo sign-ins (password demo-sesame-2026, demo data only):
{sign_ins}

Students and parents sign in at http://127.0.0.1:{port}/compte/connexion with the identifier and
provisional password of their letter. Mail is not sent: each message is kept in instance/mail/.

Health: http://127.0.0.1:{port}/sante/pret ; its details and /metrics with
  -H "Authorization: Bearer {token}"   (SESAME_OPERATOR_TOKEN, in instance/secrets.json)

Ctrl-C stops everything.
"""


def seed_demo(slapd: EmbeddedSlapd, env: dict) -> str:
    """The demo data, the first time only, loaded offline with slapadd (a second or two)."""
    from directory.connection import DirectorySettings
    from directory.repository import Directory
    from webapp.extensions import service_dn

    from .demo_load import load_demo_offline

    directory = Directory(DirectorySettings(
        url=slapd.ldap_url, suffix=slapd.suffix, bind_dn=service_dn(slapd.suffix),
        bind_password=env["SESAME_LDAP_BIND_PASSWORD"]))
    try:
        return load_demo_offline(directory, base64.b64decode(env["SESAME_SEAL_KEY"]), slapd)
    finally:
        directory.close()


def run(port: int = 5000) -> int:
    instance = Path(os.environ.get("SESAME_INSTANCE", ROOT / "instance")).resolve()
    suffix = os.environ.get("SESAME_LDAP_SUFFIX", "dc=sesame,dc=local")
    slapd = None if os.environ.get("SESAME_LDAP_URL") else EmbeddedSlapd(instance / "slapd", suffix)
    redis = None if os.environ.get("SESAME_REDIS_URL") else embedded_redis(instance)
    children: list[subprocess.Popen] = []
    sink = None
    stopping = False

    def stop(*_):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        if slapd:
            slapd.start()
        if redis:
            redis.start()
        env = embedded_environment(instance, slapd, redis, port)
        metrics = Path(env["PROMETHEUS_MULTIPROC_DIR"])
        shutil.rmtree(metrics, ignore_errors=True)      # counted from zero at each start, as under systemd
        metrics.mkdir(parents=True, mode=0o700)
        if not os.environ.get("SESAME_SMTP_HOST"):
            from .mailsink import MailSink
            sink = MailSink(instance / "mail", on_message=lambda message, path: print(
                f"mail for {message['To']}: « {message['Subject']} », kept in {path}", flush=True)).start()
            env.update(SESAME_SMTP_HOST="127.0.0.1", SESAME_SMTP_PORT=str(sink.port))
        python = sys.executable
        flask = [python, "-m", "flask", "--app", "wsgi"]
        subprocess.run(flask + ["directory", "migrate"], env=env, cwd=ROOT, check=True)
        if slapd:
            print(seed_demo(slapd, env), flush=True)
        if not port_is_free(port):
            print(f"port {port} is already in use: stop what listens there, or choose another port "
                  f"with SESAME_PORT={port + 1} make run", file=sys.stderr)
            return 1
        # Own sessions: Ctrl-C reaches this process only, which then stops each child exactly once
        # (a gunicorn worker hit by SIGINT and SIGTERM together can deadlock in its handler).
        commands = {
            "job worker": [python, "-m", "webapp.jobs.worker"],
            # a password chosen at the SSO (`make sso`) makes the account « Activé » in Sésame
            "follower": [python, "-m", "webapp.follower"],
            "web server": [python, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "2", "--threads",
                           "4", "--no-control-socket",
                           "--limit-request-line", "8190", "--limit-request-field_size", "16380", "wsgi:app"],
        }

        def start(name: str) -> subprocess.Popen:
            child = subprocess.Popen(commands[name], env=env, cwd=ROOT, start_new_session=True)
            print(f"{name} started (pid {child.pid})", flush=True)
            return child

        running = {name: start(name) for name in commands}
        children.extend(running.values())
        if not wait_until_listening(port, running["web server"]):
            print(f"the web server did not start listening on port {port}: see its messages above",
                  file=sys.stderr, flush=True)
        print(demo_sign_ins(port, env["SESAME_STAFF_TOTP"], env["SESAME_OPERATOR_TOKEN"]), flush=True)
        restarts: dict[str, list[float]] = {name: [] for name in commands}
        while not stopping:
            for name, child in list(running.items()):
                if child.poll() is None or stopping:
                    continue
                recent = [t for t in restarts[name] if time.monotonic() - t < 60] + [time.monotonic()]
                restarts[name] = recent
                if len(recent) > 5:
                    print(f"the {name} stopped {len(recent)} times in a minute: stopping", file=sys.stderr)
                    return 1
                print(f"the {name} stopped unexpectedly (exit {child.returncode}): starting it again; "
                      "the rest keeps running", file=sys.stderr, flush=True)
                if _group_alive(child.pid):   # what it forked (gunicorn's workers) goes with it
                    os.killpg(child.pid, signal.SIGKILL)
                running[name] = start(name)
                children.append(running[name])
            if redis and redis.process and redis.process.poll() is not None and not stopping:
                print("Redis stopped unexpectedly: starting it again from its append-only file",
                      file=sys.stderr, flush=True)
                redis.start()
            if slapd and slapd.process:
                slapd.process.poll()   # reaps a slapd stopped by `make directory-stop`
            time.sleep(0.3)
        return 0
    except subprocess.CalledProcessError as error:
        print(f"set-up failed: {error}", file=sys.stderr)
        return 1
    finally:
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        for child in children:
            try:
                child.wait(15)
            except subprocess.TimeoutExpired:
                pass
            try:   # the child and whatever it forked (gunicorn's workers)
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if sink:
            sink.stop()
        if redis:
            redis.stop()
        if slapd:
            slapd.stop()
        print("Sésame stopped: web, worker, follower, Redis, slapd and the mail sink.", flush=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["flask"]:
        sys.exit(instance_command(sys.argv[2:]))
    sys.exit(run(int(os.environ.get("SESAME_PORT", "5000"))))
