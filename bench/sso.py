"""SSO sign-in through LemonLDAP::NG: holders of one school signing in to a service by OpenID Connect's
authorization-code flow, end to end, beside the bare LDAP bind with the same password hash, in the same run.

Run with `make bench-sso`. A private slapd (migrated, `--holders` students of one school, every one with the same
password hashed at the configured argon2 cost) and a private engine (FastCGI server behind nginx). Then, for
`--seconds` each, `--concurrency` holders at once, each starting again as soon as done:

- the bare bind: a new LDAP connection, a simple bind as the holder (argon2 verified by slapd), unbind;
- the SSO sign-in, as a browser and a service do it: the service's authorization request, the portal's sign-in
  page, the identifier and password posted (the engine finds the holder, binds as them with the password-policy
  control, opens a session), the redirect back with a code, the code exchanged at the token endpoint (client
  secret), the userinfo fetched with the access token.

It prints the throughput and p50/p95 of each and the ratio of the p95s (DESIGN target: ≤ 3×).
"""
from __future__ import annotations

import argparse
import secrets
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path

import ldap3

from directory import attributes as A
from devtools.slapd import EmbeddedSlapd, free_port
from directory.escaping import dn
from directory.migrations import MigrationSettings, Migrator
from directory.model import AccountState
from directory.passwords import PasswordHasher
from sso.engine import SsoEngine, local_settings
from sso.holder import Holder
from sso.lemonldap import OidcService

from .common import SERVICE_DN, SUFFIX, percentile, uai_of

PASSWORD = "Banc-Essai-2026"
CLIENT, REDIRECT = "bench-service", "http://127.0.0.1:9/retour"   # the code is read from the redirect, not served


def build(folder: Path, holders: int, argon2) -> tuple[EmbeddedSlapd, str, list[tuple[str, str]]]:
    """A migrated slapd with `holders` activated students of one school: (slapd, SSO password, [(uid, dn)])."""
    slapd = EmbeddedSlapd(folder, SUFFIX).start()
    service_password, sso_password = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    Migrator(MigrationSettings(url=slapd.ldapi_url, suffix=SUFFIX, service_dn=SERVICE_DN,
                               service_password=service_password, migrator_dn=slapd.manager_dn, argon2=argon2,
                               sso_password=sso_password)).migrate(say=lambda _: None)
    hashed = PasswordHasher(*argon2).hash(PASSWORD)       # one hash: every bind verifies the same cost
    conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), SERVICE_DN, service_password, auto_bind=True)
    uai, people = uai_of(1), []
    for n in range(holders):
        account_id = secrets.token_hex(16)
        entry_dn, uid = dn(A.ACCOUNT_ID, account_id, f"{A.STUDENTS},{SUFFIX}"), f"eleve.banc{n}"
        conn.add(entry_dn, [A.OC_PERSON, A.OC_ACCOUNT], {
            A.ACCOUNT_ID: account_id, A.UID: uid, A.CN: f"Élève Banc{n}", A.SURNAME: f"Banc{n}", A.GIVEN_NAME: "Élève",
            A.UAI: uai, A.CLASS_CODE: "2GT01", A.MEF_CODE: "20010018110", A.USER_PASSWORD: hashed,
            A.ACCOUNT_STATE: AccountState.ACTIVE.value})
        people.append((uid, entry_dn))
    conn.unbind()
    return slapd, sso_password, people


def bare_bind(slapd: EmbeddedSlapd, uid: str, entry_dn: str) -> None:
    conn = ldap3.Connection(ldap3.Server(slapd.ldap_url, get_info=ldap3.NONE), entry_dn, PASSWORD)
    if not conn.bind():
        raise RuntimeError(f"bind refused for {entry_dn}")
    conn.unbind()


def sso_sign_in(engine: SsoEngine, secret: str, uid: str, entry_dn: str) -> None:
    from authlib.integrations.requests_client import OAuth2Session
    service = OAuth2Session(CLIENT, secret, scope="openid profile sesame", redirect_uri=REDIRECT)
    url, _ = service.create_authorization_url(f"{engine.url}oauth2/authorize", nonce=secrets.token_urlsafe(8))
    holder = Holder(uid, PASSWORD)
    back = holder.sign_in(holder.go(url), stop_at=REDIRECT)
    if not back.url.startswith(REDIRECT):
        raise RuntimeError(f"sign-in of {uid} did not come back to the service: {back.messages}")
    service.fetch_token(f"{engine.url}oauth2/token", authorization_response=back.url)
    claims = service.get(f"{engine.url}oauth2/userinfo").json()
    if claims.get("preferred_username") != uid:
        raise RuntimeError(f"userinfo of {uid}: {claims}")


def load(operation, people, concurrency: int, seconds: float) -> tuple[list[float], int]:
    """`concurrency` threads, each doing `operation` for the next holder until `seconds` are over:
    (durations, errors)."""
    durations, errors, lock = [], [0], threading.Lock()
    deadline = time.monotonic() + seconds
    turn = iter(range(10**9))

    def run():
        while time.monotonic() < deadline:
            with lock:
                uid, entry_dn = people[next(turn) % len(people)]
            start = time.perf_counter()
            try:
                operation(uid, entry_dn)
            except Exception:   # noqa: BLE001 - counted and reported, the run goes on
                with lock:
                    errors[0] += 1
                continue
            with lock:
                durations.append(time.perf_counter() - start)
    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return durations, errors[0]


def report(name: str, durations: list[float], errors: int, seconds: float) -> tuple[float, float]:
    p50, p95 = statistics.median(durations) * 1000, percentile(durations, 0.95) * 1000
    print(f"{name:<42} {len(durations) / seconds:7.1f} /s   p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   "
          f"({len(durations)} done, {errors} errors)", flush=True)
    return p50, p95


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="make bench-sso", description=__doc__.split("\n\n")[0])
    parser.add_argument("--holders", type=int, default=200, help="students of the school (default 200)")
    parser.add_argument("--concurrency", type=int, default=20, help="holders signing in at once (default 20)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each run (default 30)")
    parser.add_argument("--processes", type=int, default=4, help="the engine's FastCGI workers (default 4)")
    parser.add_argument("--argon2", default="2,19456,1", help="t,m(KiB),p of the holders' hash (default 2,19456,1)")
    args = parser.parse_args(argv)
    argon2 = tuple(int(v) for v in args.argon2.split(","))
    folder = Path(tempfile.mkdtemp(prefix="sesame-bench-sso-"))
    slapd = engine = None
    try:
        print(f"building: {args.holders} students of one school, argon2id t={argon2[0]} m={argon2[1]} KiB "
              f"p={argon2[2]}", flush=True)
        slapd, sso_password, people = build(folder / "slapd", args.holders, argon2)
        secret = secrets.token_urlsafe(24)
        engine = SsoEngine(local_settings(free_port(), slapd.ldap_url, SUFFIX, sso_password,
                                          [OidcService("bench", "Banc d'essai", CLIENT, secret, (REDIRECT,))]),
                           processes=args.processes).start()
        for uid, entry_dn in people[:4]:      # warm up: each worker loads its modules at its first request
            sso_sign_in(engine, secret, uid, entry_dn)
        print(f"{args.concurrency} holders at once, {args.seconds:.0f} s each:", flush=True)
        bind = report("bare LDAP bind (same hash)", *load(lambda u, d: bare_bind(slapd, u, d), people,
                                                           args.concurrency, args.seconds), args.seconds)
        sso = report("SSO sign-in, OIDC code flow end to end", *load(lambda u, d: sso_sign_in(engine, secret, u, d),
                                                                      people, args.concurrency, args.seconds),
                     args.seconds)
        print(f"ratio SSO ÷ bare bind: p50 {sso[0] / bind[0]:.2f}×, p95 {sso[1] / bind[1]:.2f}×   "
              f"(target p95 ≤ 3×)", flush=True)
    finally:
        if engine:
            engine.stop()
        if slapd:
            slapd.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
