"""The import job: the preview's rows applied on the worker, noted row by row; its report agrees with the
directory after a crash, since every entry it changed carries its mark (sesameLastJob), and outlives the
preview and the job queue's records, kept with the job's audit record (directory/registry/report.py)."""
from __future__ import annotations

import ldap3

from directory import attributes as A
from directory import audit
from directory.audit import close_job
from directory.escaping import equals
from directory.mapping import account_id_of
from directory.registry.apply import RowOutcome, apply_rows, prepare
from directory.registry.preview import CREATE
from directory.registry.report import ReportRow, keep_outcomes, kept

from ..extensions import directory
from ..jobs.store import FINISHED, Job
from ..operations import summary as said
from . import previews

IMPORT = "import"
BATCH = 50
# connections the rows are written with at once: slapd works on one while the worker prepares the next (bench/rentree)
WRITERS = 4
LOST_PREVIEW = "L'aperçu de cet import n'existe plus (plus de 24 heures) : refaites l'aperçu puis appliquez-le."


def marked(job_id: str) -> set[str]:
    """Every account (student or parent) that carries this job's mark: the ones it changed or created."""
    found = set()
    for branch in (A.STUDENTS, A.GUARDIANS):
        for entry_dn, _ in directory.current.search(directory.current.base(branch), equals(A.LAST_JOB, job_id),
                                                    [A.ACCOUNT_ID], ldap3.LEVEL):
            found.add(account_id_of(entry_dn))
    return found


def outcomes(job, store) -> dict[str, tuple[str, str]]:
    """Per row: what the worker noted; once the job has ended, what its audit record kept if the job queue
    lost the notes; else the notes corrected by the marks."""
    noted = store.outcomes(job.id)
    if job.status in ("queued", "running") or (job.status == FINISHED and len(noted) == job.total):
        return noted
    if job.status == FINISHED:
        _, found = kept(directory.current, job.id)
        if len(found) == job.total:
            return found
    for key in marked(job.id) & set(job.account_ids):
        noted[key] = (RowOutcome.DONE.value, "")
    return noted


def run_import(job, store) -> None:
    preview = previews.load(job.options["preview"])
    if preview is None:
        raise RuntimeError(LOST_PREVIEW)
    rows = {row.key: row for row in preview.rows() if row.plan.get("counted", True)}
    prepare(directory.current, preview, job.options.get("uais", []), job.id)     # divisions and MEFs first
    done = store.outcomes(job.id)
    missing = {rows[k].plan["dn"] for k, (o, _) in done.items()
               if k in rows and o == RowOutcome.REFUSED.value and rows[k].plan.get("op") == CREATE}
    # students first, then parents (a parent's children must exist before the parent is linked to them), each
    # row one write complete or not done, WRITERS at once
    apply_rows(directory.current, [rows[k] for k in job.account_ids if k not in done and k in rows], job.id,
               job.owner, lambda results: store.record_many(job.id, results), missing, WRITERS, BATCH)
    found = outcomes(job, store)
    total = {o.value: sum(1 for v, _ in found.values() if v == o.value) for o in RowOutcome}
    summary = said(IMPORT, job.options, "students", total["done"], total["unchanged"], total["refused"], job.total)
    targets = [k for k, (o, _) in found.items() if o == RowOutcome.DONE.value and len(k) == 32]
    keep_outcomes(directory.current, job.id, {k: found[k] for k in job.account_ids if k in found})
    close_job(directory.current, job.id, job.owner, IMPORT, job.uai, targets, summary)
    from ..stats.store import forget      # « Accueil » and « Statistiques » show the new divisions at once
    for uai in job.options.get("uais", []):
        forget(uai)


def report_rows(job) -> dict[str, ReportRow]:
    """The job's rows as its report names them: from its preview while it is kept, else from its record."""
    preview = previews.load(job.options["preview"])
    if preview is not None:
        return {r.key: ReportRow.of(r) for r in preview.rows()}
    rows, _ = kept(directory.current, job.id)
    return {r.key: r for r in rows}


def recovered(job_id: str, owner: str) -> Job | None:
    """A finished import of `owner`'s whose job queue record is gone, rebuilt from its audit record."""
    trace = audit.job_trace(directory.current, job_id)
    if trace is None or trace.action != IMPORT or trace.actor != owner or trace.state != audit.CLOSED:
        return None
    rows, found = kept(directory.current, job_id)
    if not rows or len(found) != len(rows):
        return None
    created = trace.created.timestamp() if trace.created else 0.0
    return Job(trace.id, IMPORT, trace.actor, trace.uai, trace.population, [r.key for r in rows],
               dict(trace.options), FINISHED, created)
