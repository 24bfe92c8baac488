"""A job found again: from the job queue's records, or, when those were lost, rebuilt by its kind from what the
directory keeps (its audit record and the marks on the accounts it changed)."""
from __future__ import annotations

import time

from directory import audit

from ..extensions import directory
from .kind import kind_of
from .store import JOB_TTL, RECENT, Job, JobStore


def _recovered(trace: audit.JobTrace, store: JobStore) -> Job | None:
    created = trace.created.timestamp() if trace.created else time.time()
    kind = kind_of(trace.action)
    if kind is None or time.time() - created > JOB_TTL:
        return None
    return kind.recover(trace, store)


def find(job_id: str, owner: str, store: JobStore) -> Job | None:
    """The job from the job queue's records, or (one of `owner`'s) found again in the directory."""
    job = store.get(job_id)
    if job is None and job_id.isalnum():
        trace = audit.job_trace(directory.current, job_id)
        job = _recovered(trace, store) if trace and trace.actor == owner else None
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
                _recovered(full, store)
