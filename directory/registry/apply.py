"""Applying a preview's rows, one entry at a time, each change complete or not done, conditional on what the
preview read (the values it deletes); the job's mark on each entry says, after any crash, what was done."""
from __future__ import annotations

import enum
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import ldap3

from .. import attributes as A
from .. import marks
from ..audit import record_actions
from ..errors import AlreadyExists, ChangedMeanwhile, Conflict, IdentifierTaken, NotFound
from ..escaping import dn, equals
from ..mapping import first, parse_time
from .preview import PARENT, STUDENT, Preview, PreviewRow
from .structures import apply_structures

_OPERATIONS = {"add": ldap3.MODIFY_ADD, "delete": ldap3.MODIFY_DELETE, "replace": ldap3.MODIFY_REPLACE}


class RowOutcome(enum.Enum):
    DONE = "done"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


CHANGED_MEANWHILE = ("Compte modifié entre-temps (depuis l'aperçu, ou par un autre import) : il n'a pas été touché ; "
                     "refaites l'aperçu.")
GONE = "Le compte n'existe plus : il n'a pas été touché."
TAKEN = ("Un compte avec cet INE a été créé depuis l'aperçu (par un autre import, peut-être au même moment) : "
         "rien n'a été créé ; un INE n'a qu'un compte.")
NO_CHILD = "Aucun de ses enfants n'a pu être créé ou retrouvé : le responsable n'a pas été créé."
# A claim whose account was never written (its creation stopped for good) is taken over after this long; a
# creation under way writes its account within moments of its claim.
CLAIM_STALE = timedelta(hours=1)


def prepare(directory, preview: Preview, uais, job_id: str) -> None:
    """Before the rows, for each establishment applied: the divisions and MEFs the rows need, created with the
    labels the export gives (labels that changed updated), and the export noted on the establishment. Written
    again by a resumed job, it changes nothing more."""
    for establishment in preview.establishments:
        if not establishment.uai or establishment.uai not in uais:
            continue
        whole = establishment.whole_school      # a CSV naming a few students says nothing of the registry
        apply_structures(directory, establishment.uai, establishment.structures, job_id,
                         establishment.registry if whole else "",
                         datetime.fromisoformat(establishment.exported) if whole and establishment.exported else None,
                         establishment.school_year if whole else "")


def _modifications(plan: dict) -> dict:
    changes: dict[str, list] = {}
    for attribute, operation, values in plan["modifications"]:
        changes.setdefault(attribute, []).append((_OPERATIONS[operation], list(values)))
    return changes


def apply_row(directory, row: PreviewRow, job_id: str, actor: str,
              missing_children: set[str] = frozenset()) -> tuple[RowOutcome, str]:
    """One row of the preview. `missing_children`: DNs of students this job could not create."""
    plan = row.plan
    if row.category == "conflict":
        return RowOutcome.REFUSED, row.reason
    if plan.get("op") == "create":
        return _create(directory, row, job_id, missing_children)
    if plan.get("op") != "modify":
        return RowOutcome.UNCHANGED, ""
    try:
        marks.modify_marked(directory, plan["dn"], _modifications(plan), job_id)
    except NotFound:
        return RowOutcome.REFUSED, GONE
    except Conflict:
        if not marks.has_mark(directory, plan["dn"], job_id):
            return RowOutcome.REFUSED, CHANGED_MEANWHILE
        # this job's own change, before a crash or a lost answer (its journal record comes with the others')
    return RowOutcome.DONE, ""


JOURNALED = ("move-in", "leave")      # a student's change of establishment, and a departure: in the journal
JOURNAL_TARGETS = 200                 # accounts a journal record names at most


def _journal_words(row: PreviewRow) -> str:
    return ("Changement d'établissement : " if row.category == "move-in" else "Départ : ") + \
        " ; ".join(f"{label} {old or '—'} → {new}" for label, old, new in row.changes if label == "Établissement")


def journal_movements(directory, rows: list[PreviewRow], done: set[str], job_id: str, actor: str) -> None:
    """The journal records of the job's departures and changes of establishment: the students of `rows` (every
    row of the job, in its order) whose row is `done`, one record for up to JOURNAL_TARGETS of them that read
    alike (« Départ : Établissement 0990001N → parti le 01/09/2027 »: every leaver of an establishment that day),
    each account's history finding its own. Written again by a resumed job, each record names every account done
    by then (its id is its place among the job's rows)."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for row in rows:
        if row.kind == STUDENT and row.category in JOURNALED:
            groups.setdefault((row.category, row.uai, _journal_words(row)), []).append(row.key)
    for number, ((action, uai, words), keys) in enumerate(sorted(groups.items())):
        for start in range(0, len(keys), JOURNAL_TARGETS):
            targets = [k for k in keys[start:start + JOURNAL_TARGETS] if k in done]
            if targets:
                record_actions(directory, f"{job_id}-{action}-{number}-{start // JOURNAL_TARGETS}", actor, action, uai,
                               targets, words)


def _create(directory, row: PreviewRow, job_id: str, missing_children) -> tuple[RowOutcome, str]:
    plan = row.plan
    values = marks.marked_values({k: list(v) for k, v in plan["values"].items()}, job_id)
    if row.kind == PARENT:
        values[A.CHILD] = [c for c in values[A.CHILD] if c not in missing_children]
        if not values[A.CHILD]:
            return RowOutcome.REFUSED, NO_CHILD
    elif plan.get("ine"):
        # two imports creating the same new student at once: the claim lets one through; an account with this INE
        # made another way is refused by the unique overlay below (its claim then given back)
        if not claim_ine(directory, plan["ine"], values[A.ACCOUNT_ID][0], job_id):
            if _ine_created_by(directory, plan["ine"], job_id):
                return RowOutcome.DONE, ""       # this job's own, before a crash: nothing more to do
            return RowOutcome.REFUSED, TAKEN
    object_classes = plan.get("object_classes") or [A.OC_PERSON, A.OC_ACCOUNT]
    try:
        # an add of a fixed name may be sent again after a lost answer: the second finds the first's entry
        directory.writes.run(lambda conn: conn.add(plan["dn"], object_classes, values))
    except AlreadyExists:
        if marks.has_mark(directory, plan["dn"], job_id):
            return RowOutcome.DONE, ""
        return RowOutcome.REFUSED, CHANGED_MEANWHILE
    except IdentifierTaken:       # the unique overlay: an entry with this INE came another way
        release_ine(directory, plan.get("ine", ""), values[A.ACCOUNT_ID][0])
        return RowOutcome.REFUSED, TAKEN
    return RowOutcome.DONE, ""


def _ine_created_by(directory, ine: str, job_id: str) -> bool:
    found = directory.search(directory.base(A.STUDENTS), equals(A.INE, ine), [A.LAST_JOB], ldap3.LEVEL)
    return any(marks.carries(e, job_id) for _, e in found)


def apply_rows(directory, rows: list[PreviewRow], job_id: str, actor: str, note, missing: set[str] | None = None,
               writers: int = 1, batch: int = 50) -> None:
    """`rows` applied with `writers` connections at once: every student's first, then every parent's (a parent
    is linked to children that exist). `note(results)` is given the (key, outcome, detail) of `batch` rows at a
    time once they all ended (it may raise to stop there); `missing`: the DNs of students this job could not
    create (a resumed job's), grown with those refused here."""
    missing = set() if missing is None else missing

    def one(row: PreviewRow) -> tuple[str, str, str]:
        outcome, detail = apply_row(directory, row, job_id, actor, missing if row.kind == PARENT else frozenset())
        if outcome is RowOutcome.REFUSED and row.category != "conflict" and row.plan.get("op") == "create":
            missing.add(row.plan["dn"])
        return row.key, outcome.value, detail

    # the rows that write nothing (unchanged, in conflict) are told at once; the others go to the connections
    writing = [r for r in rows if r.category != "conflict" and r.plan.get("op") in ("create", "modify")]
    quiet = [r for r in rows if r.category == "conflict" or r.plan.get("op") not in ("create", "modify")]
    for start in range(0, len(quiet), 10 * batch):
        note([one(r) for r in quiet[start:start + 10 * batch]])
    # a batch at a time, so that nothing is under way when `note` raises (a worker asked to stop)
    with ThreadPoolExecutor(max_workers=max(1, writers)) as pool:
        for phase in ([r for r in writing if r.kind == STUDENT], [r for r in writing if r.kind != STUDENT]):
            for start in range(0, len(phase), batch):
                note(list(pool.map(one, phase[start:start + batch])))


def _claim_dn(directory, ine: str) -> str:
    return dn(A.INE, ine, directory.base(A.INES))


def claim_ine(directory, ine: str, account_id: str, job_id: str) -> bool:
    """Whether the account `account_id` may be created for `ine`: its claim, an entry named by the INE, is
    added first (an add of a fixed name is atomic in slapd: of two simultaneous claims one fails). A claim of
    the same account (this job, resumed) holds; another account's holds against this one, unless that
    account was never written and the claim is older than CLAIM_STALE."""
    claim_dn = _claim_dn(directory, ine)
    try:
        directory.writes.run(lambda conn: conn.add(claim_dn, [A.OC_INE_CLAIM], {
            A.INE: ine, A.ACCOUNT_ID: account_id, A.LAST_JOB: job_id}))
        return True
    except AlreadyExists:
        pass
    entry = directory.read_entry(claim_dn, [A.ACCOUNT_ID, "modifyTimestamp"])
    if entry is None:                     # released meanwhile: claim it again, once
        try:
            directory.writes.run(lambda conn: conn.add(claim_dn, [A.OC_INE_CLAIM], {
                A.INE: ine, A.ACCOUNT_ID: account_id, A.LAST_JOB: job_id}))
            return True
        except AlreadyExists:
            return False
    holder = first(entry["attributes"].get(A.ACCOUNT_ID), "") or ""
    if holder == account_id:
        return True
    if holder and directory.search(directory.base(A.STUDENTS), equals(A.ACCOUNT_ID, holder), ["1.1"], ldap3.LEVEL):
        return False
    since = parse_time(first(entry["attributes"].get("modifyTimestamp")))
    if since is None or datetime.now(timezone.utc) - since < CLAIM_STALE:
        return False                      # a creation under way elsewhere
    given = [(ldap3.MODIFY_DELETE, [holder]), (ldap3.MODIFY_ADD, [account_id])] if holder \
        else [(ldap3.MODIFY_ADD, [account_id])]
    taken_over = {A.ACCOUNT_ID: given, A.LAST_JOB: [(ldap3.MODIFY_REPLACE, [job_id])]}
    try:    # conditional on the stale holder: of two taking it over, one does
        directory.writes.run(lambda conn: conn.modify(claim_dn, taken_over))
    except (ChangedMeanwhile, NotFound):
        return False
    return True


def release_ine(directory, ine: str, account_id: str) -> None:
    """The claim of an account that will not be created, given back (if it is still that account's)."""
    if not ine:
        return
    entry = directory.read_entry(_claim_dn(directory, ine), [A.ACCOUNT_ID])
    if entry is not None and first(entry["attributes"].get(A.ACCOUNT_ID)) == account_id:
        try:
            directory.writes.run(lambda conn: conn.delete(_claim_dn(directory, ine)))
        except NotFound:
            pass
