"""Dated delegations: the rights a head (or the identity team) gives a staff member in one establishment
for a period, the rules a grant obeys, and the roles they add to a staff member while they last."""
from __future__ import annotations

import enum
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import ldap3

from . import attributes as A
from .errors import FieldsRefused, NotFound
from .escaping import all_of, any_of, at_least, at_most, contains, dn, equals
from .mapping import first, parse_time
from .model import Role
from .texts import clean, text_problem
from .uai import is_valid_uai

PARIS = ZoneInfo("Europe/Paris")
REASON_LIMIT = 200
DELEGATION_ATTRIBUTES = [A.CN, A.DELEGATE, A.UAI, A.DELEGATION_KIND, A.VALID_FROM, A.VALID_UNTIL, A.ACTOR,
                         A.DESCRIPTION, A.ENDED_BY]
_STAFF_ATTRIBUTES = [A.UID, A.CN, A.DISPLAY_NAME, A.TITLE, A.UAI, A.HEAD_OF, A.SUPPORT_FOR]


class Kind(enum.Enum):
    HEAD = "HEAD"
    SUPPORT = "SUPPORT"

    @property
    def label(self) -> str:
        return "Droits du chef d'établissement" if self is Kind.HEAD else "Dépannage"

    @property
    def role(self) -> Role:
        return Role.DELEGATED_HEAD if self is Kind.HEAD else Role.DELEGATED_SUPPORT


@dataclass(frozen=True)
class Delegation:
    id: str
    uai: str
    delegate: str            # uid
    kind: Kind
    valid_from: datetime
    valid_until: datetime
    granted_by: str
    reason: str = ""
    ended_by: str = ""       # ended before its term, by whom

    def active(self, now: datetime) -> bool:
        return self.valid_from <= now < self.valid_until

    @property
    def first_day(self) -> date:
        return self.valid_from.astimezone(PARIS).date()

    @property
    def last_day(self) -> date:
        """The last day it gives rights on (it ends at the start of the next, Paris time)."""
        return (self.valid_until - timedelta(seconds=1)).astimezone(PARIS).date()


@dataclass(frozen=True)
class StaffMember:
    """A staff entry as a delegation's form shows it: who, what post, where they work."""
    uid: str
    name: str
    title: str
    works_at: tuple[str, ...]      # the establishments of their post, heads and support included


@dataclass(frozen=True)
class Grant:
    uai: str
    delegate: str
    kind: Kind
    start: date
    end: date
    reason: str
    granted_by: str


def school_year_end(today: date) -> date:
    """31 August ending the school year `today` is in (a delegation lasts at most until then)."""
    return date(today.year if today.month < 9 else today.year + 1, 8, 31)


def start_of(day: date) -> datetime:
    return datetime.combine(day, time(0, 0), PARIS).astimezone(timezone.utc)


def ldap_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%d%H%M%SZ")


def problems(grant: Grant, today: date, delegate: StaffMember | None, granter_is_admin: bool,
             delegate_is_admin: bool = False) -> dict[str, str]:
    """What is wrong with a grant, per form field, in French (empty: it may be stored). Pure."""
    found: dict[str, str] = {}
    if not is_valid_uai(grant.uai):
        found["uai"] = "L'établissement n'est pas valide."
    if delegate is None:
        found["delegate"] = "Ce personnel n'est pas dans l'annuaire : choisissez-le dans la liste des personnels."
    elif delegate.uid.lower() == grant.granted_by.lower():
        found["delegate"] = "Vous ne pouvez pas vous déléguer des droits à vous-même."
    elif delegate_is_admin:
        found["delegate"] = "Ce personnel est de l'équipe d'identité : il a déjà tous les droits."
    elif not granter_is_admin and grant.uai not in delegate.works_at:
        found["delegate"] = ("Ce personnel n'est pas rattaché à votre établissement : seule l'équipe d'identité "
                             "peut lui déléguer des droits ici.")
    last = school_year_end(today)
    if grant.start < today:
        found["start"] = "La date de début ne peut pas être passée."
    if grant.end < grant.start:
        found["end"] = "La date de fin précède la date de début."
    elif grant.end > last:
        found["end"] = f"Une délégation dure au plus jusqu'à la fin de l'année scolaire, le {last:%d/%m/%Y}."
    problem = text_problem("Motif", grant.reason, REASON_LIMIT)
    if problem:
        found["reason"] = problem
    return found


def overlapping(grant: Grant, existing: list["Delegation"], now: datetime) -> "Delegation | None":
    """The delegation of the same person and right in the same establishment, not yet over, whose period
    meets the grant's: one running delegation per person and right, so that ending it ends the right. Pure."""
    start, end = start_of(grant.start), start_of(grant.end + timedelta(days=1))
    for delegation in sorted(existing, key=lambda d: d.valid_from):
        if (delegation.uai == grant.uai and delegation.delegate.lower() == grant.delegate.lower()
                and delegation.kind is grant.kind and delegation.valid_until > now
                and delegation.valid_from < end and start < delegation.valid_until):
            return delegation
    return None


def already_held(delegation: "Delegation") -> str:
    return (f"{delegation.delegate} a déjà la délégation « {delegation.kind.label} » ici, du "
            f"{delegation.first_day:%d/%m/%Y} au {delegation.last_day:%d/%m/%Y} : une seule à la fois. Pour changer "
            "ses dates, mettez-y fin puis accordez-en une nouvelle.")


def running(uid: str, now: datetime) -> str:
    """The filter of the delegations `uid` holds at `now` (DELEGATION_ATTRIBUTES are what to read of them)."""
    stamp = ldap_time(now)
    return all_of(equals(A.OBJECT_CLASS, A.OC_DELEGATION), equals(A.DELEGATE, uid), at_most(A.VALID_FROM, stamp),
                  at_least(A.VALID_UNTIL, stamp))


def delegation_of(entry: dict) -> Delegation:
    one = lambda name: first(entry.get(name), "")   # noqa: E731
    return Delegation(id=one(A.CN), uai=one(A.UAI), delegate=one(A.DELEGATE),
                      kind=Kind(one(A.DELEGATION_KIND)), valid_from=parse_time(one(A.VALID_FROM)),
                      valid_until=parse_time(one(A.VALID_UNTIL)), granted_by=one(A.ACTOR),
                      reason=one(A.DESCRIPTION), ended_by=one(A.ENDED_BY))


def roles_given(delegations, now: datetime) -> dict[str, Role]:
    """The establishments these delegations give rights in at `now`, with the role each gives (the head's
    rights win when someone holds both)."""
    roles: dict[str, Role] = {}
    for delegation in delegations:
        if delegation.active(now) and roles.get(delegation.uai) is not Role.DELEGATED_HEAD:
            roles[delegation.uai] = delegation.kind.role
    return roles


class Delegations:
    """The delegations kept in the directory, below each establishment's entry."""

    def __init__(self, directory):
        self.directory = directory

    def _establishment_dn(self, uai: str) -> str:
        return dn(A.UAI, uai, self.directory.base(A.ESTABLISHMENTS))

    def _find(self, base: str, filter_: str) -> list[Delegation]:
        found = self.directory.search(base, all_of(equals(A.OBJECT_CLASS, A.OC_DELEGATION), filter_),
                                      DELEGATION_ATTRIBUTES)
        return [delegation_of(entry) for _, entry in found]

    def roles_of(self, uid: str, now: datetime | None = None) -> dict[str, Role]:
        """The establishments a staff member holds a delegation in now, with the role it gives."""
        now = now or datetime.now(timezone.utc)
        found = self.directory.search(self.directory.base(A.ESTABLISHMENTS), running(uid, now), DELEGATION_ATTRIBUTES)
        return roles_given((delegation_of(entry) for _, entry in found), now)

    def of_delegate(self, uid: str) -> list[Delegation]:
        """Every delegation a staff member was ever given, in any establishment."""
        return self._find(self.directory.base(A.ESTABLISHMENTS), equals(A.DELEGATE, uid))

    def out_of_term(self, uid: str, now: datetime | None = None) -> tuple[date | None, date | None] | None:
        """For someone who holds no right today: (the last day of their latest delegation that ended, the
        first day of the next to come); None when they were never given any."""
        now = now or datetime.now(timezone.utc)
        found = self.of_delegate(uid)
        if not found:
            return None
        ended = [d for d in found if d.valid_until <= now]
        coming = [d for d in found if d.valid_from > now]
        return (max((d.last_day for d in ended), default=None), min((d.first_day for d in coming), default=None))

    def of_establishment(self, uai: str) -> list[Delegation]:
        """Every delegation of an establishment, the latest-ending first."""
        found = self._find(self._establishment_dn(uai), equals(A.UAI, uai))
        return sorted(found, key=lambda d: (d.valid_until, d.valid_from), reverse=True)

    def get(self, uai: str, delegation_id: str) -> Delegation:
        if not delegation_id.isalnum():
            raise NotFound(delegation_id)
        found = self._find(dn(A.CN, delegation_id, self._establishment_dn(uai)), equals(A.UAI, uai))
        if not found:
            raise NotFound(delegation_id)
        return found[0]

    # --- staff ----------------------------------------------------------------------------------

    def _member(self, entry: dict) -> StaffMember:
        works = set(entry.get(A.UAI) or []) | set(entry.get(A.HEAD_OF) or []) | set(entry.get(A.SUPPORT_FOR) or [])
        name = first(entry.get(A.DISPLAY_NAME), "") or first(entry.get(A.CN), "")
        return StaffMember(first(entry.get(A.UID), ""), name, first(entry.get(A.TITLE), ""), tuple(sorted(works)))

    def staff_member(self, uid: str) -> StaffMember | None:
        if not uid:
            return None
        found = self.directory.search(self.directory.base(A.STAFF), equals(A.UID, uid), _STAFF_ATTRIBUTES,
                                      ldap3.LEVEL)
        return self._member(found[0][1]) if len(found) == 1 else None

    def find_staff(self, text: str, uai: str | None = None, limit: int = 20) -> list[StaffMember]:
        """Staff whose name or identifier holds `text`: those who work at `uai` when given (a head's search
        never lists another establishment's staff), anyone otherwise; never the identity team, to whom
        nobody delegates."""
        text = clean(text)[:64]
        if not text:
            return []
        works_here = any_of(equals(A.UAI, uai), equals(A.HEAD_OF, uai), equals(A.SUPPORT_FOR, uai)) if uai else None
        filter_ = all_of(any_of(contains(A.UID, text), contains(A.CN, text), contains(A.DISPLAY_NAME, text)),
                         works_here)
        found = [(dn_, self._member(e)) for dn_, e in self.directory.search(
            self.directory.base(A.STAFF), filter_, _STAFF_ATTRIBUTES, ldap3.LEVEL)]
        admins = self._identity_team()
        found = [m for dn_, m in found if dn_.lower() not in admins and (uai is None or uai in m.works_at)]
        return sorted(found, key=lambda m: (m.name.lower(), m.uid))[:limit]

    def _identity_team(self) -> set[str]:
        group = f"cn={A.ADMIN_GROUP_CN},{self.directory.base(A.GROUPS)}"
        found = self.directory.search(group, "(objectClass=*)", [A.MEMBER], ldap3.BASE)
        return {str(m).lower() for m in (found[0][1].get(A.MEMBER) or [])} if found else set()

    # --- changes --------------------------------------------------------------------------------

    def grant(self, grant: Grant, today: date, granter_is_admin: bool, delegate_is_admin: bool = False) -> Delegation:
        """Store a delegation, or raise ValidationFailed({field: reason}) and store nothing."""
        grant = Grant(grant.uai, grant.delegate.strip(), grant.kind, grant.start, grant.end, clean(grant.reason),
                      grant.granted_by)
        delegate = self.staff_member(grant.delegate)
        found = problems(grant, today, delegate, granter_is_admin, delegate_is_admin)
        now = datetime.now(timezone.utc)
        if not found:
            grant = replace(grant, delegate=delegate.uid)
            held = overlapping(grant, self.of_establishment(grant.uai), now)
            if held is not None:
                found["delegate"] = already_held(held)
        if found:
            raise FieldsRefused(found)
        delegation = Delegation(id=secrets.token_hex(12), uai=grant.uai, delegate=delegate.uid, kind=grant.kind,
                                valid_from=start_of(grant.start),
                                valid_until=start_of(grant.end + timedelta(days=1)),
                                granted_by=grant.granted_by, reason=grant.reason)
        attributes = {A.CN: delegation.id, A.DELEGATE: delegation.delegate, A.UAI: delegation.uai,
                      A.DELEGATION_KIND: delegation.kind.value, A.VALID_FROM: ldap_time(delegation.valid_from),
                      A.VALID_UNTIL: ldap_time(delegation.valid_until), A.ACTOR: delegation.granted_by}
        if delegation.reason:
            attributes[A.DESCRIPTION] = delegation.reason
        entry_dn = dn(A.CN, delegation.id, self._establishment_dn(delegation.uai))
        self.directory.writes.run(lambda conn: conn.add(entry_dn, [A.OC_DELEGATION], attributes))
        # two grants at once both passed the check above: each looks again, and the later id gives way
        rivals = [d for d in self.of_establishment(grant.uai) if d.id != delegation.id
                  and overlapping(grant, [d], now) is not None]
        if any(d.id < delegation.id for d in rivals):
            self.directory.writes.run(lambda conn: conn.delete(entry_dn))
            raise FieldsRefused({"delegate": already_held(min(rivals, key=lambda d: d.id))})
        return delegation

    def end(self, uai: str, delegation_id: str, by: str, now: datetime | None = None) -> Delegation:
        """End a delegation at once, and with it the right: any other of the same person and right in this
        establishment not yet over (two granted before one per person and right was the rule) ends too.
        Conditional on the term read: ended meanwhile, it is refused."""
        now = (now or datetime.now(timezone.utc)).replace(microsecond=0)
        delegation = self.get(uai, delegation_id)
        if delegation.valid_until <= now:
            raise FieldsRefused({"delegation": "Cette délégation est déjà terminée."})
        for twin in self.of_establishment(uai):
            if twin.id != delegation.id and twin.delegate.lower() == delegation.delegate.lower() \
                    and twin.kind is delegation.kind and twin.valid_until > now:
                self._end_one(uai, twin, by, now)
        return self._end_one(uai, delegation, by, now)

    def _end_one(self, uai: str, delegation: Delegation, by: str, now: datetime) -> Delegation:
        entry_dn = dn(A.CN, delegation.id, self._establishment_dn(uai))
        # the term read is deleted by value: ended by someone else meanwhile, the directory refuses it
        changes = {A.VALID_UNTIL: [(ldap3.MODIFY_DELETE, [ldap_time(delegation.valid_until)]),
                                   (ldap3.MODIFY_ADD, [ldap_time(now)])],
                   A.ENDED_BY: [(ldap3.MODIFY_REPLACE, [by])]}
        start = min(delegation.valid_from, now)      # one still to come ends before it began
        if start != delegation.valid_from:
            changes[A.VALID_FROM] = [(ldap3.MODIFY_REPLACE, [ldap_time(start)])]
        self.directory.writes.run(lambda conn: conn.modify(entry_dn, changes))
        return Delegation(delegation.id, uai, delegation.delegate, delegation.kind, start, now,
                          delegation.granted_by, delegation.reason, by)
