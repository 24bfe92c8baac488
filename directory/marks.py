"""A job's mark (sesameLastJob) on the entries it writes, in the same write as the change: after any crash the
directory itself says what the job did. A write whose answer was lost is read back, never sent blindly again;
the entries that carry the mark are what the job's report counts as done, whatever the job queue lost."""
from __future__ import annotations

import ldap3

from . import attributes as A
from .escaping import equals
from .mapping import account_id_of, first
from .populations import ALL, branches


def carries(attributes: dict, job_id: str) -> bool:
    """Whether an entry's attributes, as read, carry the job's mark."""
    return first(attributes.get(A.LAST_JOB)) == job_id


def marked_values(values: dict, job_id: str) -> dict:
    """A new entry's values with the job's mark: the entry says which job created it."""
    return {**values, A.LAST_JOB: [job_id]}


def has_mark(directory, entry_dn: str, job_id: str) -> bool:
    """Whether the entry (read from the provider) carries the job's mark: the job's own write got there."""
    entry = directory.read_entry(entry_dn, [A.LAST_JOB])
    return entry is not None and carries(entry["attributes"], job_id)


def modify_marked(directory, entry_dn: str, modifications: dict, job_id: str) -> None:
    """`modifications` and the job's mark in one modify, never sent twice blindly: after a lost answer the mark
    read back says whether it applied (the modify's own conditions refuse an entry changed meanwhile)."""
    directory.modify_once(entry_dn, {**modifications, A.LAST_JOB: [(ldap3.MODIFY_REPLACE, [job_id])]},
                          attributes=[A.LAST_JOB], applied=lambda entry: carries(entry["attributes"], job_id))


def marked(directory, job_id: str, populations=ALL) -> set[str]:
    """The accounts of these populations that carry the job's mark: the ones it changed or created (unless a
    later job changed them again). One indexed search a branch, account ids only, on the provider."""
    def operation(conn):
        found = set()
        for branch in branches(populations):
            conn.search(directory.base(branch), equals(A.LAST_JOB, job_id), ldap3.LEVEL, attributes=[A.ACCOUNT_ID])
            found.update(first(e["attributes"].get(A.ACCOUNT_ID), account_id_of(e["dn"])) for e in conn.response
                         if e.get("type") == "searchResEntry")
        return found
    return directory.writes.run(operation)
