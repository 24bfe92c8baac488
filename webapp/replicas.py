"""Read-your-writes across replicas: the mark of a person's last change, kept in their session.

Each request is one unit of work of `directory.replicas`: it reads from a consumer that holds the
session's mark, else from the provider; a request that writes ends with a new mark. A job writes
from a worker, after the request that confirmed it: while one of the person's jobs is waiting or
running, and at the first request after it ended, their reads come from the provider and the mark
moves to the provider's state, which then holds everything the job wrote.
"""
from __future__ import annotations

from flask import g, session
from redis.exceptions import RedisError

from directory.errors import DirectoryError
from directory.replicas import combined

from .extensions import directory, redis

MARK = "directory_mark"              # the provider's contextCSN after this person's last change
# Rights taken from (or given to) a staff member by someone else: the provider's mark after that change, kept
# in Redis where every web node reads it at the person's every request — until a consumer holds it, their
# rights are read from the provider. Kept a day: replicas lag seconds, not days.
RIGHTS_MARK = "sesame:rights-mark:{uid}"
RIGHTS_MARK_SECONDS = 24 * 3600
JOBS_SEEN_ENDED = "directory_jobs_ended"   # their jobs already seen ended, whose writes the mark holds


def init_app(app) -> None:
    # first of the before-request functions: the user loader's reads already follow the mark
    app.before_request_funcs.setdefault(None, []).insert(0, _begin)
    app.after_request(_end)
    app.teardown_request(_abandon)


def rights_changed(uid: str) -> None:
    """After a write that changes what `uid` may do (a delegation ended or granted): from their next
    request on, on every web node, their rights are read from a server that holds that write."""
    reads = directory.current.reads
    if not reads.consumers or not uid:
        return
    try:
        mark = reads.provider_state()
    except DirectoryError:
        mark = None
    if mark:
        redis.current.set(RIGHTS_MARK.format(uid=uid.lower()), mark, ex=RIGHTS_MARK_SECONDS)


def _rights_mark() -> str | None:
    uid = session.get("_user_id")
    if not uid:
        return None
    found = redis.current.get(RIGHTS_MARK.format(uid=uid.lower()))
    return found.decode() if found else None


def _begin() -> None:
    reads = directory.current.reads
    if not reads.consumers:
        return      # a single directory: nothing to choose
    mark = session.get(MARK)
    g.directory_work = reads.begin(combined(mark, _rights_mark()))
    if mark and _jobs_writing():
        reads.refresh()


def _jobs_writing() -> bool:
    """True if one of this staff member's jobs waits or runs, or ended since the last request saw it."""
    from .jobs.store import FAILED, FINISHED, job_store
    uid = session.get("_user_id")
    if not uid:
        return False
    try:
        jobs = job_store().recent(uid)
    except RedisError:
        return False        # the page answers 503 anyway
    seen = set(session.get(JOBS_SEEN_ENDED, ()))
    ended = [job.id for job in jobs if job.status in (FINISHED, FAILED)]
    writing = len(ended) < len(jobs) or not seen.issuperset(ended)
    if set(ended) != seen:
        session[JOBS_SEEN_ENDED] = ended
    return writing


def _end(response):
    token = g.pop("directory_work", None)
    if token is None:
        return response
    mark = directory.current.reads.end(token)
    if mark:
        if session.get(MARK) != mark:
            session[MARK] = mark
    else:
        for key in (MARK, JOBS_SEEN_ENDED):
            if key in session:      # a session left as it was is not written back
                session.pop(key)
    return response


def _abandon(error=None) -> None:
    """A request that ended without a response (an error past every handler) leaves nothing behind."""
    token = g.pop("directory_work", None)
    if token is not None:
        directory.current.reads.end(token)
