"""The audit trail in the directory: one record per action on accounts (who, what, where, on whom, when)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ldap3

from . import attributes as A
from .escaping import dn, equals
from .students import _first, parse_time


@dataclass(frozen=True)
class AuditRecord:
    id: str
    actor: str
    action: str
    uai: str
    targets: tuple[str, ...]
    summary: str
    when: datetime | None


def record_action(directory, record_id: str, actor: str, action: str, uai: str, targets, summary: str) -> None:
    """Written once per job; `record_id` (the job's id) makes a second write of the same job a no-op."""
    entry_dn = dn(A.CN, record_id, directory.base(A.AUDIT))
    attributes = {A.CN: record_id, A.ACTOR: actor, A.ACTION: action, A.UAI: uai, A.DESCRIPTION: summary}
    if targets:
        attributes[A.TARGET] = sorted(set(targets))

    def operation(conn):
        try:
            conn.add(entry_dn, [A.OC_AUDIT], attributes)
        except ldap3.core.exceptions.LDAPEntryAlreadyExistsResult:
            pass
    directory.writes.run(operation)


def actions_on(directory, uai: str) -> list[AuditRecord]:
    found = directory.search(directory.base(A.AUDIT), equals(A.UAI, uai),
                             [A.CN, A.ACTOR, A.ACTION, A.UAI, A.TARGET, A.DESCRIPTION, A.CREATED], ldap3.LEVEL)
    records = [AuditRecord(_first(e, A.CN, ""), _first(e, A.ACTOR, ""), _first(e, A.ACTION, ""),
                           _first(e, A.UAI, ""), tuple(e.get(A.TARGET) or ()), _first(e, A.DESCRIPTION, ""),
                           parse_time(_first(e, A.CREATED))) for _, e in found]
    return sorted(records, key=lambda r: r.when or datetime.min, reverse=True)
