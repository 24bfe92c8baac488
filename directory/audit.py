"""The audit trail in the directory: one record per action on accounts (who, what, where, on whom, when)."""
from __future__ import annotations

import ldap3

from . import attributes as A
from .escaping import dn


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
