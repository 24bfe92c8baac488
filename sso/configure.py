"""`python -m sso.configure SERVICES.json`: a real deployment's LemonLDAP::NG configuration, from Sésame's
settings and the school's services (OIDC clients, SAML service providers, CAS services) and Sésame itself (the
staff's OpenID Connect client, and behind the engine's handler), written where Debian's package keeps it, and
nginx's server blocks for the portal and for Sésame behind the handler."""
from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path

from .lemonldap import (CasService, EnginePaths, EngineSettings, GuardedConsole, OidcService, SamlService,
                        StaffConsole, guarded_server, lmconf, nginx_server, signing_pair)

DEBIAN = EnginePaths(conf=Path("/var/lib/lemonldap-ng/conf"), sessions=Path("/var/lib/lemonldap-ng/sessions"),
                     cache=Path("/var/lib/lemonldap-ng/cache"), templates=Path("/usr/share/lemonldap-ng/portal/templates"))
_NUMBER = re.compile(r"^lmConf-(\d+)\.json$")


def services_from(path: Path) -> tuple:
    """The services file: {"oidc": [{key, name, client_id, client_secret, redirect_uris}], "saml": [{key,
    metadata}], "cas": [{key, service_url}]} (a SAML service's metadata: the path of its XML file)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    found = [OidcService(s["key"], s["name"], s["client_id"], s["client_secret"], tuple(s["redirect_uris"]))
             for s in data.get("oidc", [])]
    found += [SamlService(s["key"], (path.parent / s["metadata"]).read_text(encoding="utf-8")) for s in data.get("saml", [])]
    found += [CasService(s["key"], s["service_url"]) for s in data.get("cas", [])]
    for service in found:
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,31}", service.key):
            raise ValueError(f"« {service.key} »: a service's key is letters and digits, starting with a letter")
    return tuple(found)


def consoles_from(path: Path, environ) -> tuple[StaffConsole | None, GuardedConsole | None]:
    """Sésame in the services file: "sesame": {client_id, client_secret, url} makes it the staff's OpenID Connect
    client (its addresses under `url`, SESAME_PUBLIC_URL); "sesame_guarded": {host, upstream, listen} puts it
    behind the engine's handler too, the handler handing the person's name over with SESAME_SSO_SECRET."""
    from webapp.auth.provider_client import client_uris
    data = json.loads(path.read_text(encoding="utf-8"))
    staff = guarded = None
    if "sesame" in data:
        entry = data["sesame"]
        staff = StaffConsole(entry["client_id"], entry["client_secret"], **client_uris(entry["url"]))
    if "sesame_guarded" in data:
        entry = data["sesame_guarded"]
        secret = environ.get("SESAME_SSO_SECRET", "")
        if not secret:
            raise ValueError("sesame_guarded: set SESAME_SSO_SECRET (the secret the handler hands over to Sésame)")
        guarded = GuardedConsole(entry["host"], entry["upstream"], secret, listen=entry.get("listen", "127.0.0.1:8081"))
    return staff, guarded


def signing_key(path: Path) -> tuple[str, str]:
    """The engine's signing key and certificate, made once (mode 600) and kept: services trust its key."""
    cert = path.with_suffix(".crt")
    if not path.exists():
        key_pem, cert_pem = signing_pair()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(key_pem)
        cert.write_text(cert_pem)
    return path.read_text(), cert.read_text()


def next_number(conf: Path) -> int:
    numbers = [int(m.group(1)) for p in conf.glob("lmConf-*.json") if (m := _NUMBER.match(p.name))]
    return max(numbers, default=0) + 1


def main(argv=None, environ=os.environ) -> int:
    parser = argparse.ArgumentParser(prog="python -m sso.configure", description=__doc__.split("\n\n")[0])
    parser.add_argument("services", type=Path, help="the services file (deploy/lemonldap/services.example.json)")
    parser.add_argument("--conf-dir", type=Path, default=DEBIAN.conf, help="LemonLDAP::NG's File configuration store")
    parser.add_argument("--key", type=Path, default=Path("/etc/sesame/sso-signing.key"),
                        help="the signing key (made the first time, with its .crt beside it)")
    parser.add_argument("--nginx", type=Path, help="write nginx's server block for the portal there")
    parser.add_argument("--sesame-nginx", type=Path,
                        help="write nginx's server block for Sésame behind the handler there (sesame_guarded)")
    args = parser.parse_args(argv)
    portal = environ.get("SESAME_SSO_PORTAL_URL", "")
    password = environ.get("SESAME_LDAP_SSO_PASSWORD", "")
    if not portal.endswith("/") or not password:
        parser.error("set SESAME_SSO_PORTAL_URL (https://…/, ending with /) and SESAME_LDAP_SSO_PASSWORD")
    staff, guarded = consoles_from(args.services, environ)
    if args.sesame_nginx and not guarded:
        parser.error("--sesame-nginx: the services file has no sesame_guarded")
    key_pem, cert_pem = signing_key(args.key)
    settings = EngineSettings(
        portal_url=portal, ldap_url=environ.get("SESAME_LDAP_URL", "ldap://127.0.0.1:389"),
        suffix=environ.get("SESAME_LDAP_SUFFIX", "dc=sesame,dc=local"), sso_password=password,
        signing_key_pem=key_pem, signing_cert_pem=cert_pem,
        sesame_url=environ.get("SESAME_PUBLIC_URL", "").rstrip("/") + "/compte/connexion",
        services=services_from(args.services), secure_cookies=portal.startswith("https://"),
        staff_console=staff, guarded_console=guarded, cookie_domain=environ.get("SESAME_SSO_COOKIE_DOMAIN", ""))
    paths = EnginePaths(args.conf_dir, DEBIAN.sessions, DEBIAN.cache, DEBIAN.templates)
    number = next_number(args.conf_dir)
    target = args.conf_dir / f"lmConf-{number}.json"
    try:
        conf = lmconf(settings, paths, number)
    except ValueError as error:
        parser.error(str(error))
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(conf, out, indent=1, ensure_ascii=False)
    print(f"written: {target} (configuration {number}); the portal reads it within checkTime (lemonldap-ng.ini)")
    if args.nginx:
        from urllib.parse import urlsplit
        host = urlsplit(portal).hostname
        args.nginx.write_text(nginx_server("127.0.0.1:8080", host,
                                           Path("/run/llng-fastcgi-server/llng-fastcgi.sock")), encoding="utf-8")
        print(f"written: {args.nginx} (listens on 127.0.0.1:8080 behind your TLS front; adjust `listen` to taste)")
    if args.sesame_nginx:
        fd = os.open(args.sesame_nginx, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o640)   # it holds the secret
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(guarded_server(guarded.listen, guarded, Path("/run/llng-fastcgi-server/llng-fastcgi.sock")))
        print(f"written: {args.sesame_nginx} (Sésame behind the handler, on {guarded.listen} behind your TLS front)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
