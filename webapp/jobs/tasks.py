"""What the worker runs: (re)notify, reset, list and reprint jobs, account by account, then the documents;
registry imports through their own module."""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from datetime import datetime
from concurrent.futures import ThreadPoolExecutor

from flask import current_app
from redis.exceptions import RedisError

from directory.audit import close_job
from directory.actions import Refusal, change_accounts
from directory.errors import DirectoryUnavailable
from directory.lifecycle import Action
from directory.model import AccountState
from directory.names import letter_order
from directory.passwords import Sealer

from ..students.population import of_job
from ..documents.files import FileStore
from ..documents.letter_options import layout_of
from ..documents.letters import Letter
from ..documents.lists import ListRow
from ..config import seal_key
from ..extensions import directory, redis
from ..holders import tokens
from ..logs import carried, job_context
from .report import counts, job_accounts, outcomes
from .chunks import FINISH, Chunks
from .pieces import PIECE, Printer, assembled, end_to_end, letter_values, letters_of_items
from .printing import keep_languages, letter_of, letters_document, reprinted
from .store import DONE, FAILED, FINISHED, QUEUED, REFUSED, RUNNING, UNCHANGED, Job, JobStore, job_store
from ..alimentation.job import IMPORT, run_import

log = logging.getLogger(__name__)
BATCH = 50
WORKER = f"{socket.gethostname()}:{os.getpid()}"


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


def _whole(job: Job) -> bool:
    """The kinds one worker runs whole, as one chunk: a registry import (its rows in the order of the
    preview) and « Réimprimer » (no hashing: nothing to share)."""
    return job.kind in (IMPORT, Action.REPRINT.value)


def job_chunks(job: Job) -> Chunks:
    config = current_app.config
    size = max(job.total, 1) if _whole(job) else config["SESAME_JOB_CHUNK"]
    return Chunks(redis.current, job.id, job.total, size, config["SESAME_JOB_HOLD_SECONDS"], Sealer(seal_key(config)))


def spread(job: Job) -> int:
    """How many RQ jobs to enqueue for `job`: one per chunk (capped), so that every idle worker joins."""
    return min(job_chunks(job).count, current_app.config["SESAME_JOB_SPREAD"])


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
    holds until none is left, and whoever finds them all done makes the documents and closes the job.
    Safe to run again after a crash: what was done is not done twice. Its log lines name the job and
    the request that asked for it."""
    store = job_store()
    asked = store.get(job_id)
    with job_context(job_id, asked.request_id if asked else ""):
        _run(job_id, store)


def _run(job_id: str, store: JobStore) -> None:
    job = store.update(job_id, _running)
    if job is None or job.status != RUNNING:
        return          # finished, interrupted (« Relancer » starts it again), or gone
    chunks = job_chunks(job)
    started = time.monotonic()
    log.info("job %s (%s, %d account(s), %d chunk(s)) taken up by %s", job_id, job.kind, job.total, chunks.count, WORKER)
    with _Heartbeat(store, job_id, chunks) as beat:
        try:
            printer = _printer(job)
            try:
                while True:
                    current = store.get(job_id)
                    if current is None or current.status != RUNNING:
                        return      # another worker's chunk stopped it: « Relancer » goes on from here
                    number = chunks.claim(WORKER)
                    if number is None:
                        break
                    beat.hold(number)
                    _work_on_chunk(job, store, chunks, number, printer, beat)
            finally:
                if printer is not None:
                    printer.finish()     # the chunks whose letters were still printing, kept and done
            if not chunks.claim_finish(WORKER):
                return          # chunks still held by others: the last of them finishes
            beat.hold(FINISH)
            if store.get(job_id).status != RUNNING:
                return          # finished meanwhile by another worker
            if job.kind != IMPORT:      # an import closes its own record, row by row (alimentation/job.py)
                keep_languages(job, job_accounts(job), store)    # parents' letter language (printing.py)
                _produce_document(job, store, chunks)
                _audit(job, store)
            chunks.clear()

            def finished(current: Job):
                current.status, current.file, current.finished = FINISHED, job.file, time.time()
            store.update(job_id, finished)
            log.info("job %s finished: %d of %d account(s) noted, %.1f s on this worker", job_id,
                     store.progress(job_id), job.total, time.monotonic() - started)
        except RedisError:
            # The job queue went away: nothing can be noted. The record stays « En cours » with no
            # hold, and a worker's sweeper takes the job up when Redis is back; what was written
            # carries the job's mark, so nothing is done twice.
            log.warning("job %s stopped: Redis unavailable", job_id)
        except DirectoryUnavailable:
            log.warning("job %s stopped: directory unavailable", job_id)
            store.update(job_id, _stopped(
                "L'annuaire a cessé de répondre pendant l'opération. Les comptes marqués « Fait » "
                "sont traités ; les autres n'ont pas été modifiés. Relancez l'opération pour terminer."))
        except Exception:   # noqa: BLE001 - the report must say the job stopped, whatever stopped it
            log.exception("job %s failed", job_id)
            store.update(job_id, _stopped(
                "L'opération s'est interrompue. Les comptes marqués « Fait » sont traités ; relancez-la pour terminer."))


def _work_on_chunk(job: Job, store: JobStore, chunks: Chunks, number: int, printer: Printer | None,
                   beat: _Heartbeat) -> None:
    """One chunk: its accounts changed (for the kinds that change accounts), then what its accounts
    give the documents, kept sealed until the finisher assembles them; then the chunk is done. A
    notify's letters are printed piece by piece as the accounts are written, and the chunk is done once
    its last piece is printed, while this worker goes on with the next chunk."""
    def done():
        chunks.complete(number, WORKER)
        beat.drop(number)
        log.info("job %s: chunk %d of %d done (%d account(s))", job.id, number + 1, chunks.count,
                 len(job.account_ids[chunks.bounds(number)]))
    if job.kind == IMPORT:      # « Alimentation »: the rows of a registry import (webapp/alimentation/job.py)
        run_import(job, store)
        return done()
    ids = job.account_ids[chunks.bounds(number)]
    pieces = []
    if job.action.changes_accounts:
        fresh = printer is not None and not store.outcomes_of(job.id, ids)
        _change_accounts(job, store, ids, lambda written: pieces.append(printer.print(written)) if fresh else None)
        if fresh:
            def keep(printed):
                chunks.keep_printed(number, printed)
                done()
            return printer.close_chunk(pieces, carried(keep))   # kept on the printer's thread, logged as the job's
    if _has_document(job):
        chunks.keep_part(number, _document_part(job, store, ids))
    done()


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


def pool_size(config) -> int:
    """Threads a worker changes accounts with. argon2 lets go of the GIL while it hashes: threads give
    every core to hashing. Each thread also waits for the directory's answer to its write, and for the
    interpreter while the letters of written accounts are drawn beside: three times as many threads as
    hashing ones keep the cores hashing meanwhile (bench/notify: 1.39-1.41x the floor with three, 1.53-1.61x
    with two, 1.49x with four)."""
    return 3 * (config["SESAME_HASH_THREADS"] or os.cpu_count() or 2)


def _change_accounts(job: Job, store: JobStore, ids: list[str], written=None) -> None:
    """The chunk's accounts not yet noted, changed; outcomes noted fifty at a time as they come, and
    `written(results)` given the outcomes of every PIECE letters once noted (then the rest's)."""
    worker_accounts = job_accounts(job)
    done = store.outcomes_of(job.id, ids)
    todo = [i for i in ids if i not in done]
    if not todo:
        return

    def noting(function, records):
        # results in order as the pool gives them: progress moves by fifty, one round trip each
        results, pending, piece, letters = [], [], [], 0
        for result in pool.map(function, records):
            results.append(result)
            pending.append(_noted(result))
            piece.append(result)
            letters += result.refusal is None       # a piece is PIECE letters: whole sheets of 1, 2 or 4
            if len(pending) >= BATCH or letters >= PIECE:
                store.record_many(job.id, pending)
                pending = []
            if letters >= PIECE and written:
                written(piece)
                piece, letters = [], 0
        store.record_many(job.id, pending)
        if piece and written:
            written(piece)
        return results

    with ThreadPoolExecutor(max_workers=pool_size(current_app.config)) as pool:
        results = change_accounts(worker_accounts, job.uai, todo, job.action, job.id,
                                  reset_password=bool(job.options.get("reset")),
                                  provisional_days=current_app.config["SESAME_PROVISIONAL_DAYS"],
                                  revoke_recovery=lambda ids: tokens.revoke("reset", ids), map_=noting)
    store.record_many(job.id, [_noted(r) for r in results])   # with those refused before any write


def _children_here(job: Job, records) -> dict[str, str]:
    """For parents: « Zoé MARTIN (6A), ... » — their children attached to the job's establishment."""
    children = {r.account_id: r.child_ids for r in records.values()}
    here = directory.current.students.by_ids(job.uai, [c for ids in children.values() for c in ids])
    return {account_id: ", ".join(sorted(f"{here[c].given_name} {here[c].surname.upper()} ({here[c].class_code})"
                                         for c in ids if c in here))
            for account_id, ids in children.items()}


def _has_document(job: Job) -> bool:
    return job.action is Action.LIST or _prints_letters(job)


def _prints_letters(job: Job) -> bool:
    return job.kind == Action.NOTIFY.value and bool(job.options.get("letters"))


def _document_part(job: Job, store: JobStore, ids: list[str]) -> list:
    """A chunk's accounts as they now are, for letters or lists (passwords opened from their seal),
    as plain values: a letter or a list row each, with what the documents sort them by."""
    worker_accounts = job_accounts(job)
    found = store.outcomes_of(job.id, ids)
    wanted = [i for i in ids if found.get(i, ("",))[0] != REFUSED]
    records = worker_accounts.read(job.uai, wanted)
    if job.action is Action.NOTIFY:
        return _letter_items(job, worker_accounts, records)
    # the population's own reader: the labels the page showed (external students: their schools' MEFs)
    classes, mefs, _ = of_job(job.population).read_reference(job.uai)
    children = _children_here(job, records) if of_job(job.population).searches_children else {}
    label = lambda r: classes[r.class_code].label if r.class_code in classes else ""   # noqa: E731
    store.record_many(job.id, [(account_id, DONE, "") for account_id in records])
    when = lambda moment: moment.isoformat() if moment else None   # noqa: E731
    return [[r.surname, r.given_name, r.state.value, r.identifier or "", worker_accounts.provisional_password(r),
             r.class_code, label(r), mefs[r.mef_code].label if r.mef_code in mefs else r.mef_code,
             when(r.notification_date), when(r.last_login), children.get(r.account_id, ""), when(r.password_changed)]
            for r in records.values()]


def _letter_items(job: Job, worker_accounts, records: dict, classes=None) -> list:
    """The letters of `records` (accounts as the directory has them), each as [its sort key, its values]."""
    if classes is None:
        classes, _, _ = of_job(job.population).read_reference(job.uai)
    children = _children_here(job, records) if of_job(job.population).searches_children else {}
    return [[*letter_order(r.class_code, r.given_name, r.surname),
             *letter_values(letter_of(r, worker_accounts.shown_password(r),
                                      classes[r.class_code].label if r.class_code in classes else "",
                                      children.get(r.account_id, ""), job))]
            for r in records.values()]


def _written_letter_items(job: Job, results: list, classes: dict) -> list:
    """A piece's letters from what its writes left (the accounts are not read again): those refused
    have none."""
    written = {r.account_id: r.applied.after for r in results if r.refusal is None and r.applied is not None}
    return _letter_items(job, job_accounts(job), written, classes)


def _printer(job: Job) -> Printer | None:
    """For a notify with letters: its printer, the establishment's classes read once for every piece."""
    if not _prints_letters(job):
        return None
    classes, _, _ = of_job(job.population).read_reference(job.uai)
    return Printer(job, lambda results: _written_letter_items(job, results, classes))


def _reprinted_letters(job: Job, store: JobStore) -> list[Letter]:
    """« Réimprimer »: every account of the past job read again, the letters made from their seals."""
    worker_accounts = job_accounts(job)
    records = worker_accounts.read(job.uai, job.account_ids)
    classes, _, _ = of_job(job.population).read_reference(job.uai)
    children = _children_here(job, records) if of_job(job.population).searches_children else {}
    ordered = sorted(records.values(), key=lambda r: letter_order(r.class_code, r.given_name, r.surname))
    return reprinted(job, store, worker_accounts, records, ordered, classes, children)


def _list_row(item: list) -> ListRow:
    surname, given_name, state, identifier, password, class_code, class_label, mef, notified, last, children, \
        given = item
    when = lambda text: datetime.fromisoformat(text) if text else None   # noqa: E731
    return ListRow(surname, given_name, AccountState(state), identifier, password, class_code, class_label, mef,
                   when(notified), when(last), children, when(given))


def _produce_document(job: Job, store: JobStore, chunks: Chunks) -> None:
    """The letters or the list, assembled once from every chunk's part (a part that Redis lost is
    read again from the directory), then kept for its owner."""
    establishment = directory.current.establishment(job.uai)
    if job.action is Action.REPRINT:
        _keep(job, letters_document(job, establishment, _reprinted_letters(job, store)),
              f"courriers-{job.uai}.pdf", "application/pdf")
        return
    if not _has_document(job):
        return
    parts = chunks.parts()
    printed = chunks.printed(parts) if job.action is Action.NOTIFY else None
    if printed is not None and end_to_end(printed, layout_of(job.options.get("layout", 1)).per_sheet):
        # every piece printed beside the hashing, in the letters' order, whole sheets: put end to end
        return _keep(job, assembled(printed), f"courriers-{job.uai}.pdf", "application/pdf")
    for number in range(chunks.count):
        if number not in parts:
            parts[number] = _document_part(job, store, job.account_ids[chunks.bounds(number)])
    items = [item for number in sorted(parts) for item in _items(parts[number])]
    population = of_job(job.population)
    if job.action is Action.NOTIFY:
        content, name, mimetype = letters_document(job, establishment, letters_of_items(items)), \
            f"courriers-{job.uai}.pdf", "application/pdf"
    else:
        rows = [_list_row(item) for item in items]
        days = current_app.config["SESAME_PROVISIONAL_DAYS"]   # the lists ask whether each password still signs in
        if job.options.get("format") == "csv":
            content, name, mimetype = population.listing.csv(establishment, rows, days), f"comptes-{job.uai}.csv", \
                "text/csv"
        else:
            content, name, mimetype = population.listing.pdf(establishment, rows, days), f"comptes-{job.uai}.pdf", \
                "application/pdf"
    _keep(job, content, name, mimetype)


def _items(part: list | dict) -> list:
    """A chunk's items, whether kept whole or piece by piece."""
    return [item for items in part["pieces"] for item in items] if isinstance(part, dict) else part


def _keep(job: Job, content: bytes, name: str, mimetype: str) -> None:
    """The job's document, kept for its owner (what is past its time goes first)."""
    files = file_store()
    files.purge()
    job.file = files.save(job.owner, content, name, mimetype)


def _audit(job: Job, store: JobStore) -> None:
    found = outcomes(job, store)
    total = counts(found)
    from ..operations import summary as said       # in the words of the screens, never the job's codes
    summary = said(job.kind, job.options, job.population, total[DONE], total[UNCHANGED], total[REFUSED], job.total)
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
            for _ in range(spread(job)):
                queue.enqueue(run_job, job_id, job_timeout=3 * 3600)
            resumed.append(job_id)
    return resumed
