"""Account holders (students and parents) themselves: sign-in, choosing their password, e-mail, recovery."""
from __future__ import annotations

import enum
import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import ldap3

from . import attributes as A
from .connection import open_connection
from .errors import InvalidCredentials, NotFound, ValidationFailed
from .escaping import all_of, equals
from .locks import is_locked
from .model import AccountState, provisional_expired
from .passwords import PasswordHasher
from .populations import branches
from .registry.leavers import is_leaver_lock
from .repository import equalize_timing
from .mapping import Field, Mapping, day, first, flag, present, state, text, time

HOLDER_BRANCHES = branches()      # every population's holders sign in here
PASSWORD_RULES = ("contenir au moins 8 caractères", "ne contenir ni votre identifiant, ni votre nom")
FIRST_PASSWORD_RULES = PASSWORD_RULES + ("être différent du mot de passe provisoire",)


class SignIn(enum.Enum):
    OK = "ok"
    MUST_CHANGE = "must-change"       # a provisional password: choose one first
    LOCKED = "locked"                 # too many failures: the directory refuses even the right password
    EXPIRED = "expired"               # the right provisional password, given too long ago: ask the school
    DEACTIVATED = "deactivated"       # a student who left their establishment, past the tolerance period
    REFUSED = "refused"


@dataclass(frozen=True)
class Holder:
    dn: str
    account_id: str
    identifier: str
    surname: str
    given_name: str
    is_student: bool
    state: AccountState
    birth_date: date | None
    mail: str | None
    mail_verified: bool
    must_change: bool
    locked: bool
    sealed: bytes | None = None
    locked_at: str | None = None  # pwdAccountLockedTime, as the directory wrote it
    has_credentials: bool = False  # carries the sesameCredentials class (its password stamp)
    has_activation: bool = False   # carries the sesameActivation class (its activation date)
    password_version: str = ""    # pwdChangedTime: a session opened before a change is worth nothing
    password_changed: datetime | None = None
    left_on: date | None = None   # « Alimentation »: the day the student left their establishment


def _password_version(entry: dict, raw: dict) -> str:
    """Changes whenever the password does: its change time (to the second), the stamp every change by
    the holder or by recovery replaces, and the sealed provisional password a school reset always
    replaces (two changes may share a second)."""
    sealed = first(raw.get(A.SEALED_PASSWORD), b"")
    return (f"{first(entry.get(A.PWD_CHANGED_TIME), '')}:{first(entry.get(A.PASSWORD_STAMP), '')}:"
            f"{hashlib.sha256(sealed).hexdigest()[:16]}")


def _derived(dn: str, entry: dict, raw: dict, values: dict) -> dict:
    classes = {str(c).lower() for c in entry.get(A.OBJECT_CLASS) or ()}
    return {"dn": dn, "is_student": f",{A.STUDENTS}," in dn, "has_credentials": A.OC_CREDENTIALS.lower() in classes,
            "has_activation": A.OC_ACTIVATION.lower() in classes,
            "password_version": _password_version(entry, raw)}


HOLDER = Mapping(Holder, [
    Field("account_id", A.ACCOUNT_ID, text()), Field("identifier", A.UID, text()),
    Field("surname", A.SURNAME, text()), Field("given_name", A.GIVEN_NAME, text()),
    Field("state", A.ACCOUNT_STATE, state), Field("birth_date", A.BIRTH_DATE, day), Field("mail", A.MAIL),
    Field("mail_verified", A.MAIL_VERIFIED, flag), Field("must_change", A.PWD_RESET, flag),
    Field("locked", A.PWD_ACCOUNT_LOCKED_TIME, present), Field("locked_at", A.PWD_ACCOUNT_LOCKED_TIME),
    Field("sealed", A.SEALED_PASSWORD, raw=True), Field("password_changed", A.PWD_CHANGED_TIME, time),
    Field("left_on", A.LEFT_ON, day)],
    _derived, extra_attributes=[A.PASSWORD_STAMP, A.OBJECT_CLASS, A.PWD_LAST_SUCCESS])
HOLDER_ATTRIBUTES = HOLDER.attributes


def _holder(dn: str, entry: dict, raw: dict) -> Holder:
    return HOLDER.decode(entry, raw, dn)


def leaver_deactivated(left_on: date | None, tolerance_days: int, today: date | None = None) -> bool:
    """A leaver's account works `tolerance_days` after the day they left, then is deactivated."""
    return left_on is not None and (today or date.today()) > left_on + timedelta(days=tolerance_days)


def check_rules(holder: Holder, new: str, min_length: int = 8) -> None:
    """The rules the page shows. Sésame writes the hash itself (argon2id), so the directory's policy
    does not see the clear password: its minimum length is checked here."""
    lowered = new.lower()
    if len(new) < min_length:
        raise ValidationFailed([f"Ce mot de passe ne respecte pas les règles : au moins {min_length} caractères."])
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs", "Co") for c in new):
        raise ValidationFailed(["Le mot de passe contient un caractère invisible ou non autorisé."])
    if holder.identifier and (holder.identifier.lower() in lowered
                              or (len(holder.surname) > 2 and holder.surname.lower() in lowered)):
        raise ValidationFailed(["Votre mot de passe ne doit contenir ni votre identifiant, ni votre nom."])


class Holders:
    def __init__(self, directory, hasher: PasswordHasher | None = None):
        self.directory = directory
        self.hasher = hasher or PasswordHasher()

    def _find(self, filter_: str) -> list[Holder]:
        found = []
        for branch in HOLDER_BRANCHES:
            def operation(conn, base=self.directory.base(branch)):
                conn.search(base, filter_, ldap3.LEVEL, attributes=HOLDER_ATTRIBUTES)
                return [(e["dn"], e["attributes"], e["raw_attributes"]) for e in conn.response
                        if e.get("type") == "searchResEntry"]
            found += [_holder(*e) for e in self.directory.writes.run(operation)]
        return found

    def by_identifier(self, identifier: str) -> Holder:
        found = self._find(all_of(equals(A.OBJECT_CLASS, A.OC_ACCOUNT), equals(A.UID, identifier))) \
            if identifier else []
        if len(found) != 1:
            raise NotFound(identifier)
        return found[0]

    def by_dn(self, dn: str) -> Holder:
        """One base search on the DN itself (every request of a signed-in holder reads it)."""
        def operation(conn):
            conn.search(dn, equals(A.OBJECT_CLASS, A.OC_ACCOUNT), ldap3.BASE, attributes=HOLDER_ATTRIBUTES)
            return [(e["dn"], e["attributes"], e["raw_attributes"]) for e in conn.response
                    if e.get("type") == "searchResEntry"]
        found = self.directory.writes.run(operation)
        if len(found) != 1 or not any(f",{b}," in found[0][0] for b in HOLDER_BRANCHES):
            raise NotFound(dn)
        return _holder(*found[0])

    def with_verified_mail(self, mail: str) -> list[Holder]:
        if not mail:
            return []
        return self._find(all_of(equals(A.OBJECT_CLASS, A.OC_ACCOUNT), equals(A.MAIL, mail),
                                 equals(A.MAIL_VERIFIED, "TRUE")))

    def sign_in(self, identifier: str, password: str, provisional_days: int = 90,
                leaver_days: int = 30) -> tuple[SignIn, Holder | None]:
        """A bind as the holder; an empty password is refused here (LDAP would take it as anonymous).
        A provisional password older than `provisional_days` is refused after the bind proved it."""
        if not identifier or not password:
            return SignIn.REFUSED, None
        try:
            holder = self.by_identifier(identifier)
        except NotFound:
            equalize_timing(password)
            return SignIn.REFUSED, None
        try:
            open_connection(self.directory.settings.url, holder.dn, password, self.directory.settings.timeout).unbind()
        except InvalidCredentials:
            # ppolicy answers a locked account exactly like a wrong password: the lock tells them apart, and the
            # leavers' lock (the follower's, past the tolerance) says why the account no longer opens
            fresh = self.by_dn(holder.dn)
            if is_leaver_lock(fresh.locked_at) and leaver_deactivated(fresh.left_on, leaver_days):
                return SignIn.DEACTIVATED, fresh
            locked = is_locked(fresh.locked_at, self.directory.password_policy())
            return (SignIn.LOCKED if locked else SignIn.REFUSED), fresh
        fresh = self.by_dn(holder.dn)
        if leaver_deactivated(fresh.left_on, leaver_days):
            return SignIn.DEACTIVATED, fresh
        if fresh.must_change or fresh.state is not AccountState.ACTIVE:
            if provisional_expired(AccountState.NOTIFIED, fresh.password_changed, provisional_days):
                return SignIn.EXPIRED, fresh
            return SignIn.MUST_CHANGE, fresh
        return SignIn.OK, fresh

    def choose_password(self, holder: Holder, current: str, new: str) -> None:
        """The holder replaces their provisional password: a bind as themselves proves the current one,
        then the service writes the argon2id hash of the new one (slapd's own hashing of the password-
        modify operation gives argon2i), the account becomes « Activé » and its sealed provisional
        password is erased, in one modify conditional on the state and sealed password read."""
        if new == current:
            raise ValidationFailed(["Choisissez un mot de passe différent du mot de passe provisoire."])
        self.check_password(holder, new)
        open_connection(self.directory.settings.url, holder.dn, current, self.directory.settings.timeout).unbind()
        self._write_password(holder, new)
        # sign in once with the new password: slapd keeps the date of last sign-in (pwdLastSuccess) at a
        # successful bind, and the bind with a provisional password did not count
        open_connection(self.directory.settings.url, holder.dn, new, self.directory.settings.timeout).unbind()

    def _write_password(self, holder: Holder, new: str) -> None:
        """The chosen password's hash, a new stamp, no change forced, « Activé », no sealed password;
        after a lost answer, the new stamp on the entry says it was written."""
        stamp = secrets.token_hex(16)
        modifications = {
            A.USER_PASSWORD: [(ldap3.MODIFY_REPLACE, [self.hasher.hash(new)])],
            A.PWD_RESET: [(ldap3.MODIFY_REPLACE, [])],
            A.PASSWORD_STAMP: [(ldap3.MODIFY_REPLACE, [stamp])],
            A.ACCOUNT_STATE: [(ldap3.MODIFY_DELETE, [holder.state.value]),
                              (ldap3.MODIFY_ADD, [AccountState.ACTIVE.value])],
        }
        added_classes = [] if holder.has_credentials else [A.OC_CREDENTIALS]
        if holder.state is not AccountState.ACTIVE:
            # the activation date (« Statistiques »): when the account becomes « Activé », not at a
            # later recovery of an account already active
            if not holder.has_activation:
                added_classes.append(A.OC_ACTIVATION)
            modifications[A.ACTIVATION_DATE] = [(ldap3.MODIFY_REPLACE, [datetime.now(timezone.utc).strftime("%Y%m%d%H%M%SZ")])]
        if added_classes:
            modifications[A.OBJECT_CLASS] = [(ldap3.MODIFY_ADD, added_classes)]
        if holder.sealed:
            modifications[A.SEALED_PASSWORD] = [(ldap3.MODIFY_DELETE, [holder.sealed])]
        self.directory.modify_once(holder.dn, modifications, attributes=[A.PASSWORD_STAMP],
                                   applied=lambda entry: stamp in (entry["attributes"].get(A.PASSWORD_STAMP) or []))

    def set_password(self, holder: Holder, new: str) -> None:
        """Recovery by a confirmed e-mail: the service sets the password the holder chose, no change is
        forced at next sign-in, and the account is « Activé »."""
        self.check_password(holder, new)
        self._write_password(holder, new)

    def check_password(self, holder: Holder, new: str) -> None:
        """ValidationFailed(reasons) unless `new` follows the rules shown and the policy's minimum."""
        check_rules(holder, new, self.directory.password_policy().min_length)

    def set_mail(self, holder: Holder, mail: str) -> None:
        self.directory.writes.run(lambda conn: conn.modify(holder.dn, {
            A.MAIL: [(ldap3.MODIFY_REPLACE, [mail])], A.MAIL_VERIFIED: [(ldap3.MODIFY_REPLACE, ["FALSE"])]}))

    def confirm_mail(self, holder: Holder, mail: str) -> None:
        """Only the address the link was sent to: if it changed since, the old link confirms nothing."""
        def operation(conn):
            conn.modify(holder.dn, {A.MAIL: [(ldap3.MODIFY_DELETE, [mail]), (ldap3.MODIFY_ADD, [mail])],
                                    A.MAIL_VERIFIED: [(ldap3.MODIFY_REPLACE, ["TRUE"])]})
        self.directory.writes.run(operation)
