"""A private LemonLDAP::NG: its FastCGI server behind nginx, both under a folder of ours, on a port of ours."""
from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from devtools.slapd import terminate

from .lemonldap import (DEBIAN_TEMPLATES, PLUGIN_LIB, SKIN, EnginePaths, EngineSettings, ini, nginx_server,
                        signing_pair, write_conf)

FASTCGI_SERVER = shutil.which("llng-fastcgi-server") or "/usr/sbin/llng-fastcgi-server"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
# The FastCGI server refuses to run as root: as root, it and nginx's workers run as Debian's web user.
WEB_USER = "www-data"


def portal_url(port: int, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{port}/"


def local_settings(port: int, ldap_url: str, suffix: str, sso_password: str, services=(), sesame_url: str = "",
                   **options) -> EngineSettings:
    """An engine on loopback for the tests and `make sso`, with a signing key of its own."""
    key, cert = signing_pair()
    return EngineSettings(portal_url=portal_url(port), ldap_url=ldap_url, suffix=suffix, sso_password=sso_password,
                          signing_key_pem=key, signing_cert_pem=cert, sesame_url=sesame_url, services=tuple(services),
                          **options)


class SsoEngine:
    """`SsoEngine(settings_for(url)).start()`: LemonLDAP::NG configured for Sésame's directory.

    Its folder is a new one under /tmp (removed by `stop`): when this process is root, the engine runs as
    www-data, which must reach every file of it (a folder under instance/ or pytest's, mode 700, it cannot).
    `processes` FastCGI workers serve the portal (each about 60 MB)."""

    def __init__(self, settings: EngineSettings, processes: int = 4, log_level: str = "warn",
                 root: Path | None = None):
        self.settings = settings
        self.port = urllib.parse.urlsplit(settings.portal_url).port    # nginx listens where the portal is said to be
        self.processes = processes
        self.log_level = log_level
        self.root = Path(root) if root else None
        self.fastcgi: subprocess.Popen | None = None
        self.nginx: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return self.settings.portal_url

    @property
    def log_path(self) -> Path:
        return self.root / "logs" / "lemonldap-ng.log"

    def _lay_out(self) -> EnginePaths:
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="sesame-sso-"))
        paths = EnginePaths.under(self.root)
        for folder in (paths.conf, paths.sessions / "lock", paths.cache, paths.templates, self.root / "run",
                       self.root / "logs", self.root / "nginx"):
            folder.mkdir(parents=True, exist_ok=True)
        # Debian's skins, and Sésame's own beside them (the engine falls back on bootstrap for the rest)
        for name in ("bootstrap", "common"):
            link = paths.templates / name
            if not link.exists():
                link.symlink_to(DEBIAN_TEMPLATES / name)
        shutil.copytree(SKIN, paths.templates / "sesame", dirs_exist_ok=True)
        shutil.copytree(PLUGIN_LIB, self.root / "lib", dirs_exist_ok=True)
        (self.root / "lemonldap-ng.ini").write_text(ini(paths, self.log_level), encoding="utf-8")
        write_conf(self.settings, paths)
        (self.root / "nginx" / "nginx.conf").write_text(self._nginx_conf(), encoding="utf-8")
        if os.getuid() == 0:
            user = pwd.getpwnam(WEB_USER)
            for folder, _, files in os.walk(self.root):
                os.chown(folder, user.pw_uid, user.pw_gid)
                for name in files:
                    os.chown(os.path.join(folder, name), user.pw_uid, user.pw_gid)
        return paths

    def _nginx_conf(self) -> str:
        run = self.root / "run"
        user = f"user {WEB_USER};\n" if os.getuid() == 0 else ""
        temp = "\n".join(f"    {kind}_temp_path {self.root / 'nginx' / kind};"
                         for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        server = nginx_server(f"127.0.0.1:{self.port}", "_", run / "fastcgi.sock")
        return f"""\
{user}worker_processes 2;
pid {run / 'nginx.pid'};
error_log {self.root / 'logs' / 'nginx-error.log'} warn;
events {{
    worker_connections 256;
}}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {self.root / 'logs' / 'nginx-access.log'};
{temp}
{server}
}}
"""

    def start(self, timeout: float = 60.0) -> "SsoEngine":
        self._lay_out()
        run = self.root / "run"
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "LANG": "C.UTF-8",
               "LLNG_DEFAULTCONFFILE": str(self.root / "lemonldap-ng.ini"), "PERL5LIB": str(self.root / "lib")}
        command = [FASTCGI_SERVER, "--foreground", "--proc", str(self.processes), "--socket", str(run / "fastcgi.sock"),
                   "--pid", str(run / "fastcgi.pid")]
        if os.getuid() == 0:
            command += ["--user", WEB_USER, "--group", WEB_USER]
        log = open(self.log_path, "ab")
        self.fastcgi = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                        start_new_session=True)
        self.nginx = subprocess.Popen([NGINX, "-p", str(self.root / "nginx"), "-c", str(self.root / "nginx" / "nginx.conf"),
                                       "-g", "daemon off;"], stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                      start_new_session=True)
        log.close()
        self._wait_until_serving(timeout)
        return self

    def _wait_until_serving(self, timeout: float) -> None:
        """Until the portal's OpenID Connect discovery answers (the FastCGI workers load the configuration)."""
        deadline = time.monotonic() + timeout
        address = f"{self.url}.well-known/openid-configuration"
        last = None
        while time.monotonic() < deadline:
            for name, process in (("FastCGI server", self.fastcgi), ("nginx", self.nginx)):
                if process.poll() is not None:
                    self.stop(keep=True)
                    raise RuntimeError(f"LemonLDAP::NG's {name} exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(address, timeout=5) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError) as error:
                last = error
            time.sleep(0.2)
        self.stop(keep=True)
        raise RuntimeError(f"LemonLDAP::NG did not answer within {timeout} s ({last}); see {self.log_path}")

    def stop(self, keep: bool = False) -> None:
        """Both servers and their workers; the folder too, unless `keep` (to read its logs)."""
        for process in (self.nginx, self.fastcgi):
            if process is not None and process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            terminate(process)
            if process is not None:
                try:
                    os.killpg(process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.nginx = self.fastcgi = None
        if not keep and self.root is not None and self.root.name.startswith("sesame-sso-"):
            shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def __enter__(self) -> "SsoEngine":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
