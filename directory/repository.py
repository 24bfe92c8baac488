"""The directory's named operations for the console: staff, establishments, classes, MEFs, counts."""
from __future__ import annotations

import time

import ldap3

from . import attributes as A
from . import populations, replicas
from .delegations import Delegations
from .connection import ConnectionPool, DirectorySettings, open_connection
from .errors import (AccountLocked, DirectoryUnavailable, InvalidCredentials, NoRightsNow, NotFound,
                     ProviderUnavailable, WriteOutcomeUnknown)
from .escaping import all_of, any_of, equals
from .escaping import dn as child_dn
from .locks import lock_end
from .model import AccountState, Establishment, Mef, PasswordPolicy, Role, SchoolClass, Staff
from .passwords import PasswordHasher
from .mapping import first
from .search import PopulationAccounts
from .staff import STAFF_ATTRIBUTES, read_staff

# Establishments, classes and MEFs change a few times a year: each process keeps them this long.
REFERENCE_TTL = 60.0
STAMP_TTL = 1.0         # how long the stamp that says they are still current is believed

# Heads, their delegates and the identity team sign in with a password; support staff only through
# the SSO proxy, which gives them their second factor.
PASSWORD_ROLES = (Role.HEAD, Role.ADMIN, Role.DELEGATED_HEAD, Role.DELEGATED_SUPPORT)
_TIMING = PasswordHasher()


def equalize_timing(password: str) -> None:
    """About what slapd spends checking an argon2 hash at the default cost."""
    _TIMING.hash(password or "-")


class Directory:
    """What the web app asks of the directory. Every method either answers or raises a
    `directory.errors` exception; none lets an ldap3 error through."""

    def __init__(self, settings: DirectorySettings):
        self.settings = settings
        self.suffix = settings.suffix
        # with consumers serving reads, the provider alone being away is said apart: only writes stop
        self.writes = ConnectionPool(settings, on_write=replicas.note_write,
                                     down=ProviderUnavailable if settings.read_urls else DirectoryUnavailable)
        self.reads = replicas.Reads(settings, self.writes)   # consumers; the provider when needed
        self._populations = {p.name: PopulationAccounts(self, p) for p in populations.ALL}
        self._cache: dict[tuple, tuple[float, object, object]] = {}
        self._stamps: dict[str, tuple[float, str]] = {}

    def population(self, population: populations.Population) -> PopulationAccounts:
        """The accounts of one population: search, count, get."""
        return self._populations[population.name]

    @property
    def students(self) -> PopulationAccounts:
        return self.population(populations.STUDENTS)

    @property
    def guardians(self) -> PopulationAccounts:
        return self.population(populations.GUARDIANS)

    def close(self) -> None:
        self.writes.close()
        self.reads.close()

    def base(self, branch: str) -> str:
        return f"{branch},{self.suffix}"

    def search(self, base: str, filter_: str, attributes, scope=ldap3.SUBTREE) -> list[tuple[str, dict]]:
        def operation(conn):
            conn.search(base, filter_, scope, attributes=attributes)
            return [(e["dn"], e["attributes"]) for e in conn.response if e.get("type") == "searchResEntry"]
        return self.reads.run(operation)

    def read_entry(self, dn: str, attributes) -> dict | None:
        """One entry as the provider has it now (after a write, a replica may lag); None if gone."""
        def operation(conn):
            conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=attributes)
            found = [e for e in conn.response if e.get("type") == "searchResEntry"]
            return found[0] if found else None
        try:
            return self.writes.run(operation)
        except NotFound:
            return None

    def modify_once(self, dn: str, modifications: dict, applied, attributes) -> None:
        """A modify never sent twice blindly (DESIGN decision 5). When its answer is lost, the entry is
        read back and `applied(entry)` — on the attributes named, raw values under "raw_attributes" —
        says whether it took; if not, it is sent again, and its own conditions (the values it deletes)
        decide: an entry changed meanwhile refuses it as a Conflict."""
        for _ in range(3):
            try:
                self.writes.write(lambda conn: conn.modify(dn, modifications))
                return
            except WriteOutcomeUnknown:
                entry = self.read_entry(dn, attributes)   # DirectoryUnavailable while it is still away
                if entry is not None and applied(entry):
                    return
        raise WriteOutcomeUnknown(f"{dn}: the directory did not answer three modifies")

    def ping(self) -> bool:
        """True when the directory answers a read; raises DirectoryUnavailable otherwise."""
        self.reads.run(lambda conn: conn.search(self.suffix, "(objectClass=*)", ldap3.BASE, attributes=["1.1"]))
        return True

    # --- staff -------------------------------------------------------------------------------

    def _staff_entry(self, uid: str) -> tuple[str, dict]:
        found = self.search(self.base(A.STAFF), equals(A.UID, uid), STAFF_ATTRIBUTES, ldap3.LEVEL)
        if len(found) != 1:
            raise NotFound(uid)
        return found[0]

    def authenticate_staff(self, uid: str, password: str) -> Staff:
        """Check uid + password by a bind as that staff member: the member as a password session may carry
        them (PASSWORD_ROLES only). An empty password is refused here, never sent: LDAP would take it as an
        anonymous bind and say yes. Support staff (SSO only) and anyone a password opens nothing for are
        refused like an unknown identifier, without a bind — except a former (or future) delegate whose
        password is right, who is told that they hold no right today (NoRightsNow)."""
        if not uid or not password:
            raise InvalidCredentials("empty identifier or password")
        try:
            member = self.staff(uid)
        except NotFound:
            member = None
        opened = member.limited_to(lambda role: role in PASSWORD_ROLES) \
            if member is not None and not member.sso_only else None
        if opened is None:
            dated = Delegations(self).out_of_term(uid) if member is None else None
            if dated is None:
                equalize_timing(password)   # an unknown uid answers no faster than a wrong password
                raise InvalidCredentials("no staff member a password signs in")
            self._bind(self._staff_entry(uid)[0], password)
            raise NoRightsNow(*dated)
        self._bind(opened.dn, password)
        return opened

    def _bind(self, dn: str, password: str) -> None:
        """A bind as `dn`; AccountLocked when ppolicy locked it (it answers a locked account like a wrong password)."""
        try:
            open_connection(self.settings.url, dn, password, self.settings.timeout).unbind()
        except InvalidCredentials:
            until = self.locked_until(dn)
            if until is not False:
                raise AccountLocked(until) from None
            raise

    def locked_until(self, dn: str):
        """False if the directory has not locked this entry; else when the lock ends (None: until an
        administrator lifts it). ppolicy answers a locked account like a wrong password."""
        found = self.search(dn, "(objectClass=*)", [A.PWD_ACCOUNT_LOCKED_TIME], ldap3.BASE)
        locked = first(found[0][1].get(A.PWD_ACCOUNT_LOCKED_TIME), None) if found else None
        return lock_end(locked, self.password_policy())

    def password_policy(self) -> PasswordPolicy:
        return self._cached(("policy",), self._password_policy)

    def _password_policy(self) -> PasswordPolicy:
        found = self.search(f"cn=default,{self.base(A.POLICIES)}", "(objectClass=pwdPolicy)",
                            ["pwdLockout", "pwdMaxFailure", "pwdFailureCountInterval", "pwdLockoutDuration",
                             "pwdMinLength"], ldap3.BASE)
        if not found:
            return PasswordPolicy()
        entry = found[0][1]

        def number(name, default):
            try:
                return int(first(entry.get(name), default))
            except (TypeError, ValueError):
                return default
        return PasswordPolicy(lockout=str(first(entry.get("pwdLockout"), "FALSE")).upper() == "TRUE",
                              max_failure=number("pwdMaxFailure", 0) or 10 ** 6,
                              failure_interval=number("pwdFailureCountInterval", 0),
                              lockout_duration=number("pwdLockoutDuration", 0),
                              min_length=number("pwdMinLength", 0))

    def staff(self, uid: str) -> Staff:
        """The staff member with their role and establishments; NotFound if they have none. One search: it is
        read at every request (directory/staff.py)."""
        return read_staff(self, uid)

    # --- establishments ------------------------------------------------------------------------

    def _cached(self, key: tuple, load, stamp=None):
        """`stamp`: what says the cached value is still the directory's (an import that creates classes
        changes its establishment's entry): a value kept under another stamp is read again."""
        now = time.monotonic()
        hit = self._cache.get(key)
        current = stamp() if stamp else None
        if hit and now - hit[0] < REFERENCE_TTL and hit[2] == current:
            return hit[1]
        value = load()
        if value:   # an empty answer may be a directory being filled: ask again next time
            self._cache[key] = (now, value, current)
        return value

    def _establishment_stamp(self, uai: str) -> str:
        """The establishment entry's entryCSN, read at most once a second: whatever changes its classes or
        MEFs writes it too (directory/registry/structures.py), so they are never shown stale for longer."""
        now = time.monotonic()
        hit = self._stamps.get(uai)
        if hit and now - hit[0] < STAMP_TTL:
            return hit[1]
        found = self.search(self.establishment_dn(uai), "(objectClass=*)", ["entryCSN"], ldap3.BASE) \
            if uai else []
        value = str(first(found[0][1].get("entryCSN"), "")) if found else ""
        self._stamps[uai] = (now, value)
        return value

    def establishments(self, uais=None) -> list[Establishment]:
        key = ("establishments", tuple(uais) if uais is not None else None)
        one = uais[0] if uais is not None and len(uais) == 1 else None      # an import may change its registry
        return self._cached(key, lambda: self._establishments(uais),
                            (lambda: self._establishment_stamp(one)) if one else None)

    def _establishments(self, uais) -> list[Establishment]:
        wanted = any_of(*(equals(A.UAI, u) for u in uais)) if uais is not None else None
        filter_ = all_of(equals(A.OBJECT_CLASS, A.OC_ESTABLISHMENT), wanted)
        found = self.search(self.base(A.ESTABLISHMENTS), filter_,
                             [A.UAI, A.ORGANIZATION, A.HEAD_NAME, "l", A.REGISTRY], ldap3.LEVEL)
        return sorted((Establishment(uai=first(e.get(A.UAI), ""), name=first(e.get(A.ORGANIZATION), ""),
                                     head_name=first(e.get(A.HEAD_NAME), ""), city=first(e.get("l"), ""),
                                     registry=first(e.get(A.REGISTRY), "") or "")
                       for _, e in found), key=lambda e: e.uai)

    def establishment(self, uai: str) -> Establishment:
        found = self.establishments([uai])
        if not found:
            raise NotFound(uai)
        return found[0]

    def establishment_dn(self, uai: str) -> str:
        """The establishment's entry, below which its classes, MEFs, delegations and letter settings live."""
        return child_dn(A.UAI, uai, self.base(A.ESTABLISHMENTS))

    def classes(self, uai: str) -> list[SchoolClass]:
        return self._cached(("classes", uai), lambda: self._classes(uai), lambda: self._establishment_stamp(uai))

    def _classes(self, uai: str) -> list[SchoolClass]:
        found = self.search(self.establishment_dn(uai), equals(A.OBJECT_CLASS, A.OC_SCHOOL_CLASS),
                             [A.CN, A.DESCRIPTION, A.MEF_CODE], ldap3.LEVEL)
        return sorted((SchoolClass(uai, first(e.get(A.CN), ""), first(e.get(A.DESCRIPTION), ""), first(e.get(A.MEF_CODE), ""))
                       for _, e in found), key=lambda c: c.code)

    def mefs(self, uai: str) -> list[Mef]:
        return self._cached(("mefs", uai), lambda: self._mefs(uai), lambda: self._establishment_stamp(uai))

    def _mefs(self, uai: str) -> list[Mef]:
        found = self.search(self.establishment_dn(uai), equals(A.OBJECT_CLASS, A.OC_MEF),
                             [A.MEF_CODE, A.MEF_LABEL], ldap3.LEVEL)
        return sorted((Mef(uai, first(e.get(A.MEF_CODE), ""), first(e.get(A.MEF_LABEL), "")) for _, e in found),
                      key=lambda m: m.label)

    # --- counts -------------------------------------------------------------------------------

    def count_by_state(self, population: populations.Population, uai: str) -> dict[AccountState, int]:
        """Accounts of one population of an establishment per state."""
        found = self.search(self.base(population.branch), population.in_establishment(uai), [A.ACCOUNT_STATE],
                            ldap3.LEVEL)
        counts = {state: 0 for state in AccountState}
        for _, entry in found:
            try:
                counts[AccountState(first(entry.get(A.ACCOUNT_STATE), ""))] += 1
            except ValueError:
                continue
        return counts

