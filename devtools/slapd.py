"""A private slapd under a folder of ours, configured through cn=config: for `make run` and the tests."""
from __future__ import annotations

import base64
import hashlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path

SLAPD = shutil.which("slapd") or "/usr/sbin/slapd"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
SCHEMA_DIR = Path("/etc/ldap/schema")
MODULE_DIR = Path("/usr/lib/ldap")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def terminate(process: subprocess.Popen | None, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within `timeout` seconds."""
    if process is None or process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def peercred_dn() -> str:
    """The identity slapd gives this process over ldapi with SASL EXTERNAL."""
    return f"gidNumber={os.getgid()}+uidNumber={os.getuid()},cn=peercred,cn=external,cn=auth"


# The rootdn has no password, so nobody can bind as it: the unique and refint overlays run their
# internal searches and changes as the rootdn, and without one they see nothing.
def _bootstrap_config(data_dir: Path, run_dir: Path, suffix: str, max_size: int, no_sync: bool) -> str:
    manager = peercred_dn()
    return f"""\
dn: cn=config
objectClass: olcGlobal
cn: config
olcPidFile: {run_dir}/slapd.pid
olcArgsFile: {run_dir}/slapd.args

dn: cn=module{{0}},cn=config
objectClass: olcModuleList
cn: module{{0}}
olcModulePath: {MODULE_DIR}
olcModuleLoad: back_mdb.so

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file://{SCHEMA_DIR}/core.ldif

include: file://{SCHEMA_DIR}/cosine.ldif

include: file://{SCHEMA_DIR}/inetorgperson.ldif

dn: olcDatabase={{-1}}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {{-1}}frontend

dn: olcDatabase={{0}}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {{0}}config
olcAccess: {{0}}to * by dn.exact="{manager}" manage by * break

dn: olcDatabase={{1}}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {{1}}mdb
olcDbDirectory: {data_dir}
olcSuffix: {suffix}
olcRootDN: cn=internal,{suffix}
olcDbMaxSize: {max_size}
olcDbNoSync: {"TRUE" if no_sync else "FALSE"}
olcAccess: {{0}}to * by dn.exact="{manager}" manage by * break
"""


class SesameDefault:
    """The embedded default's first cn=config: schema core, cosine, inetOrgPerson and one mdb
    database that this process's identity over ldapi manages; the migrations do the rest."""

    def config_ldif(self, server: "EmbeddedSlapd") -> str:
        return _bootstrap_config(server.data_dir, server.root, server.suffix, server.max_size,
                                 server.no_sync)

    def entries_ldif(self, server: "EmbeddedSlapd") -> str | None:
        return None   # the migrations add the suffix entry


class DebianPackage:
    """cn=config and the suffix entry exactly as Debian's slapd package writes them when it is
    installed (its postinst fills /usr/share/slapd/slapd.init.ldif with the suffix and the admin's
    hashed password, then adds the suffix entry): the same modules, schemas, ACLs, indexes, limits
    and rootdn `cn=admin,<suffix>`. Only what would touch the machine's own slapd moves under our
    folder: the pid and args files and the database directory. Root's identity over ldapi, which the
    package lets manage everything, becomes this process's (the same when run as root).

    For the tests of « Pointing Sésame at a real directory »: never for `make run`.
    """

    TEMPLATE = Path("/usr/share/slapd/slapd.init.ldif")
    ROOT_OVER_LDAPI = "gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth"

    def __init__(self, admin_password: str | None = None):
        self.admin_password = admin_password or secrets.token_urlsafe(15)

    def config_ldif(self, server: "EmbeddedSlapd") -> str:
        text = self.TEMPLATE.read_text(encoding="utf-8")
        moves = {
            "@SUFFIX@": server.suffix,
            "@PASSWORD@": _ssha(self.admin_password),     # what slappasswd gives the postinst
            "olcPidFile: /var/run/slapd/slapd.pid": f"olcPidFile: {server.pid_path}",
            "olcArgsFile: /var/run/slapd/slapd.args": f"olcArgsFile: {server.root / 'slapd.args'}",
            "olcDbDirectory: /var/lib/ldap": f"olcDbDirectory: {server.data_dir}",
            self.ROOT_OVER_LDAPI: peercred_dn(),
        }
        for old, new in moves.items():
            if old not in text:
                raise RuntimeError(f"{self.TEMPLATE} has changed: no {old!r} in it")
            text = text.replace(old, new)
        for system_path in ("/var/run/slapd", "/var/lib/ldap"):
            if system_path in text:    # never let a copy write where the system's slapd lives
                raise RuntimeError(f"{self.TEMPLATE} names {system_path} in an unexpected place")
        return text

    def entries_ldif(self, server: "EmbeddedSlapd") -> str | None:
        # the postinst's create_new_directory; the organization defaults to the domain
        dc = server.suffix.split(",", 1)[0].split("=", 1)[1]
        domain = ".".join(part.split("=", 1)[1] for part in server.suffix.split(","))
        return (f"dn: {server.suffix}\nobjectClass: top\nobjectClass: dcObject\n"
                f"objectClass: organization\no: {domain}\ndc: {dc}\n\n")


def _ssha(password: str) -> str:
    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.encode() + salt).digest()
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


class EmbeddedSlapd:
    """One slapd process with its config and data under `root`; kept between runs unless removed.

    `initial` writes its first cn=config (and entries): the embedded default, or `DebianPackage()`
    for a slapd configured as Debian's package configures the system's one (which takes neither
    `max_size` nor `no_sync`: its own 1 GiB and synchronous writes). `no_sync` trades durability on power loss for speed: right for tests and the demo, never for
    a real directory.
    """

    def __init__(self, root: Path | str, suffix: str, port: int | None = None,
                 max_size: int = 4 * 1024**3, no_sync: bool = True,
                 initial: SesameDefault | DebianPackage | None = None):
        self.root = Path(root).resolve()
        self.suffix = suffix
        self.port = port or self._kept_port()
        self.max_size = max_size
        self.no_sync = no_sync
        self.initial = initial or SesameDefault()
        self.config_dir = self.root / "slapd.d"
        self.data_dir = self.root / "data"
        self.socket_path = self.root / "ldapi"
        self.log_path = self.root / "slapd.log"
        self.process: subprocess.Popen | None = None

    def _kept_port(self) -> int:
        """The same port from one run to the next, so that a slapd restarted by hand is found again."""
        path = self.root / "port"
        if path.exists():
            return int(path.read_text())
        port = free_port()
        self.root.mkdir(parents=True, exist_ok=True)
        path.write_text(str(port))
        return port

    @property
    def pid_path(self) -> Path:
        return self.root / "slapd.pid"

    def running_pid(self) -> int | None:
        """The pid of a slapd serving this folder, whoever started it."""
        try:
            pid = int(self.pid_path.read_text())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    @property
    def ldap_url(self) -> str:
        return f"ldap://127.0.0.1:{self.port}"

    @property
    def ldapi_url(self) -> str:
        return "ldapi://" + urllib.parse.quote(str(self.socket_path), safe="")

    @property
    def manager_dn(self) -> str:
        return peercred_dn()

    def is_configured(self) -> bool:
        return (self.config_dir / "cn=config.ldif").exists()

    def configure(self) -> None:
        """Write the initial cn=config, and the initial entries if `initial` has some."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        ldif = self.root / "bootstrap.ldif"
        ldif.write_text(self.initial.config_ldif(self))
        subprocess.run([SLAPADD, "-n0", "-F", str(self.config_dir), "-l", str(ldif)],
                       check=True, capture_output=True)
        entries = self.initial.entries_ldif(self)
        if entries:
            path = self.root / "entries.ldif"
            path.write_text(entries, encoding="utf-8")
            subprocess.run([SLAPADD, "-F", str(self.config_dir), "-b", self.suffix, "-l", str(path)],
                           check=True, capture_output=True)

    def start(self, timeout: float = 15.0) -> "EmbeddedSlapd":
        if not self.is_configured():
            self.configure()
        if self.running_pid():
            # left running by an earlier run, or started by hand: use it as it is
            self._wait_until_answering(timeout)
            return self
        if self.socket_path.exists():
            self.socket_path.unlink()
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [SLAPD, "-d", "0", "-F", str(self.config_dir), "-h", f"{self.ldap_url} {self.ldapi_url}"],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        self._wait_until_answering(timeout)
        return self

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"slapd exited with {self.process.returncode}; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    if self.socket_path.exists():
                        return
            except OSError:
                pass
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"slapd did not answer within {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        terminate(self.process)
        self.process = None
        self._stop_by_pid()

    def _stop_by_pid(self) -> None:
        """Stop a slapd of this folder that another process started (`make directory-start`)."""
        pid = self.running_pid()
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while self.running_pid() and time.monotonic() < deadline:
            time.sleep(0.05)

    def load(self, ldif_path: Path | str) -> None:
        """Bulk-load entries with `slapadd -q`, slapd stopped meanwhile: orders of magnitude faster
        than adds over LDAP, and it bypasses overlays, so the LDIF must already be consistent."""
        running = self.process is not None
        self.stop()
        try:
            subprocess.run([SLAPADD, "-q", "-F", str(self.config_dir), "-b", self.suffix, "-l", str(ldif_path)],
                           check=True, capture_output=True)
        finally:
            if running:
                self.start()

    def restart(self) -> None:
        self.stop()
        self.start()

    def __enter__(self) -> "EmbeddedSlapd":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv=None) -> int:
    """`python -m devtools.slapd start|stop FOLDER`: the embedded slapd of `make run`, by hand."""
    import argparse
    parser = argparse.ArgumentParser(prog="python -m devtools.slapd")
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("folder")
    parser.add_argument("--suffix", default=os.environ.get("SESAME_LDAP_SUFFIX", "dc=sesame,dc=local"))
    args = parser.parse_args(argv)
    server = EmbeddedSlapd(args.folder, args.suffix)
    if not server.is_configured():
        parser.error(f"no embedded slapd in {args.folder}: run `make run` once first")
    if args.action == "stop":
        server.stop()
        print("slapd stopped")
    elif server.running_pid():
        print(f"slapd already running on {server.ldap_url}")
    else:
        server.start()
        server.process = None   # leave it running after we exit; stop() finds it by its pid file
        print(f"slapd running on {server.ldap_url}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
