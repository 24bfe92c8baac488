"""Changing accounts: identifiers, provisional passwords, each change conditional on what was read."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timezone

import ldap3

from . import attributes as A
from . import marks
from . import observe
from .errors import Conflict, IdentifierTaken, NotFound
from .escaping import all_of, any_of, equals, starts_with
from .lifecycle import Change, shows_password
from .model import AccountState
from .names import identifier_stem
from .passwords import PasswordHasher, Sealer, provisional_password
from .mapping import Field, Mapping, account_id_of, first, many, state, text, time

@dataclass(frozen=True)
class AccountRecord:
    """An account as read just before changing it: the change is conditional on these values."""
    dn: str
    account_id: str
    surname: str
    given_name: str
    uai: str
    state: AccountState
    identifier: str | None
    sealed: bytes | None
    last_job: str | None
    class_code: str = ""
    mef_code: str = ""
    notification_date: datetime | None = None
    last_login: datetime | None = None
    origin: str = "REGISTRY"
    children: tuple[str, ...] = ()     # guardians: DNs of their children
    password_changed: datetime | None = None   # ppolicy's date of the current password
    language: str = ""                 # the letters' second language kept on the account (parents)

    @property
    def child_ids(self) -> tuple[str, ...]:
        """Guardians: the account ids of their children."""
        return tuple(account_id_of(dn) for dn in self.children)


RECORD = Mapping(AccountRecord, [
    Field("surname", A.SURNAME, text()), Field("given_name", A.GIVEN_NAME, text()), Field("uai", A.UAI, text()),
    Field("state", A.ACCOUNT_STATE, state), Field("identifier", A.UID),
    Field("sealed", A.SEALED_PASSWORD, raw=True), Field("last_job", A.LAST_JOB),
    Field("class_code", A.CLASS_CODE, text()), Field("mef_code", A.MEF_CODE, text()),
    Field("notification_date", A.NOTIFICATION_DATE, time), Field("last_login", A.PWD_LAST_SUCCESS, time),
    Field("origin", A.ACCOUNT_ORIGIN, text("REGISTRY")), Field("children", A.CHILD, many),
    Field("password_changed", A.PWD_CHANGED_TIME, time), Field("language", A.PREFERRED_LANGUAGE, text())],
    derived=lambda dn, entry, raw, values: {"dn": dn, "account_id": first(entry.get(A.ACCOUNT_ID), account_id_of(dn))},
    extra_attributes=[A.ACCOUNT_ID])
RECORD_ATTRIBUTES = RECORD.attributes


def _record(dn: str, entry: dict, raw: dict) -> AccountRecord:
    return RECORD.decode(entry, raw, dn)


def generalized_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%d%H%M%SZ")


@dataclass(frozen=True)
class Applied:
    record: AccountRecord
    change: Change
    identifier: str | None
    password: str | None         # the clear provisional password the holder now has, if any
    already_done: bool = False   # this job had changed it before (a rerun after a crash)
    written: AccountRecord | None = None   # the account as the write left it (None: as `record`)

    @property
    def after(self) -> AccountRecord:
        """The account as it now is in the directory, without reading it again."""
        return self.written or self.record




class _NoClaims:
    """One writer alone: every identifier is free to try."""

    def claim(self, identifier: str) -> bool:
        return True

    def release(self, identifier: str) -> None:
        pass


NO_CLAIMS = _NoClaims()


class Accounts:
    """Reads accounts of one population and applies lifecycle changes to them, one entry at a time."""

    def __init__(self, directory, population, hasher: PasswordHasher, sealer: Sealer, claims=None):
        self.directory = directory
        self.population = population
        self.base = directory.base(population.branch)
        self.hasher = hasher
        self.sealer = sealer
        # identifiers being written by this or another worker: slapo-unique checks with a search that
        # two writes at the same moment both pass, so writers that share a job take turns here first
        self.claims = claims or NO_CLAIMS

    def read(self, uai: str, account_ids) -> dict[str, AccountRecord]:
        """The accounts of `uai` among `account_ids`; the others are simply absent from the answer."""
        wanted = list(dict.fromkeys(i for i in account_ids if i))
        found: dict[str, AccountRecord] = {}
        for start in range(0, len(wanted), 200):
            chunk = wanted[start:start + 200]
            filter_ = all_of(self.population.in_establishment(uai), any_of(*(equals(A.ACCOUNT_ID, i) for i in chunk)))

            def operation(conn, filter_=filter_):
                conn.search(self.base, filter_, ldap3.LEVEL, attributes=RECORD_ATTRIBUTES)
                return [(e["dn"], e["attributes"], e["raw_attributes"]) for e in conn.response
                        if e.get("type") == "searchResEntry"]
            for dn, entry, raw in self.directory.writes.run(operation):
                record = _record(dn, entry, raw)
                found[record.account_id] = record
        return found

    def reread(self, record: AccountRecord) -> AccountRecord | None:
        """The entry of `record` as it is now (None if it is gone), read from the provider."""
        found = self.directory.read_entry(record.dn, RECORD_ATTRIBUTES)
        return _record(found["dn"], found["attributes"], found["raw_attributes"]) if found else None

    def marked(self, job_id: str) -> set[str]:
        """The accounts of this population that carry `job_id` as their mark (directory/marks.py)."""
        return marks.marked(self.directory, job_id, [self.population])

    def read_one(self, uai: str, account_id: str) -> AccountRecord:
        found = self.read(uai, [account_id])
        if account_id not in found:
            raise NotFound(account_id)
        return found[account_id]

    def keep_language(self, records, language: str) -> None:
        """The letters' language kept on each account ("" removes it); the same value written twice is
        one value, so a job run again after a crash changes nothing more."""
        change = {A.PREFERRED_LANGUAGE: [(ldap3.MODIFY_REPLACE, [language] if language else [])]}
        for record in records:
            if record.language != language:
                self.directory.writes.run(lambda conn, dn=record.dn: conn.modify(dn, change))

    def provisional_password(self, record: AccountRecord) -> str | None:
        return self.sealer.open(record.sealed, record.account_id) if record.sealed else None

    def _taken(self, stems) -> set[str]:
        stems = sorted(set(stems))
        found = set()
        for start in range(0, len(stems), 100):
            filter_ = any_of(*(starts_with(A.UID, stem) for stem in stems[start:start + 100]))
            found.update(uid for _, e in self.directory.search(self.directory.suffix, filter_, [A.UID])
                         for uid in e.get(A.UID) or ())
        return found

    def _first_free(self, stem: str, taken: set[str]) -> str:
        """The first of `stem`, `stem2`, ... neither in the directory nor being written by another."""
        n = 1
        while True:
            candidate = stem if n == 1 else f"{stem}{n}"
            if candidate not in taken and self.claims.claim(candidate):
                return candidate
            n += 1

    def free_identifier(self, given_name: str, surname: str) -> str:
        """`prenom.nom`, or with the smallest number not taken anywhere in the directory."""
        stem = identifier_stem(given_name, surname)
        return self._first_free(stem, self._taken([stem]))

    def propose_identifiers(self, records) -> dict[str, str]:
        """Identifiers for the accounts that have none, with one search for a whole batch; the
        directory's uniqueness check still decides when each is written."""
        wanting = [r for r in records if r.identifier is None]
        stems = {r.account_id: identifier_stem(r.given_name, r.surname) for r in wanting}
        taken = self._taken(stems.values()) if stems else set()
        proposals = {}
        for account_id, stem in stems.items():
            proposals[account_id] = self._first_free(stem, taken)
            taken.add(proposals[account_id])
        return proposals

    def apply(self, record: AccountRecord, change: Change, job_id: str,
              now: datetime | None = None, proposed_identifier: str | None = None) -> Applied:
        """See `_apply`; the identifiers it claimed are let go once it is written (or not)."""
        claimed = [proposed_identifier] if proposed_identifier else []
        try:
            return self._apply(record, change, job_id, now, proposed_identifier, claimed)
        finally:
            for identifier in claimed:
                self.claims.release(identifier)

    def _apply(self, record: AccountRecord, change: Change, job_id: str, now: datetime | None,
               proposed_identifier: str | None, claimed: list[str]) -> Applied:
        """Make `change` to the account in one modify, only if it is still as `record` read it.

        The condition is written into the modify itself: it deletes the state and the sealed password
        it read (a value that is no longer there fails the whole modify) before adding the new ones.
        RFC 4528's assertion control would say the same, but slapo-unique runs its own search with the
        request's controls, and the assertion fails that search. A rerun of the same job finds its
        mark on the entry and changes nothing twice."""
        if record.last_job == job_id:
            return Applied(record, change, record.identifier, self.provisional_password(record), True)
        if not change.changes_anything:
            return Applied(record, change, record.identifier, None)
        now = now or datetime.now(timezone.utc)
        password = provisional_password() if change.new_password else self.provisional_password(record)
        modifications = {
            A.ACCOUNT_STATE: [(ldap3.MODIFY_DELETE, [record.state.value]),
                              (ldap3.MODIFY_ADD, [change.after.value])],
        }
        if change.stamp_notification:
            modifications[A.NOTIFICATION_DATE] = [(ldap3.MODIFY_REPLACE, [generalized_time(now)])]
        if change.new_password:
            sealed = self.sealer.seal(password, record.account_id)
            previous = [(ldap3.MODIFY_DELETE, [record.sealed])] if record.sealed else []
            modifications[A.SEALED_PASSWORD] = previous + [(ldap3.MODIFY_ADD, [sealed])]
            modifications[A.USER_PASSWORD] = [(ldap3.MODIFY_REPLACE, [self.hasher.hash(password)])]
            # a new password also lifts a lockout: ppolicy clears pwdAccountLockedTime by itself
            modifications[A.PWD_RESET] = [(ldap3.MODIFY_REPLACE, ["TRUE"])]
        elif record.sealed:
            # the password kept must still be the one read: it is printed on the letter
            modifications[A.SEALED_PASSWORD] = [(ldap3.MODIFY_DELETE, [record.sealed]),
                                                (ldap3.MODIFY_ADD, [record.sealed])]
        identifier = record.identifier
        for attempt in range(5):
            if record.identifier is None and change.after is not AccountState.NOT_NOTIFIED:
                identifier = proposed_identifier if attempt == 0 and proposed_identifier else \
                    self.free_identifier(record.given_name, record.surname)
                claimed.append(identifier)
                modifications[A.UID] = [(ldap3.MODIFY_ADD, [identifier])]
            try:
                self._write(record, modifications, job_id)
            except Conflict as error:
                if A.UID in modifications and isinstance(error, IdentifierTaken) and attempt < 4:
                    continue   # another account took that identifier meanwhile: the next number
                now = self.reread(record)
                if now is not None and now.last_job == job_id:
                    # this job's own change got there first (another worker on the same job)
                    return Applied(now, change, now.identifier, self.shown_password(now), True)
                raise
            # what the modify wrote (ppolicy dates the new password at the write: a moment after `now`)
            written = replace(record, identifier=identifier, state=change.after, last_job=job_id,
                              sealed=modifications[A.SEALED_PASSWORD][-1][1][0] if A.SEALED_PASSWORD in modifications
                              else record.sealed,
                              notification_date=now if change.stamp_notification else record.notification_date,
                              password_changed=now if change.new_password else record.password_changed)
            return Applied(record, change, identifier, password if change.letter_shows_password else None,
                           written=written)
        raise Conflict("no free identifier")

    def shown_password(self, record: AccountRecord) -> str | None:
        """The provisional password a letter of this account prints, if any."""
        return self.provisional_password(record) if shows_password(record.state) else None

    def _write(self, record: AccountRecord, modifications: dict, job_id: str) -> None:
        """The modify with the job's mark, never twice blindly: after a lost answer the mark on the entry says
        whether it applied."""
        marks.modify_marked(self.directory, record.dn, modifications, job_id)
        observe.account_changed(self.population.name)
