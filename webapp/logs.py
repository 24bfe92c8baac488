"""Log lines: one per request and one per job step, each naming its request id (a job's is the id of the
request that asked for it), and what may be written in them: never a password, a hash or a link's token."""
from __future__ import annotations

import contextvars
import logging
import re
import secrets
import sys

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("sesame_request_id", default="-")
JOB_ID: contextvars.ContextVar[str] = contextvars.ContextVar("sesame_job_id", default="-")

# what a proxy in front may hand over as the request's id (nginx's $request_id: 32 hex digits)
_GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
FORMAT = "%(asctime)s %(process_role)s[%(process)d] %(levelname)s request=%(request_id)s job=%(job_id)s %(name)s: %(message)s"


def new_request_id(given: str | None = None) -> str:
    """The id a proxy gave the request if it looks like one (nothing a person could slip a line into),
    else a new one."""
    if given and _GIVEN_ID.fullmatch(given):
        return given
    return secrets.token_hex(8)


def current_request_id() -> str:
    value = REQUEST_ID.get()
    return "" if value == "-" else value


class _Context(logging.Filter):
    def __init__(self, role: str):
        super().__init__()
        self.role = role

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.job_id = JOB_ID.get()
        record.process_role = self.role
        return True


def configure(role: str, level: int = logging.INFO) -> None:
    """Every log line of this process on standard error (journald under systemd), with its request and
    job ids. Called once per process; a second call changes nothing."""
    root = logging.getLogger()
    if any(getattr(handler, "sesame_role", None) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.sesame_role = role
    handler.addFilter(_Context(role))
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("rq.worker", "rq.queue"):     # RQ says every dequeue at INFO: one line per job is ours
        logging.getLogger(noisy).setLevel(logging.WARNING)


def carried(function):
    """`function` as it will run on another thread (a pool's), with this thread's request and job ids."""
    context = contextvars.copy_context()
    return lambda *args, **kwargs: context.run(function, *args, **kwargs)


class job_context:
    """`with job_context(job):` the lines logged inside name the job and the request that asked for it."""

    def __init__(self, job_id: str, request_id: str):
        self.values = (job_id or "-", request_id or "-")

    def __enter__(self):
        self.tokens = (JOB_ID.set(self.values[0]), REQUEST_ID.set(self.values[1]))
        return self

    def __exit__(self, *exc):
        JOB_ID.reset(self.tokens[0])
        REQUEST_ID.reset(self.tokens[1])
