"""The runner the worker runs for every kind of job: each worker takes chunks nobody holds and gives them to the
job's kind, and the worker that finds them all done has the kind finish the job. It never names a kind."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time

from flask import current_app
from redis.exceptions import RedisError

from directory.errors import DirectoryUnavailable
from directory.passwords import Sealer

from ..config import seal_key
from ..documents.failures import DocumentFailed
from ..documents.files import FileStore
from ..extensions import redis
from ..logs import carried, job_context
from . import formats, stopping
from .chunks import FINISH, Chunks
from .kind import Document, JobKind, known_kinds, kind_of
from .store import FAILED, FINISHED, QUEUED, RUNNING, Job, JobStore, job_store

log = logging.getLogger(__name__)
WORKER = f"{socket.gethostname()}:{os.getpid()}"
JOB_TIMEOUT = 3 * 3600      # RQ's own bound on one worker's share of a job
DIRECTORY_STOPPED = ("L'annuaire a cessé de répondre pendant l'opération. Le compte rendu dit, compte par compte, ce qui a "
                     "été fait : chaque compte changé par l'opération porte sa marque dans l'annuaire. Relancez "
                     "l'opération pour terminer : rien ne sera fait deux fois.")
STOPPED = "L'opération s'est interrompue. Les comptes marqués « Fait » sont traités ; relancez-la pour terminer."


def file_store() -> FileStore:
    config = current_app.config
    return FileStore(config["SESAME_FILES_DIR"], redis.current, config["SESAME_FILE_MINUTES"] * 60)


class _Heartbeat:
    """Keeps this worker's presence on the job and its leases renewed: on the chunk it works on, and on
    those whose letters are still being printed; a dead worker's lapse, and another takes its chunks up."""

    def __init__(self, store: JobStore, job_id: str, chunks: Chunks):
        self.store, self.job_id, self.chunks, self.stopped = store, job_id, chunks, threading.Event()
        self.leases: set[int] = set()     # the chunks (or FINISH) this worker holds now
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def hold(self, number: int) -> None:
        with self.lock:
            self.leases.add(number)

    def drop(self, number: int) -> None:
        with self.lock:
            self.leases.discard(number)

    def _held(self) -> list[int]:
        with self.lock:
            return sorted(self.leases)

    def _beat(self):
        while not self.stopped.wait(max(1, self.store.hold / 6)):
            try:
                self.store.attend(self.job_id, WORKER)
                for number in self._held():
                    self.chunks.keep(number, WORKER)
            except RedisError:
                pass    # the leases lapse while Redis is away; the job stops at its next note

    def __enter__(self):
        self.store.attend(self.job_id, WORKER)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()
        try:
            for number in self._held():
                self.chunks.release(number, WORKER)
        except RedisError:
            pass        # a lease nobody renews lapses by itself


def job_chunks(job: Job, kind: JobKind) -> Chunks:
    """The job's chunks: SESAME_JOB_CHUNK accounts each, or one for a kind that runs whole."""
    config = current_app.config
    size = max(job.total, 1) if kind.whole else config["SESAME_JOB_CHUNK"]
    return Chunks(redis.current, job.id, job.total, size, config["SESAME_JOB_HOLD_SECONDS"], Sealer(seal_key(config)))


def spread(job: Job, kind: JobKind) -> int:
    """How many RQ jobs to enqueue for `job`: one per chunk (capped), so that every idle worker joins."""
    return min(job_chunks(job, kind).count, current_app.config["SESAME_JOB_SPREAD"])


def put_on_queue(job: Job, copies: int | None = None) -> None:
    """The job on the queue of its kind and format, once per chunk (up to SESAME_JOB_SPREAD) unless `copies` says:
    every idle worker that knows both takes a share, and no other ever receives it."""
    jobs_queue = formats.queue(redis.current, formats.queue_name(job.kind, job.format))
    for _ in range(copies or spread(job, kind_of(job))):
        jobs_queue.enqueue(run_job, job.id, job_timeout=JOB_TIMEOUT)
    job_store().expect(job.id)


def _running(job: Job):
    if job.status != QUEUED:
        return False
    job.status, job.message = RUNNING, ""


def _stopped(message: str):
    def change(job: Job):
        if job.status != RUNNING:
            return False        # another worker said it first, or the job is over
        job.status, job.message, job.finished = FAILED, message, time.time()
    return change


def run_job(job_id: str) -> None:
    """The RQ entry point, enqueued once per worker that may share the job: each takes chunks nobody
    holds until none is left, and whoever finds them all done has the kind finish the job. Safe to run
    again after a crash: what was done is not done twice. A job of a kind this version does not know is
    left to the workers that do. Its log lines name the job and the request that asked for it."""
    store = job_store()
    asked = store.get(job_id)
    if asked is None:
        return
    if not formats.takes(asked, known_kinds(current_app)):
        # received from the legacy queue: its own queue is read by the workers that know its kind and format
        log.info("job %s (%s, format %d) left to a worker that knows it", job_id, asked.kind, asked.format)
        put_on_queue(asked, copies=1)
        return
    with job_context(job_id, asked.request_id):
        _run(job_id, kind_of(asked), store)


def _run(job_id: str, kind: JobKind, store: JobStore) -> None:
    # held before its record says « En cours »: a page read in between would say it « reprend » (jobs/waiting.py)
    store.attend(job_id, WORKER)
    job = store.update(job_id, _running)
    if job is None or job.status != RUNNING:
        return          # finished, interrupted (« Relancer » starts it again), or gone
    chunks = job_chunks(job, kind)
    started = time.monotonic()
    log.info("job %s (%s, %d account(s), %d chunk(s)) taken up by %s", job_id, job.kind, job.total, chunks.count, WORKER)
    with _Heartbeat(store, job_id, chunks) as beat:
        try:
            if _work_chunks(job, kind, store, chunks, beat) and chunks.claim_finish(WORKER):
                beat.hold(FINISH)
                _finish(job, kind, store, chunks)
                log.info("job %s finished: %d of %d account(s) noted, %.1f s on this worker", job_id,
                         store.progress(job_id), job.total, time.monotonic() - started)
        except stopping.HandedBack:
            # this worker is asked to stop: the chunk under way goes back (its lease let go as the heartbeat
            # ends), and the job back on its queue for another worker, or for this one once started again
            log.info("job %s handed back: this worker is stopping", job_id)
            put_on_queue(job, copies=1)
        except RedisError:
            # The job queue went away: nothing can be noted. The record stays « En cours » with no
            # hold, and a worker's sweeper takes the job up when Redis is back; what was written
            # carries the job's mark, so nothing is done twice.
            log.warning("job %s stopped: Redis unavailable", job_id)
        except DirectoryUnavailable:
            log.warning("job %s stopped: directory unavailable", job_id)
            store.update(job_id, _stopped(DIRECTORY_STOPPED))
        except DocumentFailed as failed:
            log.error("job %s stopped: its document could not be made (%s)", job_id, failed)
            store.update(job_id, _stopped(failed.said))
        except Exception:   # noqa: BLE001 - the report must say the job stopped, whatever stopped it
            log.exception("job %s failed", job_id)
            store.update(job_id, _stopped(STOPPED))


def _work_chunks(job: Job, kind: JobKind, store: JobStore, chunks: Chunks, beat: _Heartbeat) -> bool:
    """This worker's share: every chunk nobody holds nor finished, given to the kind, until none is left.
    False when the job stopped meanwhile (another worker's chunk stopped it: « Relancer » goes on)."""
    with kind.working(job, store, chunks) as work:
        while True:
            stopping.check()
            current = store.get(job.id)
            if current is None or current.status != RUNNING:
                return False
            number = chunks.claim(WORKER)
            if number is None:
                return True
            beat.hold(number)

            def done(number=number):
                chunks.complete(number, WORKER)
                beat.drop(number)
                log.info("job %s: chunk %d of %d done (%d account(s))", job.id, number + 1, chunks.count,
                         len(job.account_ids[chunks.bounds(number)]))
            work(number, job.account_ids[chunks.bounds(number)], carried(done))   # on a printer's thread too


def _finish(job: Job, kind: JobKind, store: JobStore, chunks: Chunks) -> None:
    """The job's end, once: its kind closes it and makes its document, kept for its owner."""
    if store.get(job.id).status != RUNNING:
        return          # finished meanwhile by another worker
    document = kind.finish(job, store, chunks)
    file = _keep(job.owner, document) if document is not None else ""
    chunks.clear()      # what the chunks kept for the document (provisional passwords) goes at once

    def finished(current: Job):
        current.status, current.file, current.finished = FINISHED, file, time.time()
    store.update(job.id, finished)


def _keep(owner: str, document: Document) -> str:
    """The job's document, kept for its owner (what is past its time goes first)."""
    files = file_store()
    files.purge()
    return files.save(owner, document.content, document.name, document.mimetype)


def resume_abandoned() -> list[str]:
    """Jobs left running by a worker that died, of the kinds and formats this worker knows: enqueued again (they
    finish what is left)."""
    store = job_store()
    kinds = known_kinds(current_app)
    resumed = []
    for job_id in store.open_jobs():
        job = store.get(job_id)
        if job is not None and formats.takes(job, kinds) and job.status == RUNNING and not store.held(job_id):
            put_on_queue(job)
            resumed.append(job_id)
    return resumed
