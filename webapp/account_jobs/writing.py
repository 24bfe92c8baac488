"""A chunk's accounts changed (notify, reset) through the actions' one service, on a pool of threads that keeps
every core hashing, each outcome noted as it comes."""
from __future__ import annotations

import logging
import os
from concurrent.futures import ThreadPoolExecutor, wait

from flask import current_app
from redis.exceptions import RedisError

from directory.actions import Refusal, change_accounts
from directory.errors import DirectoryError, WriteOutcomeUnknown

from ..holders import tokens
from ..jobs import stopping
from ..jobs.store import REFUSED, Job, JobStore
from .pieces import PIECE

log = logging.getLogger(__name__)

BATCH = 50
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


def change(job: Job, store: JobStore, accounts, action, ids: list[str], written=None) -> None:
    """The chunk's accounts not yet noted, changed as `action` says; outcomes noted fifty at a time as they
    come, and `written(results)` given the outcomes of every PIECE letters once noted (then the rest's). Whatever
    stops the chunk — the directory, this worker asked to stop — every write that ended is noted, and the
    accounts whose write was under way are said to be in doubt until the directory tells."""
    done = store.outcomes_of(job.id, ids)
    todo = [i for i in ids if i not in done]
    if not todo:
        return

    def noting(function, records):
        # each account on the pool, results taken in the order asked: progress moves by fifty, one round trip each
        futures = [pool.submit(function, record) for record in records]
        results, pending, piece, letters = [], [], [], 0
        try:
            for future in futures:
                stopping.check()
                result = future.result()
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
        except BaseException:
            _wind_down(job, store, records, futures, pending)
            raise
        store.record_many(job.id, pending)
        if piece and written:
            written(piece)
        return results

    with ThreadPoolExecutor(max_workers=pool_size(current_app.config)) as pool:
        results = change_accounts(accounts, job.uai, todo, action, job.id,
                                  reset_password=bool(job.options.get("reset")),
                                  provisional_days=current_app.config["SESAME_PROVISIONAL_DAYS"],
                                  revoke_recovery=lambda ids: tokens.revoke("reset", ids), map_=noting)
    store.record_many(job.id, [_noted(r) for r in results])   # with those refused before any write


def _may_have_applied(error: BaseException) -> bool:
    """Whether a write that failed so may still have applied: its answer was lost on the way (or it failed in a way
    nobody foresaw); not when the directory could not be reached to send it, nor when it refused it."""
    seen = error
    while seen is not None:
        if isinstance(seen, WriteOutcomeUnknown):
            return True
        seen = seen.__cause__ or seen.__context__
    return not isinstance(error, DirectoryError)


def _wind_down(job: Job, store: JobStore, records, futures, pending) -> None:
    """The chunk stops: the writes not begun are not sent, those under way end; every one that ended is noted,
    and those whose answer was lost (the directory stopped meanwhile) are noted in doubt: the report names them
    until the directory says, by its marks, whether they applied."""
    for future in futures:
        future.cancel()
    wait(futures)
    ended = [f.result() for f in futures if not f.cancelled() and f.exception() is None]
    doubtful = {r.account_id: f"{r.surname.upper()} {r.given_name}" for r, f in zip(records, futures)
                if not f.cancelled() and f.exception() is not None and _may_have_applied(f.exception())}
    try:
        store.record_many(job.id, pending + [_noted(result) for result in ended])
        store.note_doubtful(job.id, doubtful)
    except RedisError as error:
        log.warning("job %s: the outcomes of a stopped chunk could not be noted (%s): its marks will tell", job.id,
                    error)
