"""`make sso`: beside a running `make run`, the SSO engine (LemonLDAP::NG) on its directory and the « service de
démonstration », until Ctrl-C. Nothing is kept: each start makes the engine's configuration anew."""
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

Try it: in Sésame (http://127.0.0.1:{sesame_port}, e.g. chef.lp), notify a student with a letter; open the
demo service, « Se connecter avec mon compte de l'établissement », sign in with the letter's identifier and
provisional password, choose a password (a student also gives their birth date, printed in Sésame's
profile); the service shows what it was told. Sésame shows the account « Activé » within seconds.

Ctrl-C stops the engine and the demo service (Sésame keeps running).
"""


def main() -> int:
    from devtools.slapd import EmbeddedSlapd
    from directory.errors import InvalidCredentials
    from directory.connection import open_connection
    from directory.migrations import sso_dn

    from .demo_service import DemoService
    from .engine import SsoEngine, local_settings
    from .lemonldap import OidcService

    instance = Path(os.environ.get("SESAME_INSTANCE", ROOT / "instance")).resolve()
    suffix = os.environ.get("SESAME_LDAP_SUFFIX", "dc=sesame,dc=local")
    secrets_file = instance / "secrets.json"
    slapd = EmbeddedSlapd(instance / "slapd", suffix)
    if not secrets_file.exists() or not slapd.running_pid():
        print("Sésame's directory is not running: start `make run` first (in another terminal), then `make sso`.",
              file=sys.stderr)
        return 1
    password = json.loads(secrets_file.read_text()).get("SESAME_LDAP_SSO_PASSWORD", "")
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
    engine = SsoEngine(local_settings(
        portal_port, slapd.ldap_url, suffix, password,
        [OidcService("servicedemo", "Service de démonstration", "service-demo", client_secret, (f"{service_url}retour",))],
        sesame_url=f"http://127.0.0.1:{sesame_port}/compte/connexion"), log_level="notice")
    stop = threading.Event()
    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, lambda *_: stop.set())
    engine.start()
    try:
        service = DemoService(engine.url, "service-demo", client_secret, service_port).start()
        try:
            print(BANNER.format(portal=engine.url, service=service.url, sesame_port=sesame_port), flush=True)
            stop.wait()
        finally:
            service.stop()
    finally:
        engine.stop()
        print("SSO engine and demo service stopped.", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
