"""Which worker may take which job while two versions run side by side: the jobs' format this code writes, and
the queue each kind and format is put on, so that a worker only ever receives jobs it knows how to work."""
from __future__ import annotations

from redis import Redis
from rq import Queue

# The format of what a job keeps in Redis — its record, its chunks' parts, its letters' pieces — as this code writes
# them. Raise it when a change means a worker of the version before could not work a job this version writes (it
# then never receives one). A version reads every format before its own.
FORMAT = 1
LEGACY = 0              # jobs asked for by a version before formats: on the one queue those versions' workers read
LEGACY_QUEUE = "sesame"


def queue_name(kind: str, format: int) -> str:
    """The queue of jobs of this kind and format: read only by workers that know both."""
    return LEGACY_QUEUE if format == LEGACY else f"sesame-{kind}-{format}"


def queue_names(kinds, format: int | None = None) -> list[str]:
    """The queues a worker that knows these kinds and formats up to `format` (its own) listens to."""
    format = FORMAT if format is None else format
    return [queue_name(kind, number) for number in range(format, LEGACY, -1) for kind in sorted(kinds)] + [LEGACY_QUEUE]


def takes(job, kinds, format: int | None = None) -> bool:
    """Whether a worker that knows these kinds and formats up to `format` may work the job."""
    return job.kind in kinds and job.format <= (FORMAT if format is None else format)


def able(presence: dict, job) -> bool:
    """Whether a worker that said `presence` (health.keep_alive) would receive the job: one of a version before
    formats reads the legacy queue only."""
    format = presence.get("format", LEGACY)
    kinds = presence.get("kinds")
    if kinds is None:
        return job.format == LEGACY
    return job.kind in kinds and job.format <= format


def queue(connection: Redis, name: str = LEGACY_QUEUE) -> Queue:
    return Queue(name, connection=connection)


def queues(connection: Redis, kinds) -> list[Queue]:
    """The queues a worker of this version listens to: each kind's it knows in each format it reads, and the
    legacy one."""
    return [queue(connection, name) for name in queue_names(kinds)]
