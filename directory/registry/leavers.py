"""Leavers in the directory: locked once past the tolerance (every service honours it), then removable, and
their removal, each identifier kept under ou=reserved so that no account is ever given it again."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import ldap3

from .. import attributes as A
from ..audit import record_action
from ..errors import AlreadyExists, Conflict, NotFound
from ..escaping import all_of, any_of, at_most, dn, equals, none_of, present
from ..mapping import first, parse_time

REMOVED = "leaver-removed"          # the audit action of a removal
BOUND = 500                         # accounts removed by one request at most: the rest wait for the next
CAME_BACK = "Le compte n'est plus supprimable (l'élève est revenu, ou sa date de départ a changé) : il est gardé."
GONE = "Le compte n'existe plus (déjà supprimé)."
_IDENTIFIER_SAID = re.compile(r"identifiant réservé : « ([^»]+) »")
_ATTRIBUTES = [A.ACCOUNT_ID, A.SURNAME, A.GIVEN_NAME, A.UID, A.UAI, A.LEFT_ON, A.LEFT_UAI, A.INE]


@dataclass(frozen=True)
class Leaver:
    dn: str
    account_id: str
    surname: str
    given_name: str
    identifier: str
    ine: str
    left_on: date
    left_uai: str

    @property
    def name(self) -> str:
        return f"{self.surname.upper()} {self.given_name}"


def removable_since(tolerance_days: int, removal_days: int, today: date | None = None) -> date:
    """The last day of leaving whose accounts are removable today: tolerated, then deactivated, both periods past."""
    return (today or date.today()) - timedelta(days=tolerance_days + removal_days + 1)


def _leaver(entry_dn: str, entry: dict) -> Leaver:
    return Leaver(entry_dn, first(entry.get(A.ACCOUNT_ID), ""), first(entry.get(A.SURNAME), ""),
                  first(entry.get(A.GIVEN_NAME), ""), first(entry.get(A.UID), "") or "",
                  first(entry.get(A.INE), "") or "", parse_time(first(entry.get(A.LEFT_ON))).date(),
                  first(entry.get(A.LEFT_UAI), "") or "")


def _removable_filter(last_day: date) -> str:
    return all_of(equals(A.OBJECT_CLASS, A.OC_LEAVER), none_of(present(A.UAI)), at_most(A.LEFT_ON, f"{last_day:%Y%m%d}235959Z"))


def removable(directory, last_day: date) -> list[Leaver]:
    """Students who left on `last_day` or before and came back nowhere, oldest departures first."""
    found = directory.search(directory.base(A.STUDENTS), _removable_filter(last_day), _ATTRIBUTES, ldap3.LEVEL)
    return sorted((_leaver(d, e) for d, e in found), key=lambda s: (s.left_on, s.surname.lower(), s.account_id))


def _reserve(directory, identifier: str, account_id: str, actor: str) -> None:
    entry_dn = dn(A.UID, identifier, directory.base(A.RESERVED))
    try:
        directory.writes.run(lambda conn: conn.add(entry_dn, [A.OC_RESERVED], {
            A.UID: identifier, A.DESCRIPTION: f"compte {account_id} supprimé par {actor}"}))
    except AlreadyExists:
        pass


def reserved(directory) -> set[str]:
    return {str(u).lower() for _, e in directory.search(directory.base(A.RESERVED), equals(A.OBJECT_CLASS, A.OC_RESERVED),
                                                         [A.UID], ldap3.LEVEL) for u in e.get(A.UID) or ()}


def reserve_pending(directory, actor: str) -> int:
    """Identifiers a removal wrote in its record but not yet under ou=reserved (a crash between the delete and
    the reservation): reserved now. How many."""
    found = directory.search(directory.base(A.AUDIT), equals(A.ACTION, REMOVED), [A.DESCRIPTION, A.TARGET],
                             ldap3.LEVEL)
    kept = reserved(directory)
    pending = 0
    for _, entry in found:
        said = _IDENTIFIER_SAID.search(first(entry.get(A.DESCRIPTION), "") or "")
        if said and said.group(1).lower() not in kept:
            _reserve(directory, said.group(1), first(entry.get(A.TARGET), ""), actor)
            pending += 1
    return pending


def remove(directory, account_id: str, last_day: date, actor: str) -> tuple[bool, str]:
    """Removes one leaver's account if it is still removable: first its record (naming the identifier), then
    the entry, then the reservation. (True, '') or (False, why it was kept)."""
    found = directory.search(directory.base(A.STUDENTS), all_of(equals(A.ACCOUNT_ID, account_id),
                                                                _removable_filter(last_day)), _ATTRIBUTES, ldap3.LEVEL)
    if not found:
        return False, (CAME_BACK if directory.search(directory.base(A.STUDENTS), equals(A.ACCOUNT_ID, account_id),
                                                     ["1.1"], ldap3.LEVEL) else GONE)
    leaver = _leaver(*found[0])
    said = f" ; identifiant réservé : « {leaver.identifier} »" if leaver.identifier else " ; jamais notifié"
    record_action(directory, f"removal-{account_id}", actor, REMOVED, leaver.left_uai, [account_id],
                  f"Compte supprimé : {leaver.name}, parti de {leaver.left_uai} le {leaver.left_on:%d/%m/%Y}{said}")
    try:
        directory.writes.run(lambda conn: conn.delete(leaver.dn))
    except NotFound:
        pass        # deleted by a request that stopped before its reservation
    if leaver.identifier:
        _reserve(directory, leaver.identifier, account_id, actor)
    return True, ""


# -- the directory's lock of leavers past the tolerance (every service that binds honours it) -----------------

LEAVER_LOCK = "000001010000Z"       # ppolicy's permanent lock: only a write lifts it (never its duration)


def is_leaver_lock(locked_at) -> bool:
    """Whether pwdAccountLockedTime, as read, is the leavers' permanent lock (not a lock after wrong passwords)."""
    return locked_at is not None and str(locked_at).startswith(LEAVER_LOCK[:8])


def lock_cutoff(tolerance_days: int, today: date | None = None) -> date:
    """The last day of leaving whose accounts are locked today: the tolerance is over for them."""
    return (today or date.today()) - timedelta(days=tolerance_days + 1)


def keep_leavers_locked(directory, tolerance_days: int, today: date | None = None) -> tuple[list[str], list[str]]:
    """The one rule of the directory about leavers, for the SSO and every service that binds: a student who
    left (no establishment) more than `tolerance_days` ago is locked by ppolicy's permanent lock; one the
    registry brought back (an establishment again, or no departure, or a later one) is unlocked. Other locks
    (too many wrong passwords) are not touched. Both searches read leavers only (the objectClass index); each
    write is conditional on the lock it read. (DNs locked, DNs unlocked.)"""
    cutoff = f"{lock_cutoff(tolerance_days, today):%Y%m%d}235959Z"
    base = directory.base(A.STUDENTS)
    to_lock = directory.search(base, all_of(equals(A.OBJECT_CLASS, A.OC_LEAVER), none_of(present(A.UAI)),
                                            at_most(A.LEFT_ON, cutoff),
                                            none_of(equals(A.PWD_ACCOUNT_LOCKED_TIME, LEAVER_LOCK))),
                               [A.PWD_ACCOUNT_LOCKED_TIME], ldap3.LEVEL)
    to_unlock = directory.search(base, all_of(equals(A.OBJECT_CLASS, A.OC_LEAVER),
                                              equals(A.PWD_ACCOUNT_LOCKED_TIME, LEAVER_LOCK),
                                              any_of(present(A.UAI), none_of(present(A.LEFT_ON)),
                                                     none_of(at_most(A.LEFT_ON, cutoff)))),
                                 ["1.1"], ldap3.LEVEL)
    locked, unlocked = [], []
    for entry_dn, entry in to_lock:
        current = entry.get(A.PWD_ACCOUNT_LOCKED_TIME) or []
        change = [(ldap3.MODIFY_DELETE, [str(current[0])])] if current else []
        if _changed(directory, entry_dn, {A.PWD_ACCOUNT_LOCKED_TIME: change + [(ldap3.MODIFY_ADD, [LEAVER_LOCK])]}):
            locked.append(entry_dn)
    for entry_dn, _ in to_unlock:
        if _changed(directory, entry_dn, {A.PWD_ACCOUNT_LOCKED_TIME: [(ldap3.MODIFY_DELETE, [LEAVER_LOCK])]}):
            unlocked.append(entry_dn)
    return locked, unlocked


def _changed(directory, entry_dn: str, modifications: dict) -> bool:
    """One conditional write; False when the entry changed meanwhile (the next pass looks again)."""
    try:
        directory.writes.run(lambda conn: conn.modify(entry_dn, modifications))
        return True
    except (Conflict, NotFound):
        return False
