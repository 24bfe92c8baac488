"""Leavers: what makes a student a leaver (one rule, for the import and for the departures the registry
planned, made on their day by a daily task), locked in the directory once past the tolerance (every service
honours it), then removable, and their removal (its record first, which says after any crash that it was
removed), each identifier kept under ou=reserved so that no account is ever given it again."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import ldap3

from .. import attributes as A
from ..audit import record_action
from ..errors import AlreadyExists, ChangedMeanwhile, Conflict, NotFound
from ..escaping import all_of, any_of, at_most, dn, equals, none_of, present
from ..mapping import first, parse_time

LEAVE = "leave"                     # the audit action of a departure (the import's, or a planned one's)
DEPARTURES = "departures"           # the mark (sesameLastJob) of the daily task's changes: departures-YYYYMMDD
RECORD_LOOKBACK_DAYS = 7            # the daily task writes the records a stopped run left unwritten this far back


def day_value(day: date) -> str:
    """A day as the directory keeps it (generalized time, midnight UTC)."""
    return f"{day:%Y%m%d}000000Z"


def leaver_changes(uai: str, on: date, *, has_leaver_class: bool, leaves_on: str = "") -> list[list]:
    """What makes a student of `uai` a leaver who left on `on`, as [attribute, operation, values]: the one rule
    the import and the planned departures apply. It deletes the UAI (and the planned day) it expects: sent as a
    modify, it fails if the entry changed since it was read."""
    changes = [[A.UAI, "delete", [uai]], [A.LEFT_UAI, "replace", [uai]], [A.LEFT_ON, "replace", [day_value(on)]]]
    if not has_leaver_class:
        changes.append([A.OBJECT_CLASS, "add", [A.OC_LEAVER]])
    if leaves_on:
        changes.append([A.LEAVES_ON, "delete", [leaves_on]])
    return changes


def departure_summary(uai: str, on: date, planned: bool = False) -> str:
    """The journal's words for a departure."""
    return f"Départ : Établissement {uai} → parti le {on:%d/%m/%Y}" + \
        (" (départ prévu par la base élèves)" if planned else "")


_PLANNED_ATTRIBUTES = [A.ACCOUNT_ID, A.UAI, A.LEAVES_ON, A.OBJECT_CLASS]


def _departure_record(directory, account_id: str, uai: str, on: date) -> None:
    record_action(directory, f"{DEPARTURES}-{on:%Y%m%d}-{account_id}", "sesame", LEAVE, uai, [account_id],
                  departure_summary(uai, on, planned=True))


def planned_departures(directory, today: date) -> tuple[int, int]:
    """The daily task: every student whose planned departure day has come becomes a leaver of their
    establishment on that day, with its record in the journal. (made, left as they were because they changed
    meanwhile). A run stopped between a write and its record is finished by the next one: each write carries
    the day's mark, and the marked accounts of the last days get their record (written once)."""
    due = directory.search(directory.base(A.STUDENTS), all_of(
        equals(A.OBJECT_CLASS, A.OC_SCHOOLING), present(A.UAI), at_most(A.LEAVES_ON, f"{today:%Y%m%d}235959Z")),
        _PLANNED_ATTRIBUTES, ldap3.LEVEL)
    made = skipped = 0
    for entry_dn, entry in due:
        planned = first(entry.get(A.LEAVES_ON))
        on = parse_time(planned).date()
        uai = first(entry.get(A.UAI), "")
        classes = {str(c).lower() for c in entry.get(A.OBJECT_CLASS) or ()}
        changes: dict[str, list] = {}
        operations = {"add": ldap3.MODIFY_ADD, "delete": ldap3.MODIFY_DELETE, "replace": ldap3.MODIFY_REPLACE}
        raw_day = planned.strftime("%Y%m%d%H%M%SZ") if hasattr(planned, "strftime") else str(planned)
        for attribute, operation, values in leaver_changes(uai, on, has_leaver_class=A.OC_LEAVER.lower() in classes,
                                                           leaves_on=raw_day):
            changes.setdefault(attribute, []).append((operations[operation], values))
        changes[A.LAST_JOB] = [(ldap3.MODIFY_REPLACE, [f"{DEPARTURES}-{today:%Y%m%d}"])]
        try:
            directory.writes.run(lambda conn, d=entry_dn, c=changes: conn.modify(d, c))
        except (ChangedMeanwhile, NotFound):
            skipped += 1          # moved, left or changed since it was read: the next run reads it again
            continue
        _departure_record(directory, first(entry.get(A.ACCOUNT_ID), ""), uai, on)
        made += 1
    marks = [f"{DEPARTURES}-{today - timedelta(days=n):%Y%m%d}" for n in range(RECORD_LOOKBACK_DAYS)]
    for _, entry in directory.search(directory.base(A.STUDENTS), any_of(*(equals(A.LAST_JOB, m) for m in marks)),
                                     [A.ACCOUNT_ID, A.LEFT_UAI, A.LEFT_ON], ldap3.LEVEL):
        left_on = parse_time(first(entry.get(A.LEFT_ON)))
        if left_on and entry.get(A.LEFT_UAI):
            _departure_record(directory, first(entry.get(A.ACCOUNT_ID), ""), first(entry.get(A.LEFT_UAI)),
                              left_on.date())
    return made, skipped

REMOVED = "leaver-removed"          # the audit action of a removal
BOUND = 500                         # accounts one removal is asked for at most: the rest wait for the next
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


def _recorded(directory, account_ids) -> set[str]:
    """Those of `account_ids` whose removal was recorded."""
    wanted, found = sorted(set(account_ids)), set()
    for start in range(0, len(wanted), 200):
        filter_ = all_of(equals(A.ACTION, REMOVED), any_of(*(equals(A.TARGET, i) for i in wanted[start:start + 200])))
        found.update(t for _, e in directory.search(directory.base(A.AUDIT), filter_, [A.TARGET], ldap3.LEVEL)
                     for t in e.get(A.TARGET) or ())
    return found & set(wanted)


def removed(directory, account_ids) -> set[str]:
    """Those of `account_ids` that were removed: their removal recorded and their entry gone (a removal stopped
    between the two is finished by the next one)."""
    recorded = _recorded(directory, account_ids)
    if not recorded:
        return set()
    still = directory.search(directory.base(A.STUDENTS), any_of(*(equals(A.ACCOUNT_ID, i) for i in recorded)),
                             [A.ACCOUNT_ID], ldap3.LEVEL)
    return recorded - {first(e.get(A.ACCOUNT_ID), "") for _, e in still}


def remove(directory, account_id: str, last_day: date, actor: str) -> tuple[bool, str]:
    """Removes one leaver's account if it is still removable: first its record (naming the identifier), then
    the entry, then the reservation. (True, '') — also for an account a stopped removal had already deleted — or
    (False, why it was kept)."""
    found = directory.search(directory.base(A.STUDENTS), all_of(equals(A.ACCOUNT_ID, account_id),
                                                                _removable_filter(last_day)), _ATTRIBUTES, ldap3.LEVEL)
    if not found:
        if directory.search(directory.base(A.STUDENTS), equals(A.ACCOUNT_ID, account_id), ["1.1"], ldap3.LEVEL):
            return False, CAME_BACK
        return (True, "") if _recorded(directory, [account_id]) else (False, GONE)
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
