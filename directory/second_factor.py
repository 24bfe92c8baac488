"""The staff's TOTP second factor (RFC 6238, with pyotp): secrets, codes, recovery codes, and where the
directory keeps them (sesameTotpSecret sealed under the application key, sesameTotpRecovery as SHA-256
of each unused recovery code; both readable by the service identity only, migration 0009).

Why pyotp and not slapd's otp module: otp.so checks a code appended to the password at bind, for every
service that binds as staff, which is stronger in principle; but it keeps no recovery codes, needs the
oath entries and parameters of its own schema written and read by the enrolling app anyway, and turns
every mistyped code into a directory failure that counts towards the lockout. With pyotp Sésame
enrolls with a QR code, keeps single-use recovery codes (an LDAP delete of the value: two uses at once
cannot both succeed), refuses a code used twice, and limits code attempts like passwords."""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

import ldap3
import pyotp

from . import attributes as A
from .errors import Conflict
from .escaping import equals
from .passwords import PROVISIONAL_ALPHABET, Sealer

ISSUER = "Sésame"
RECOVERY_CODES = 10
RECOVERY_GROUPS = 3            # XXXX-XXXX-XXXX: 12 characters of 31, about 59 bits each
STEP = 30                      # seconds per code
DRIFT = 1                      # codes of the step before and after are accepted (clocks drift)


def new_secret() -> str:
    return pyotp.random_base32(32)       # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, uid: str) -> str:
    """What the QR code holds: `otpauth://totp/Sésame:uid?secret=...&issuer=Sésame`."""
    return pyotp.TOTP(secret, interval=STEP).provisioning_uri(name=uid, issuer_name=ISSUER)


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The time step whose code this is (within the drift), or None. The step is what a replay check
    remembers: a code is good once."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == 6):    # "٠١٢٣٤٥".isdigit() is True
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    now = time.time() if now is None else now
    for offset in range(-DRIFT, DRIFT + 1):
        moment = now + offset * STEP
        if secrets.compare_digest(totp.at(moment), code):
            return int(moment // STEP)
    return None


def new_recovery_codes() -> list[str]:
    return ["-".join("".join(secrets.choice(PROVISIONAL_ALPHABET) for _ in range(4))
                     for _ in range(RECOVERY_GROUPS)) for _ in range(RECOVERY_CODES)]


def normalized_recovery_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isascii() and c.isalnum())


def recovery_hash(code: str) -> str:
    return hashlib.sha256(normalized_recovery_code(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(normalized_recovery_code(code)) == 4 * RECOVERY_GROUPS


@dataclass(frozen=True)
class Enrolment:
    secret: str | None             # None: not enrolled
    recovery_hashes: tuple[str, ...]
    has_credentials: bool          # the entry carries the sesameCredentials class


class SecondFactors:
    """Reads and writes a staff member's second factor, as the service identity."""

    def __init__(self, directory, sealer: Sealer):
        self.directory = directory
        self.sealer = sealer

    def read(self, dn: str) -> Enrolment:
        def operation(conn):
            conn.search(dn, equals(A.OBJECT_CLASS, A.OC_STAFF), ldap3.BASE,
                        attributes=[A.TOTP_SECRET, A.TOTP_RECOVERY, A.OBJECT_CLASS])
            return [(e["attributes"], e["raw_attributes"]) for e in conn.response if e.get("type") == "searchResEntry"]
        found = self.directory.writes.run(operation)
        if not found:
            return Enrolment(None, (), False)
        entry, raw = found[0]
        sealed = (raw.get(A.TOTP_SECRET) or [None])[0]
        classes = {str(c).lower() for c in entry.get(A.OBJECT_CLASS) or ()}
        return Enrolment(self.sealer.open(sealed, dn.lower()) if sealed else None,
                         tuple(str(h).lower() for h in entry.get(A.TOTP_RECOVERY) or ()),
                         A.OC_CREDENTIALS.lower() in classes)

    def enroll(self, dn: str, secret: str, recovery_codes: list[str]) -> None:
        """The secret (sealed, bound to the entry's DN) and the recovery codes' hashes, replacing any."""
        modifications = {
            A.TOTP_SECRET: [(ldap3.MODIFY_REPLACE, [self.sealer.seal(secret, dn.lower())])],
            A.TOTP_RECOVERY: [(ldap3.MODIFY_REPLACE, [recovery_hash(c) for c in recovery_codes])],
        }
        if not self.read(dn).has_credentials:
            modifications[A.OBJECT_CLASS] = [(ldap3.MODIFY_ADD, [A.OC_CREDENTIALS])]
        self.directory.writes.run(lambda conn: conn.modify(dn, modifications))

    def use_recovery_code(self, dn: str, code: str) -> bool:
        """Spend one recovery code: deleting its hash fails if it is not there (unknown, or spent by a
        request at the same moment), so each works once."""
        if not looks_like_recovery_code(code):
            return False
        spent = recovery_hash(code)
        try:   # after a lost answer: the hash gone from the entry says it was spent
            self.directory.modify_once(dn, {A.TOTP_RECOVERY: [(ldap3.MODIFY_DELETE, [spent])]},
                                       attributes=[A.TOTP_RECOVERY],
                                       applied=lambda entry: spent not in (entry["attributes"].get(A.TOTP_RECOVERY) or []))
        except Conflict:
            return False
        return True

    def remove(self, dn: str) -> None:
        """No second factor any more (the identity team's reset, and tests)."""
        if self.read(dn).secret is None and not self.read(dn).recovery_hashes:
            return
        self.directory.writes.run(lambda conn: conn.modify(dn, {
            A.TOTP_SECRET: [(ldap3.MODIFY_REPLACE, [])], A.TOTP_RECOVERY: [(ldap3.MODIFY_REPLACE, [])]}))
