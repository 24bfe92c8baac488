"""The latest actions on an establishment's accounts, read from the audit trail (ou=audit), newest first."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import ldap3

from . import attributes as A
from .connection import translated
from .errors import PageOutOfRange
from .escaping import all_of, equals
from .mapping import first, parse_time
from .sorting import SortKey, page_control, sort_control


@dataclass(frozen=True)
class Operation:
    id: str
    actor: str
    action: str                 # notify, reset, list
    population: str             # students, external, guardians
    summary: str
    accounts: int               # how many accounts it names (asked for while open, done once closed)
    created: datetime | None
    is_job: bool                # a bulk job: it has a report


def recent_operations(directory, uai: str, count: int = 10) -> list[Operation]:
    """The `count` newest audit records of `uai`, sorted by the directory (sort and VLV controls): an
    establishment with years of records costs the same as one with ten."""
    filter_ = all_of(equals(A.OBJECT_CLASS, A.OC_AUDIT), equals(A.UAI, uai))
    controls = [sort_control([SortKey(A.CREATED, None, True)]), page_control(1, count)]
    attributes = [A.CN, A.ACTOR, A.ACTION, A.DESCRIPTION, A.TARGET, A.JOB_SPEC, A.JOB_STATE, A.CREATED]

    def operation(conn):
        conn.sesame_retire = True       # a sorted search: this connection is closed after it (students.py)
        try:
            with translated():
                conn.search(directory.base(A.AUDIT), filter_, ldap3.LEVEL, attributes=attributes, controls=controls)
        except PageOutOfRange:          # no record at all
            return []
        return [e["attributes"] for e in conn.response if e.get("type") == "searchResEntry"]

    found = []
    for entry in directory.reads.run(operation)[:count]:
        try:
            spec = json.loads(first(entry.get(A.JOB_SPEC), "{}"))
        except ValueError:
            spec = {}
        found.append(Operation(first(entry.get(A.CN), ""), first(entry.get(A.ACTOR), ""),
                               first(entry.get(A.ACTION), ""), spec.get("population", "students"),
                               first(entry.get(A.DESCRIPTION), ""), len(entry.get(A.TARGET) or ()),
                               parse_time(first(entry.get(A.CREATED))), bool(entry.get(A.JOB_STATE))))
    return sorted(found, key=lambda o: o.created.timestamp() if o.created else 0.0, reverse=True)
