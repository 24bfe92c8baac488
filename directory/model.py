"""The account model Sésame works with: frozen dataclasses that know nothing of LDAP."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone


class AccountState(enum.Enum):
    NOT_NOTIFIED = "NOT_NOTIFIED"
    NOTIFIED = "NOTIFIED"
    ACTIVE = "ACTIVE"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]

    @property
    def colour(self) -> str:
        return _STATE_COLOURS[self]


_STATE_LABELS = {
    AccountState.NOT_NOTIFIED: "Non notifié",
    AccountState.NOTIFIED: "Notifié et non activé",
    AccountState.ACTIVE: "Activé",
}
_STATE_COLOURS = {
    AccountState.NOT_NOTIFIED: "grey",
    AccountState.NOTIFIED: "orange",
    AccountState.ACTIVE: "green",
}


def last_sign_in(state: AccountState, last_bind: datetime | None) -> datetime | None:
    """« Date de dernière connexion »: slapd's pwdLastSuccess counts every successful bind, a service
    checking a provisional password included, and survives a reset. Only an « Activé » account has
    signed in with a password of its own: the others show none."""
    return last_bind if state is AccountState.ACTIVE else None


class AccountOrigin(enum.Enum):
    REGISTRY = "REGISTRY"           # created from the secondary schools' registry (SIECLE)
    ONDE = "ONDE"                   # created from the primary schools' registry (ONDE)
    CSV = "CSV"                     # created from Sésame's own CSV (any other source)
    MANUAL = "MANUAL"               # created by hand in the console
    FRANCECONNECT = "FRANCECONNECT"  # a parent who came through FranceConnect

    @property
    def label(self) -> str:
        return {"REGISTRY": "Base élèves (SIECLE)", "ONDE": "Base élèves du premier degré (ONDE)",
                "CSV": "Import CSV", "MANUAL": "Création manuelle", "FRANCECONNECT": "FranceConnect"}[self.value]

    @property
    def imported(self) -> bool:
        """Created by an import: a whole-school export that no longer names the student makes them a leaver."""
        return self in (AccountOrigin.REGISTRY, AccountOrigin.ONDE, AccountOrigin.CSV)

    @classmethod
    def of_format(cls, registry_format: str) -> "AccountOrigin":
        """The origin of an account an import creates, by the format of the file that names it."""
        return {"ONDE": cls.ONDE, "Sésame": cls.CSV}.get(registry_format, cls.REGISTRY)


class Role(enum.Enum):
    HEAD = "HEAD"          # chef d'établissement, or staff the head delegated to
    SUPPORT = "SUPPORT"    # dépannage
    ADMIN = "ADMIN"        # identity team: every establishment
    # given for a period by a delegation (directory/delegations.py), in one establishment
    DELEGATED_HEAD = "DELEGATED_HEAD"          # « Droits du chef d'établissement »: all but delegating
    DELEGATED_SUPPORT = "DELEGATED_SUPPORT"    # « Dépannage »


@dataclass(frozen=True)
class Establishment:
    uai: str
    name: str
    head_name: str = ""
    city: str = ""
    registry: str = ""             # where its exports come from: SIECLE, ONDE, Sésame ("": none applied yet)

    @property
    def primary(self) -> bool:
        """A primary school (its registry is ONDE): its pupils have a level (« Niveau »), not a MEF."""
        return self.registry == "ONDE"


@dataclass(frozen=True)
class SchoolClass:
    uai: str
    code: str
    label: str
    mef_code: str = ""


@dataclass(frozen=True)
class Mef:
    uai: str
    code: str
    label: str


# The levels of a primary school as ONDE names them (its « Niveau » column), in school order: what a primary
# school's pupils have instead of a MEF.
LEVELS = {"TPS": "Toute petite section", "PS": "Petite section", "MS": "Moyenne section", "GS": "Grande section",
          "CP": "Cours préparatoire", "CE1": "Cours élémentaire 1re année", "CE2": "Cours élémentaire 2e année",
          "CM1": "Cours moyen 1re année", "CM2": "Cours moyen 2e année"}


def level_label(level: str) -> str:
    return LEVELS.get(level.upper(), level)


class _Holder:
    """What a student's and a parent's accounts say alike of their holder."""
    surname: str
    given_name: str
    origin: AccountOrigin

    @property
    def display_name(self) -> str:
        return f"{self.surname.upper()} {self.given_name}"

    @property
    def by_franceconnect(self) -> bool:
        """Signs in through FranceConnect: no letter, no password of ours to reset."""
        return self.origin is AccountOrigin.FRANCECONNECT


@dataclass(frozen=True)
class Student(_Holder):
    account_id: str
    surname: str
    given_name: str
    state: AccountState
    uai: str                                   # establishment of attachment
    identifier: str | None = None
    external_uais: tuple[str, ...] = ()
    class_code: str = ""
    mef_code: str = ""
    ine: str = ""
    birth_date: date | None = None
    origin: AccountOrigin = AccountOrigin.REGISTRY
    notification_date: datetime | None = None
    last_login: datetime | None = None
    mail: str | None = None
    mail_verified: bool = False
    locked_at: str | None = None               # pwdAccountLockedTime: ppolicy locked it after too many failures
    password_changed: datetime | None = None   # pwdChangedTime: for a provisional password, when it was given
    level: str = ""                            # a primary school pupil's level (ONDE's « Niveau »: CP, CE1...)
    leaves_on: date | None = None              # a departure the registry plans: a leaver from that day
    activation_date: datetime | None = None    # when the holder chose their own password, here or at the SSO


@dataclass(frozen=True)
class Guardian(_Holder):
    account_id: str
    surname: str
    given_name: str
    state: AccountState
    identifier: str | None = None
    children: tuple[str, ...] = ()             # account ids of their children
    origin: AccountOrigin = AccountOrigin.REGISTRY
    notification_date: datetime | None = None
    last_login: datetime | None = None
    mail: str | None = None
    mail_verified: bool = False
    password_changed: datetime | None = None
    activation_date: datetime | None = None
    locked_at: str | None = None               # pwdAccountLockedTime, as for a student


def provisional_expired(state: AccountState, password_changed: datetime | None, days: int,
                        now: datetime | None = None) -> bool:
    """A provisional password (« Notifié et non activé ») given more than `days` ago no longer signs in
    (EduConnect's letters are valid three months). Without a date (given before Sésame kept one), or
    with `days` 0, it does not expire."""
    if state is not AccountState.NOTIFIED or password_changed is None or days <= 0:
        return False
    now = now or datetime.now(timezone.utc)
    return password_changed < now - timedelta(days=days)


# Per establishment, the role that wins when someone holds several there (own before delegated, a head's
# rights before dépannage); establishments are listed own head first, then own support, then delegated.
_PRECEDENCE = (Role.HEAD, Role.DELEGATED_HEAD, Role.SUPPORT, Role.DELEGATED_SUPPORT)
_LISTED = (Role.HEAD, Role.SUPPORT, Role.DELEGATED_HEAD, Role.DELEGATED_SUPPORT)


@dataclass(frozen=True)
class Staff:
    uid: str
    dn: str
    display_name: str
    role: Role
    uais: tuple[str, ...] = field(default=())   # establishments they may act on; ADMIN: every one
    password_version: str = ""                  # changes with their password: older sessions end
    roles: tuple[tuple[str, Role], ...] = ()    # (uai, role) when it differs between establishments
    grants: tuple[tuple[str, Role], ...] = ()   # every (uai, role) they hold, own and delegated, as read
    sso_only: bool = False                      # support staff: they sign in through the SSO, never a password

    @classmethod
    def holding(cls, uid: str, dn: str, display_name: str, grants, password_version: str = "",
                sso_only: bool = False) -> "Staff | None":
        """A staff member of one or more establishments from every role they hold; None if they hold none."""
        return cls(uid, dn, display_name, Role.SUPPORT, (), password_version, (), tuple(grants),
                   sso_only).limited_to(lambda role: True)

    def limited_to(self, allowed) -> "Staff | None":
        """The same person with only the roles `allowed(role)` accepts — what the way their session was
        opened (a password, the SSO) may open — one per establishment; None when nothing is left."""
        if self.role is Role.ADMIN:
            return self if allowed(Role.ADMIN) else None
        best: dict[str, Role] = {}
        for uai, role in self.grants:
            if allowed(role) and (uai not in best or _PRECEDENCE.index(role) < _PRECEDENCE.index(best[uai])):
                best[uai] = role
        if not best:
            return None
        uais = tuple(sorted(best, key=lambda u: (_LISTED.index(best[u]), u)))
        return replace(self, role=best[uais[0]], uais=uais, roles=tuple((u, best[u]) for u in uais))

    def may_act_on(self, uai: str) -> bool:
        return self.role is Role.ADMIN or uai in self.uais

    def role_in(self, uai: str | None) -> Role:
        return dict(self.roles).get(uai, self.role) if uai in self.uais else self.role

    def acting_on(self, uai: str | None) -> "Staff":
        """The same person with the role they hold in `uai` (their first establishment if not theirs)."""
        uai = uai if uai in self.uais else (self.uais[0] if self.uais else None)
        return replace(self, role=self.role_in(uai))


@dataclass(frozen=True)
class PasswordPolicy:
    """What the directory's default password policy says (ppolicy's cn=default)."""
    lockout: bool = True
    max_failure: int = 10              # failures ...
    failure_interval: int = 900        # ... within this many seconds lock the account ...
    lockout_duration: int = 900        # ... for this long (0: until an administrator unlocks it)
    min_length: int = 8
