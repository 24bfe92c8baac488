"""A job's report as the directory has it: the marks on the accounts it changed, whatever was lost."""
from __future__ import annotations

import time

from directory import audit
from directory.lifecycle import Action

from ..accounts import accounts_of
from ..extensions import directory
from ..students.population import of_job
from . import chunks
from .store import DONE, FAILED, FINISHED, JOB_TTL, QUEUED, RECENT, REFUSED, RUNNING, UNCHANGED, Job, JobStore

LOST = ("Le suivi de cette opération a été perdu (panne du serveur de travaux). Les comptes qu'elle a "
        "traités ont été retrouvés dans l'annuaire ; ")


def job_accounts(job: Job):
    """The writer for the accounts of the job's population."""
    return accounts_of(of_job(job.population).accounts)


def outcomes(job: Job, store: JobStore) -> dict[str, tuple[str, str]]:
    """Per account: what the worker noted, corrected by the directory. An account carrying the job's
    mark was changed by it, noted or not (a worker may die between a write and its note); the others
    were not changed by it. While the job runs, its notes alone tell the progress."""
    noted = store.outcomes(job.id)
    if not job.action.changes_accounts or job.status in (QUEUED, RUNNING):
        return noted
    if job.status == FINISHED and len(noted) == job.total:
        return noted     # a job that ended normally noted every account after its write
    asked = set(job.account_ids)
    for account_id in job_accounts(job).marked(job.id) & asked:
        if noted.get(account_id, ("",))[0] != DONE:
            noted[account_id] = (DONE, "")
    for account_id, (outcome, _) in list(noted.items()):
        if outcome == DONE and account_id not in asked:
            del noted[account_id]
    return noted


def counts(found: dict[str, tuple[str, str]]) -> dict[str, int]:
    return {k: sum(1 for o, _ in found.values() if o == k) for k in (DONE, UNCHANGED, REFUSED)}


def recover(trace: audit.JobTrace, store: JobStore) -> Job | None:
    """A job that the directory knows and the job queue lost, rebuilt as « Interrompu »: « Relancer »
    finishes what was asked (its record still names every account asked for) or, for a job that had
    ended, makes its document again from the accounts that still carry its mark."""
    created = trace.created.timestamp() if trace.created else time.time()
    if time.time() - created > JOB_TTL or trace.action not in {a.value for a in Action}:
        # an import's rows live with its preview (webapp/alimentation): not rebuilt from account marks here
        return None
    job = Job(trace.id, trace.action, trace.actor, trace.uai, trace.population, list(trace.targets),
              dict(trace.options), FAILED, created)
    marked = job_accounts(job).marked(job.id) if job.action.changes_accounts else set()
    if trace.state == audit.CLOSED:
        if job.action.changes_accounts:
            job.account_ids = sorted(set(job.account_ids) & marked)
        has_document = not job.action.changes_accounts or (job.action is Action.NOTIFY and job.options.get("letters"))
        if not has_document:
            job.status = FINISHED
        job.message = LOST + ("relancez-la pour refaire le document." if has_document else "elle était terminée.")
    else:
        job.message = LOST + "relancez-la pour terminer les autres."
    store.restore(job)
    chunks.forget(store.redis, job.id)
    asked = set(job.account_ids)
    store.record_many(job.id, [(i, DONE, "") for i in marked if i in asked])
    return job


def find(job_id: str, owner: str, store: JobStore) -> Job | None:
    """The job from the job queue's records, or (one of `owner`'s) found again in the directory."""
    job = store.get(job_id)
    if job is None and job_id.isalnum():
        trace = audit.job_trace(directory.current, job_id)
        job = recover(trace, store) if trace and trace.actor == owner else None
    return job


def recover_lost(owner: str, store: JobStore) -> None:
    """Rebuild every recent job of `owner` that the directory knows and the job queue lost. Looked
    for once in a while, not at every visit of « Mes opérations »: the mark that it was done lives in
    Redis too, so a Redis that lost its data looks again at once."""
    if not store.redis.set(f"sesame:jobs:recovered:{owner}", 1, nx=True, ex=600):
        return
    recent = [t for t in audit.jobs_of(directory.current, owner)[:RECENT]
              if t.created and time.time() - t.created.timestamp() < JOB_TTL]
    for trace in recent:
        if store.get(trace.id) is None:
            full = audit.job_trace(directory.current, trace.id)
            if full:
                recover(full, store)
