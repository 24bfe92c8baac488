"""What the worker runs: (re)notify, reset and list jobs, account by account, then the documents."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from redis.exceptions import RedisError

from directory.audit import close_job
from directory.actions import Refusal, change_accounts
from directory.errors import DirectoryUnavailable
from directory.lifecycle import Action
from directory.names import sort_name

from ..students.population import of_job
from ..documents.files import FileStore
from .printing import keep_languages, letter_of, letters_document, reprinted
from ..documents.lists import ListRow
from ..extensions import directory, redis
from ..holders import tokens
from .report import counts, job_accounts, outcomes
from .store import DONE, FAILED, FINISHED, REFUSED, RUNNING, UNCHANGED, Job, JobStore, job_store
from ..alimentation.job import IMPORT, run_import

log = logging.getLogger(__name__)
BATCH = 50
WORKER = f"{socket.gethostname()}:{os.getpid()}"


def file_store() -> FileStore:
    config = current_app.config
    return FileStore(config["SESAME_FILES_DIR"], redis.current, config["SESAME_FILE_MINUTES"] * 60)


class _Heartbeat:
    """Keeps the job's hold renewed while this worker runs it; a dead worker's hold lapses."""

    def __init__(self, store: JobStore, job_id: str):
        self.store, self.job_id, self.stopped = store, job_id, threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True)

    def _beat(self):
        while not self.stopped.wait(max(1, self.store.hold / 6)):
            try:
                self.store.keep(self.job_id, WORKER)
            except RedisError:
                pass    # the hold lapses while Redis is away; the job stops at its next note

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopped.set()
        self.thread.join()
        try:
            self.store.release(self.job_id)
        except RedisError:
            pass        # a hold nobody renews lapses by itself


def run_job(job_id: str) -> None:
    """The RQ entry point. Safe to run again after a crash: what was done is not done twice."""
    store = job_store()
    job = store.get(job_id)
    if job is None or job.status == FINISHED or not store.take(job_id, WORKER):
        return
    with _Heartbeat(store, job_id):
        job.status, job.message = RUNNING, ""
        store.save(job)
        try:
            if job.kind == IMPORT:      # « Alimentation »: rows of a registry import (webapp/alimentation/job.py)
                run_import(job, store)
            else:
                if job.action.changes_accounts:
                    _change_accounts(job, store)
                    keep_languages(job, job_accounts(job), store)    # parents' letter language (printing.py)
                _produce_document(job, store)
                _audit(job, store)
            job.status = FINISHED
        except RedisError:
            # The job queue went away: nothing can be noted. The record stays « En cours » with no
            # hold, and a worker's sweeper takes the job up when Redis is back; what was written
            # carries the job's mark, so nothing is done twice.
            log.warning("job %s stopped: Redis unavailable", job_id)
            return
        except DirectoryUnavailable:
            log.warning("job %s stopped: directory unavailable", job_id)
            job.status = FAILED
            job.message = ("L'annuaire a cessé de répondre pendant l'opération. Les comptes marqués « Fait » "
                           "sont traités ; les autres n'ont pas été modifiés. Relancez l'opération pour terminer.")
        except Exception:   # noqa: BLE001 - the report must say the job stopped, whatever stopped it
            log.exception("job %s failed", job_id)
            job.status = FAILED
            job.message = "L'opération s'est interrompue. Les comptes marqués « Fait » sont traités ; relancez-la pour terminer."
        job.finished = time.time()
        store.save(job)


REFUSALS = {
    Refusal.FRANCECONNECT: "Ce responsable se connecte avec FranceConnect : ni courrier ni mot de passe Sésame.",
    Refusal.CHANGED_MEANWHILE: "Le compte a été modifié par quelqu'un d'autre pendant l'opération : il n'a pas été touché.",
    Refusal.GONE: "Cet élève n'est plus dans l'établissement.",
}


def _noted(result) -> tuple[str, str, str]:
    """An account's outcome as the job store keeps it: refused with the reason, else the state after."""
    if result.refusal is not None:
        return result.account_id, REFUSED, REFUSALS[result.refusal]
    return result.account_id, result.outcome.value, result.applied.change.after.value


def _change_accounts(job: Job, store: JobStore) -> None:
    worker_accounts = job_accounts(job)
    done = store.outcomes(job.id)
    todo = [i for i in job.account_ids if i not in done]
    threads = current_app.config["SESAME_HASH_THREADS"] or os.cpu_count() or 2

    # argon2 lets go of the GIL while it hashes: threads give every core to hashing
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for start in range(0, len(todo), BATCH):
            results = change_accounts(worker_accounts, job.uai, todo[start:start + BATCH], job.action, job.id,
                                      reset_password=bool(job.options.get("reset")),
                                      provisional_days=current_app.config["SESAME_PROVISIONAL_DAYS"],
                                      revoke_recovery=lambda ids: tokens.revoke("reset", ids), map_=pool.map)
            store.record_many(job.id, [_noted(r) for r in results])   # one round trip per batch: progress moves by fifty


def _children_here(job: Job, records) -> dict[str, str]:
    """For parents: « Zoé MARTIN (6A), ... » — their children attached to the job's establishment."""
    children = {r.account_id: r.child_ids for r in records.values()}
    here = directory.current.students.by_ids(job.uai, [c for ids in children.values() for c in ids])
    return {account_id: ", ".join(sorted(f"{here[c].given_name} {here[c].surname.upper()} ({here[c].class_code})"
                                         for c in ids if c in here))
            for account_id, ids in children.items()}


def _letters_and_rows(job: Job, store: JobStore):
    """The accounts as they now are, for letters and lists (passwords opened from their seal)."""
    worker_accounts = job_accounts(job)
    found = outcomes(job, store)
    wanted = [i for i in job.account_ids if found.get(i, ("",))[0] != REFUSED]
    records = worker_accounts.read(job.uai, wanted)
    # the population's own reader: the labels the page showed (external students: their schools' MEFs)
    classes, mefs, _ = of_job(job.population).read_reference(job.uai)
    return worker_accounts, records, classes, mefs


def _produce_document(job: Job, store: JobStore) -> None:
    action, options = job.action, job.options
    if action is Action.RESET or (action is Action.NOTIFY and not options.get("letters")):
        return
    worker_accounts, records, classes, mefs = _letters_and_rows(job, store)
    establishment = directory.current.establishment(job.uai)
    ordered = sorted(records.values(), key=lambda r: (r.class_code, sort_name(r.given_name, r.surname)))
    population = of_job(job.population)
    children = _children_here(job, records) if population.searches_children else {}
    if action is Action.REPRINT:      # « Réimprimer »: from the seals, nothing written (printing.py)
        letters = reprinted(job, store, worker_accounts, records, ordered, classes, children)
        content, name, mimetype = letters_document(job, establishment, letters), \
            f"courriers-{job.uai}.pdf", "application/pdf"
    elif action is Action.NOTIFY:
        letters = [letter_of(r, worker_accounts.shown_password(r),
                             classes[r.class_code].label if r.class_code in classes else "",
                             children.get(r.account_id, ""), job)
                   for r in ordered]
        content, name, mimetype = letters_document(job, establishment, letters), \
            f"courriers-{job.uai}.pdf", "application/pdf"
    else:
        rows = [ListRow(r.surname, r.given_name, r.state, r.identifier or "",
                        worker_accounts.provisional_password(r), r.class_code,
                        classes[r.class_code].label if r.class_code in classes else "",
                        mefs[r.mef_code].label if r.mef_code in mefs else r.mef_code,
                        r.notification_date, r.last_login, children.get(r.account_id, "")) for r in ordered]
        if options.get("format") == "csv":
            content, name, mimetype = population.listing.csv(establishment, rows), f"comptes-{job.uai}.csv", \
                "text/csv; charset=utf-8"
        else:
            content, name, mimetype = population.listing.pdf(establishment, rows), f"comptes-{job.uai}.pdf", \
                "application/pdf"
        for account_id in records:
            store.record(job.id, account_id, DONE, "")
    files = file_store()
    files.purge()
    job.file = files.save(job.owner, content, name, mimetype)


def _audit(job: Job, store: JobStore) -> None:
    found = outcomes(job, store)
    total = counts(found)
    options = ", ".join(f"{k}={v}" for k, v in sorted(job.options.items()))
    summary = (f"{job.kind} ({options}) : {total[DONE]} fait(s), {total[UNCHANGED]} inchangé(s), "
               f"{total[REFUSED]} non traité(s) sur {job.total}")
    targets = [i for i, (o, _) in found.items() if o == DONE]
    close_job(directory.current, job.id, job.owner, job.kind, job.uai, targets, summary)
    from ..stats.store import forget   # issue 15: « Accueil » and « Statistiques » show it at once
    forget(job.uai)


def resume_abandoned(queue) -> list[str]:
    """Jobs left running by a worker that died: enqueued again (they finish what is left)."""
    store = job_store()
    resumed = []
    for job_id in store.open_jobs():
        job = store.get(job_id)
        if job and job.status == RUNNING and not store.held(job_id):
            queue.enqueue(run_job, job_id, job_timeout=3 * 3600)
            resumed.append(job_id)
    return resumed
