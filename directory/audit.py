"""The audit trail in the directory: one record per action on accounts (who, what, where, on whom, when)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import ldap3

from . import attributes as A
from .errors import AlreadyExists, NotFound, ValidationFailed
from .escaping import all_of, dn, equals
from .mapping import parse_time

OPEN, CLOSED = "open", "closed"
PARIS = ZoneInfo("Europe/Paris")
_TRACE_ATTRIBUTES = [A.CN, A.ACTOR, A.ACTION, A.UAI, A.JOB_SPEC, A.JOB_STATE, A.CREATED]


@dataclass(frozen=True)
class JobTrace:
    """A bulk job as the directory knows it: enough to find it again when the job queue lost it."""
    id: str
    actor: str
    action: str
    uai: str
    population: str
    options: dict
    state: str
    created: datetime | None
    targets: tuple[str, ...] = ()   # while open: the accounts asked for; once closed: those done


def _add(directory, entry_dn: str, object_classes, attributes) -> None:
    """An add that may be sent twice: the second finds the first's entry and does nothing."""
    try:
        directory.writes.run(lambda conn: conn.add(entry_dn, object_classes, attributes))
    except AlreadyExists:
        pass


def _dated(attributes: dict) -> dict:
    """The record's day, Paris time: the journal's date ranges are read from its index (migration 0014)."""
    return {**attributes, A.AUDIT_DAY: datetime.now(PARIS).strftime("%Y%m%d")}


def _dn(directory, record_id: str) -> str:
    return dn(A.CN, record_id, directory.base(A.AUDIT))


def _action(record_id: str, actor: str, action: str, uai: str, targets, summary: str) -> dict:
    attributes = {A.CN: record_id, A.ACTOR: actor, A.ACTION: action, A.DESCRIPTION: summary}
    if uai:     # an operation of no establishment (a refused sign-in) is the identity team's to read
        attributes[A.UAI] = uai
    if targets:
        attributes[A.TARGET] = sorted(set(targets))
    return _dated(attributes)


def record_action(directory, record_id: str, actor: str, action: str, uai: str, targets, summary: str) -> None:
    """An action done at once (a row's reset); `record_id` makes a second write of it a no-op."""
    _add(directory, _dn(directory, record_id), [A.OC_AUDIT, A.OC_DATED],
         _action(record_id, actor, action, uai, targets, summary))


def record_actions(directory, record_id: str, actor: str, action: str, uai: str, targets, summary: str) -> None:
    """One record of the same action on several accounts (a job's departures from one establishment); written
    again, it names the accounts given then, the earlier ones among them."""
    record = _action(record_id, actor, action, uai, targets, summary)
    try:
        directory.writes.run(lambda conn: conn.add(_dn(directory, record_id), [A.OC_AUDIT, A.OC_DATED], record))
    except AlreadyExists:
        directory.writes.run(lambda conn: conn.modify(_dn(directory, record_id), {
            A.TARGET: [(ldap3.MODIFY_REPLACE, record[A.TARGET])]}))


def open_job(directory, job_id: str, actor: str, action: str, uai: str, population: str, options: dict,
             accounts) -> None:
    """Written when a job is asked for, before any account is changed."""
    accounts = sorted(set(accounts))
    attributes = {A.CN: job_id, A.ACTOR: actor, A.ACTION: action, A.JOB_STATE: OPEN,
                  A.JOB_SPEC: json.dumps({"population": population, "options": options}, sort_keys=True),
                  A.DESCRIPTION: f"{action} : en cours sur {len(accounts)} compte(s)"}
    if uai:     # a job of every establishment (the removal of leavers) is the identity team's to read
        attributes[A.UAI] = uai
    if accounts:
        attributes[A.TARGET] = accounts
    _add(directory, _dn(directory, job_id), [A.OC_AUDIT, A.OC_JOB, A.OC_DATED], _dated(attributes))


def close_job(directory, job_id: str, actor: str, action: str, uai: str, targets, summary: str) -> None:
    """The job's final report: its record now names the accounts it changed. A job asked for before
    records were opened at once (an older version) gets its record now."""
    targets = sorted(set(targets))
    entry_dn = _dn(directory, job_id)
    final = {A.DESCRIPTION: [(ldap3.MODIFY_REPLACE, [summary])], A.TARGET: [(ldap3.MODIFY_REPLACE, targets)]}
    try:   # replaces: sent twice, they change nothing more
        directory.writes.run(lambda conn: conn.modify(entry_dn, {**final, A.JOB_STATE: [(ldap3.MODIFY_REPLACE, [CLOSED])]}))
    except NotFound:
        record_action(directory, job_id, actor, action, uai, targets, summary)
    except ValidationFailed:     # a record without the job class (written by an older version)
        directory.writes.run(lambda conn: conn.modify(entry_dn, final))


def _trace(entry: dict, with_targets: bool) -> JobTrace:
    first = lambda name, default="": (entry.get(name) or [default])[0]   # noqa: E731
    try:
        spec = json.loads(first(A.JOB_SPEC, "{}"))
    except ValueError:
        spec = {}
    return JobTrace(first(A.CN), first(A.ACTOR), first(A.ACTION), first(A.UAI),
                    spec.get("population", "students"), spec.get("options", {}), first(A.JOB_STATE, CLOSED),
                    parse_time(first(A.CREATED, None)),
                    tuple(entry.get(A.TARGET) or ()) if with_targets else ())


def job_trace(directory, job_id: str) -> JobTrace | None:
    found = directory.search(_dn(directory, job_id), equals(A.OBJECT_CLASS, A.OC_JOB),
                             _TRACE_ATTRIBUTES + [A.TARGET], ldap3.BASE) if job_id.isalnum() else []
    return _trace(found[0][1], True) if found else None


def jobs_of_action(directory, action: str) -> list[JobTrace]:
    """Every job of one kind, by anyone, newest first (targets not read)."""
    found = directory.search(directory.base(A.AUDIT), all_of(equals(A.OBJECT_CLASS, A.OC_JOB), equals(A.ACTION, action)),
                             _TRACE_ATTRIBUTES, ldap3.LEVEL)
    traces = [_trace(entry, False) for _, entry in found]
    return sorted(traces, key=lambda t: t.created.timestamp() if t.created else 0.0, reverse=True)


def jobs_of(directory, actor: str) -> list[JobTrace]:
    """One person's jobs, newest first (targets not read)."""
    found = directory.search(directory.base(A.AUDIT), all_of(equals(A.OBJECT_CLASS, A.OC_JOB), equals(A.ACTOR, actor)),
                             _TRACE_ATTRIBUTES, ldap3.LEVEL)
    traces = [_trace(entry, False) for _, entry in found]
    return sorted(traces, key=lambda t: t.created.timestamp() if t.created else 0.0, reverse=True)
