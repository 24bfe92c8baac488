"""`make sso`: beside a running `make run`, the SSO engine (LemonLDAP::NG) on its directory — the holders' portal
for the « service de démonstration », and the staff's for Sésame, with its second factor — until Ctrl-C. Only the
demo staff's second-factor key is kept (instance/sso-totp.key); each start makes the engine's configuration anew."""
from __future__ import annotations

import json
import os
import secrets
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

BANNER = """
The SSO engine (LemonLDAP::NG) runs on {portal}
The « service de démonstration » runs on {service}

Staff: open http://127.0.0.1:{sesame_port}/connexion, « Se connecter avec le portail de l'académie », sign in
as chef.lp (password demo-sesame-2026), then give the portal's code. Every demo staff member's second factor
there is the key
    {key_groups}
Scan this QR code with an authenticator app (FreeOTP, Google or Microsoft Authenticator…), or run
`make sso-code` in another terminal for the current code. Sésame asks for nothing more; « Se déconnecter »
signs you out of the portal too.
{qr}
Holders: in Sésame (e.g. as chef.lp), notify a student with a letter; open the demo service, « Se connecter avec
mon compte de l'établissement », sign in with the letter's identifier and provisional password, choose a password
(a student also gives their birth date, printed in Sésame's profile); the service shows what it was told. Sésame
shows the account « Activé » within seconds.

Ctrl-C stops the engine and the demo service (Sésame keeps running).
"""


def demo_totp_key(instance: Path) -> str:
    """The demo staff's second-factor key at the engine: made once (mode 600), the same at every `make sso`."""
    import pyotp
    path = instance / "sso-totp.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(pyotp.random_base32())
    return path.read_text().strip()


def print_code() -> int:
    """`make sso-code`: the demo staff's current code at the engine, and how long it still holds."""
    import time

    import pyotp
    instance = Path(os.environ.get("SESAME_INSTANCE", ROOT / "instance")).resolve()
    if not (instance / "sso-totp.key").exists():
        print("No demo second factor yet: start `make sso` first.", file=sys.stderr)
        return 1
    left = 30 - int(time.time()) % 30
    print(f"{pyotp.TOTP(demo_totp_key(instance)).now()}   (valid {left} more seconds)")
    return 0


def main() -> int:
    from devtools.demo import SIGN_INS
    from devtools.slapd import EmbeddedSlapd
    from directory.errors import InvalidCredentials
    from directory.connection import open_connection
    from directory.migrations import sso_dn
    from webapp.auth.provider_client import client_uris

    from .demo_service import DemoService
    from .engine import SsoEngine, local_settings
    from .lemonldap import OidcService, StaffConsole

    instance = Path(os.environ.get("SESAME_INSTANCE", ROOT / "instance")).resolve()
    suffix = os.environ.get("SESAME_LDAP_SUFFIX", "dc=sesame,dc=local")
    secrets_file = instance / "secrets.json"
    slapd = EmbeddedSlapd(instance / "slapd", suffix)
    if not secrets_file.exists() or not slapd.running_pid():
        print("Sésame's directory is not running: start `make run` first (in another terminal), then `make sso`.",
              file=sys.stderr)
        return 1
    instance_secrets = json.loads(secrets_file.read_text())
    password = instance_secrets.get("SESAME_LDAP_SSO_PASSWORD", "")
    staff_secret = instance_secrets.get("SESAME_STAFF_OIDC_CLIENT_SECRET", "")
    if not staff_secret:
        print("Sésame does not know the portal yet: stop `make run` (Ctrl-C) and start it again, then `make sso`.",
              file=sys.stderr)
        return 1
    try:
        open_connection(slapd.ldap_url, sso_dn(suffix), password, 5.0).unbind()
    except InvalidCredentials:
        print("The directory does not know the SSO engine's password yet: stop `make run` (Ctrl-C) and start it "
              "again (its migrations set it), then `make sso`.", file=sys.stderr)
        return 1
    sesame_port = int(os.environ.get("SESAME_PORT", "5000"))
    portal_port = int(os.environ.get("SESAME_SSO_PORT", str(sesame_port + 2)))
    service_port = int(os.environ.get("SESAME_DEMO_SERVICE_PORT", str(sesame_port + 3)))
    client_secret = secrets.token_urlsafe(24)
    service_url = f"http://127.0.0.1:{service_port}/"
    sesame = f"http://127.0.0.1:{sesame_port}"
    engine = SsoEngine(local_settings(
        portal_port, slapd.ldap_url, suffix, password,
        [OidcService("servicedemo", "Service de démonstration", "service-demo", client_secret, (f"{service_url}retour",))],
        sesame_url=f"{sesame}/compte/connexion",
        staff_console=StaffConsole(os.environ.get("SESAME_STAFF_OIDC_CLIENT_ID", "sesame"), staff_secret,
                                   **client_uris(sesame))), log_level="notice")
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    engine.start()
    try:
        key = demo_totp_key(instance)
        for uid, _ in SIGN_INS:           # the demo's staff, each with the portal's second factor
            engine.register_totp(uid, key)
        service = DemoService(engine.url, "service-demo", client_secret, service_port).start()
        try:
            print(BANNER.format(portal=engine.url, service=service.url, sesame_port=sesame_port,
                                key_groups=" ".join(key[i:i + 4] for i in range(0, len(key), 4)),
                                qr=_terminal_qr(key)), flush=True)
            stop.wait()
        finally:
            service.stop()
    finally:
        engine.stop()
        print("SSO engine and demo service stopped.", flush=True)
    return 0


def _terminal_qr(key: str) -> str:
    import io

    import pyotp
    import segno
    out = io.StringIO()
    segno.make(pyotp.TOTP(key).provisioning_uri(name="personnel démo", issuer_name="Portail de démonstration"),
               error="m").terminal(out=out, compact=True)
    return out.getvalue()


if __name__ == "__main__":
    sys.exit(print_code() if sys.argv[1:] == ["code"] else main())
