"""A job put on the queue: asked for once per confirmation (the directory knows of it before any account is
changed), spread over the workers, and resumed by « Relancer »."""
from __future__ import annotations

from directory.audit import open_job

from ..extensions import directory, redis
from .kind import kind_of
from .store import FAILED, QUEUED, RUNNING, Job, JobStore, job_store
from .tasks import run_job, spread
from .worker import queue

JOB_TIMEOUT = 3 * 3600


def enqueue(job: Job) -> None:
    """The job on the queue once per chunk (up to SESAME_JOB_SPREAD): every idle worker takes a share."""
    jobs_queue = queue(redis.current)
    for _ in range(spread(job, kind_of(job))):
        jobs_queue.enqueue(run_job, job.id, job_timeout=JOB_TIMEOUT)


def launch(kind_name: str, job_id: str, owner: str, uai: str, population: str, account_ids, options: dict,
           audited=None, kept=None) -> Job:
    """The job `job_id` of that kind, asked for: its audit record opened first (naming `audited`, by
    default its accounts), then `kept()` (what the directory keeps of it besides, before it starts), then
    its record and the queue. A confirmation posted twice gets the job it made the first time."""
    store = job_store()
    existing = store.get(job_id)
    if existing is not None:
        return existing
    account_ids = kind_of(kind_name).prepare(uai, population, list(account_ids), options)
    # written twice (two requests at once), the audit record is one record
    open_job(directory.current, job_id, owner, kind_name, uai, population, options,
             account_ids if audited is None else audited)
    if kept is not None:
        kept()
    job, created = store.create(kind_name, owner, uai, population, account_ids, options, job_id=job_id)
    if created:
        enqueue(job)
    return job


def resumable(job: Job, held: bool) -> bool:
    """Interrupted, or left « En cours » by a worker that no longer holds it."""
    return job.status == FAILED or (job.status in (QUEUED, RUNNING) and not held)


def resume(job: Job, store: JobStore) -> bool:
    """An interrupted job back on the queue, where it goes on from where it stopped; False if it is not one."""
    if not resumable(job, store.held(job.id)):
        return False
    job.status, job.message = RUNNING, ""
    store.save(job)
    enqueue(job)
    return True
