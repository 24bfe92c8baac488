"""What a job not yet over is waiting for, as its page says it: worked, about to be, behind other jobs, or with no
worker able to take it — and whether « Relancer » can help (only then is it offered)."""
from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app

from ..extensions import redis
from ..health import presences
from . import formats
from .store import QUEUED, RUNNING, Job, JobStore

GRACE = 5.0     # seconds a job may wait for a worker before its page says so: a worker alive takes it within one

WORKING, STARTING, RESUMING, BEHIND, NO_WORKER, STALLED = "working", "starting", "resuming", "behind", "no-worker", "stalled"
SAID = {
    WORKING: "Vous pouvez fermer cette page : l'opération continue, et « Mes opérations » la retrouve.",
    STARTING: "L'opération démarre : un serveur de traitement la prend en charge. Vous pouvez fermer cette page : "
              "« Mes opérations » la retrouve.",
    RESUMING: "L'opération reprend : un serveur de traitement la reprend là où elle s'était arrêtée, sans rien faire "
              "deux fois. Vous pouvez fermer cette page : « Mes opérations » la retrouve.",
    BEHIND: "En attente : les serveurs de traitement finissent d'autres opérations ; celle-ci commencera dès que l'un "
            "d'eux sera libre. Vous pouvez fermer cette page : « Mes opérations » la retrouve.",
    NO_WORKER: "En attente d'un serveur de traitement : aucun n'est en marche pour le moment. L'opération reprendra "
               "d'elle-même dès qu'un serveur sera disponible ; si l'attente dure, prévenez l'équipe technique.",
    STALLED: "En attente d'un serveur de traitement : celui qui faisait l'opération s'est arrêté, et aucun autre ne l'a "
             "encore reprise. Elle reprendra d'elle-même ; « Relancer l'opération » la remet en file tout de suite.",
}


@dataclass(frozen=True)
class Wait:
    state: str

    @property
    def said(self) -> str:
        return SAID[self.state]

    @property
    def label(self) -> str:
        """The status the page shows: « En attente » only after a real wait."""
        return "En cours" if self.state in (WORKING, STARTING, RESUMING) else "En attente"

    @property
    def restart_helps(self) -> bool:
        return self.state in (NO_WORKER, STALLED)


def alive_workers() -> list[dict]:
    """What each worker alive said of itself (the kinds and formats it takes)."""
    return list(presences(redis.current).values())


def wait_of(job: Job, store: JobStore, alive=alive_workers, now: float | None = None) -> Wait | None:
    """The job's wait (None once it is over). A worker that works it renews its hold; a job nobody holds is about to
    be taken for GRACE seconds after it was asked for (or after its worker last said it worked it, plus the time
    the other workers' sweepers take to see that worker gone); past that it waits for real, behind other jobs when
    a worker able to take it is alive (`alive()`: what each worker alive said of itself, asked only then), else for
    a worker."""
    if job.status not in (QUEUED, RUNNING):
        return None
    if store.held(job.id):
        return Wait(WORKING)
    now = time.time() if now is None else now
    able = any(formats.able(presence, job) for presence in alive())
    quiet = now - store.last_seen(job)
    if job.status == QUEUED:
        if quiet < GRACE:
            return Wait(STARTING)
        return Wait(BEHIND if able else NO_WORKER)
    taken_up_within = store.hold + current_app.config["SESAME_JOB_SWEEP_SECONDS"] + GRACE   # its hold lapses, a sweeper sees it
    if able and quiet < taken_up_within:
        return Wait(RESUMING)
    return Wait(STALLED if able else NO_WORKER)
