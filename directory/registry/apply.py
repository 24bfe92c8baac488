"""Applying a preview's rows, one entry at a time, each change complete or not done, conditional on what the
preview read (the values it deletes); the job's mark on each entry says, after any crash, what was done."""
from __future__ import annotations

import enum

import ldap3

from .. import attributes as A
from .. import marks
from ..audit import record_action
from ..errors import AlreadyExists, Conflict, NotFound
from ..escaping import equals
from ..mapping import first
from .preview import PARENT, STUDENT, PreviewRow

_OPERATIONS = {"add": ldap3.MODIFY_ADD, "delete": ldap3.MODIFY_DELETE, "replace": ldap3.MODIFY_REPLACE}


class RowOutcome(enum.Enum):
    DONE = "done"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


CHANGED_MEANWHILE = ("Compte modifié entre-temps (depuis l'aperçu, ou par un autre import) : il n'a pas été touché ; "
                     "refaites l'aperçu.")
GONE = "Le compte n'existe plus : il n'a pas été touché."
TAKEN = "Un compte avec cet INE a été créé depuis l'aperçu : rien n'a été créé."
NO_CHILD = "Aucun de ses enfants n'a pu être créé ou retrouvé : le responsable n'a pas été créé."


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
        if marks.has_mark(directory, plan["dn"], job_id):
            return RowOutcome.DONE, ""      # this job's own change, before a crash or a lost answer
        return RowOutcome.REFUSED, CHANGED_MEANWHILE
    if row.kind == STUDENT and row.category in ("move-in", "leave"):
        what = ("Changement d'établissement : " if row.category == "move-in" else "Départ : ") + \
            " ; ".join(f"{label} {old or '—'} → {new}" for label, old, new in row.changes if label == "Établissement")
        record_action(directory, f"{job_id}-{row.key}", actor, row.category, row.uai, [row.key], what)
    return RowOutcome.DONE, ""


def _create(directory, row: PreviewRow, job_id: str, missing_children) -> tuple[RowOutcome, str]:
    plan = row.plan
    values = marks.marked_values({k: list(v) for k, v in plan["values"].items()}, job_id)
    if row.kind == PARENT:
        values[A.CHILD] = [c for c in values[A.CHILD] if c not in missing_children]
        if not values[A.CHILD]:
            return RowOutcome.REFUSED, NO_CHILD
    elif plan.get("ine"):
        found = directory.search(directory.base(A.STUDENTS), equals(A.INE, plan["ine"]), [A.LAST_JOB], ldap3.LEVEL)
        if found:
            mine = any(marks.carries(e, job_id) for _, e in found)
            return (RowOutcome.DONE, "") if mine else (RowOutcome.REFUSED, TAKEN)
    try:
        # an add of a fixed name may be sent again after a lost answer: the second finds the first's entry
        directory.writes.run(lambda conn: conn.add(plan["dn"], [A.OC_PERSON, A.OC_ACCOUNT], values))
    except AlreadyExists:
        if marks.has_mark(directory, plan["dn"], job_id):
            return RowOutcome.DONE, ""
        return RowOutcome.REFUSED, CHANGED_MEANWHILE
    return RowOutcome.DONE, ""
