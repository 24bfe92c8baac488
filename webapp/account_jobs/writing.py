"""A chunk's accounts changed (notify, reset) through the actions' one service, on a pool of threads that keeps
every core hashing, each outcome noted as it comes."""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

from flask import current_app

from directory.actions import Refusal, change_accounts

from ..holders import tokens
from ..jobs.store import REFUSED, Job, JobStore
from .pieces import PIECE

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
    come, and `written(results)` given the outcomes of every PIECE letters once noted (then the rest's)."""
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
        results = change_accounts(accounts, job.uai, todo, action, job.id,
                                  reset_password=bool(job.options.get("reset")),
                                  provisional_days=current_app.config["SESAME_PROVISIONAL_DAYS"],
                                  revoke_recovery=lambda ids: tokens.revoke("reset", ids), map_=noting)
    store.record_many(job.id, [_noted(r) for r in results])   # with those refused before any write
