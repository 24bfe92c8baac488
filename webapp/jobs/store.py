"""Jobs as Redis records: who asked what for which accounts, progress, and the report per account."""
from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field

from redis import Redis
from redis.exceptions import WatchError

from directory.actions import Outcome

from ..logs import current_request_id
from ..metrics import job_ended

JOB_TTL = 7 * 24 * 3600          # a report stays a week
RECENT = 20                      # jobs listed per person

QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
STATUS_LABELS = {QUEUED: "En attente", RUNNING: "En cours", FINISHED: "Terminé", FAILED: "Interrompu"}

# per account
DONE, UNCHANGED, REFUSED = Outcome.DONE.value, Outcome.UNCHANGED.value, Outcome.REFUSED.value
OUTCOME_LABELS = {DONE: "Fait", UNCHANGED: "Inchangé", REFUSED: "Non traité"}


def outcome_label(job: "Job", outcome: str) -> str:
    """An account's (or row's) result as the report's CSV says it, noted or not yet."""
    return OUTCOME_LABELS.get(outcome, "Pas encore traité" if job.status in (QUEUED, RUNNING) else "Non traité")


@dataclass
class Job:
    id: str
    kind: str                     # its kind's name (jobs/kind.py): notify, reset, list, import...
    owner: str                    # staff uid
    uai: str
    population: str               # a population's name: students, external, guardians
    account_ids: list[str]
    options: dict = field(default_factory=dict)
    status: str = QUEUED
    created: float = 0.0
    finished: float = 0.0
    file: str = ""                # token of the generated document
    message: str = ""
    request_id: str = ""          # of the request that asked for it: the worker's log lines name it too

    @property
    def total(self) -> int:
        return len(self.account_ids)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


_FIELDS = set(Job.__dataclass_fields__)


def _load(raw) -> Job:
    """A record as kept in Redis; what a newer version added and this one does not know is left aside."""
    values = json.loads(raw)
    return Job(**{name: value for name, value in values.items() if name in _FIELDS})


def _key(job_id: str, part: str = "") -> str:
    return f"sesame:job:{job_id}{':' + part if part else ''}"


class JobStore:
    def __init__(self, redis: Redis, hold: int = 30):
        self.redis = redis
        self.hold = hold      # seconds a worker's presence on a job (and its lease on a chunk) lasts unless renewed

    def create(self, kind: str, owner: str, uai: str, population: str, account_ids, options=None,
               job_id: str | None = None) -> tuple[Job, bool]:
        """A new job, or (False) the one that already has `job_id`: a confirmation posted twice."""
        job = Job(job_id or secrets.token_hex(16), kind, owner, uai, population, list(account_ids),
                  options or {}, QUEUED, time.time(), request_id=current_request_id())
        if not self.redis.set(_key(job.id), json.dumps(job.__dict__), ex=JOB_TTL, nx=True):
            return self.get(job.id), False
        self._list(job)
        return job, True

    def _list(self, job: Job) -> None:
        pipe = self.redis.pipeline()
        pipe.lpush(f"sesame:jobs:{job.owner}", job.id)
        pipe.ltrim(f"sesame:jobs:{job.owner}", 0, RECENT - 1)
        pipe.sadd("sesame:jobs:open", job.id)
        pipe.execute()

    def restore(self, job: Job) -> None:
        """A job whose record was lost, rebuilt from the directory, back where its owner finds it."""
        self.save(job)
        if job.id.encode() not in self.redis.lrange(f"sesame:jobs:{job.owner}", 0, RECENT - 1):
            self._list(job)

    def get(self, job_id: str) -> Job | None:
        raw = self.redis.get(_key(job_id))
        return _load(raw) if raw else None

    def save(self, job: Job) -> None:
        """Every job not finished nor interrupted stays where the workers' sweeper looks for it."""
        pipe = self.redis.pipeline()
        pipe.set(_key(job.id), json.dumps(job.__dict__), ex=JOB_TTL)
        if job.status in (FINISHED, FAILED):
            pipe.srem("sesame:jobs:open", job.id)
        else:
            pipe.sadd("sesame:jobs:open", job.id)
        pipe.execute()

    def update(self, job_id: str, change) -> Job | None:
        """`change(job)` applied to the record as it is in Redis, with no write of another worker lost
        in between (several workers share a job); `change` returns False to leave it as it is."""
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(_key(job_id))
                    raw = pipe.get(_key(job_id))
                    job = _load(raw) if raw else None
                    before = job.status if job else None
                    if job is None or change(job) is False:
                        pipe.unwatch()
                        return job
                    pipe.multi()
                    pipe.set(_key(job.id), json.dumps(job.__dict__), ex=JOB_TTL)
                    if job.status in (FINISHED, FAILED):
                        pipe.srem("sesame:jobs:open", job.id)
                    pipe.execute()
                    if job.status != before and job.status in (FINISHED, FAILED):
                        job_ended(job.kind, job.status)
                    return job
                except WatchError:
                    continue

    def recent(self, owner: str) -> list[Job]:
        ids = [i.decode() for i in self.redis.lrange(f"sesame:jobs:{owner}", 0, RECENT - 1)]
        return [job for job in (self.get(i) for i in ids) if job]

    def open_jobs(self) -> list[str]:
        return [i.decode() for i in self.redis.smembers("sesame:jobs:open")]

    # --- per account ----------------------------------------------------------------------------

    def record(self, job_id: str, account_id: str, outcome: str, detail: str = "") -> None:
        pipe = self.redis.pipeline()
        pipe.hset(_key(job_id, "outcomes"), account_id, json.dumps([outcome, detail]))
        pipe.expire(_key(job_id, "outcomes"), JOB_TTL)
        pipe.execute()

    def record_many(self, job_id: str, results) -> None:
        results = list(results)
        if results:
            self.redis.hset(_key(job_id, "outcomes"),
                            mapping={i: json.dumps([outcome, detail]) for i, outcome, detail in results})
            self.redis.expire(_key(job_id, "outcomes"), JOB_TTL)

    def outcomes_of(self, job_id: str, account_ids) -> dict[str, tuple[str, str]]:
        """The outcomes noted for these accounts only (a chunk's), those not noted absent."""
        account_ids = list(account_ids)
        raw = self.redis.hmget(_key(job_id, "outcomes"), account_ids) if account_ids else []
        return {i: tuple(json.loads(v)) for i, v in zip(account_ids, raw) if v is not None}

    def outcomes(self, job_id: str) -> dict[str, tuple[str, str]]:
        raw = self.redis.hgetall(_key(job_id, "outcomes"))
        return {k.decode(): tuple(json.loads(v)) for k, v in raw.items()}

    def progress(self, job_id: str) -> int:
        return self.redis.hlen(_key(job_id, "outcomes"))

    # --- who is working on it -------------------------------------------------------------------

    def attend(self, job_id: str, worker: str) -> None:
        """This worker is at work on the job (one of several, each on its own chunk): `held` says so
        until every one of them has been silent for the hold."""
        self.redis.set(_key(job_id, "lock"), worker, ex=self.hold)

    def held(self, job_id: str) -> bool:
        return bool(self.redis.exists(_key(job_id, "lock")))


def job_store() -> JobStore:
    """The app's job store (in a request or in the worker)."""
    from flask import current_app

    from ..extensions import redis
    return JobStore(redis.current, current_app.config["SESAME_JOB_HOLD_SECONDS"])
