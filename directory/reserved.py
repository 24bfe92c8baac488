"""Identifiers of accounts gone for good (a leaver removed, an account merged into another once its undo is past),
kept under ou=reserved, where the choice of a new identifier looks and the unique overlay refuses them: never given
again."""
from __future__ import annotations

import ldap3

from . import attributes as A
from .errors import AlreadyExists
from .escaping import dn, equals


def reserve_identifier(directory, identifier: str, account_id: str, actor: str, what: str = "supprimé") -> None:
    """The identifier of an account gone for good kept under ou=reserved (written twice: once)."""
    entry_dn = dn(A.UID, identifier, directory.base(A.RESERVED))
    try:
        directory.writes.run(lambda conn: conn.add(entry_dn, [A.OC_RESERVED], {
            A.UID: identifier, A.DESCRIPTION: f"compte {account_id} {what} par {actor}"}))
    except AlreadyExists:
        pass


def reserved(directory) -> set[str]:
    return {str(u).lower() for _, e in directory.search(directory.base(A.RESERVED), equals(A.OBJECT_CLASS, A.OC_RESERVED),
                                                         [A.UID], ldap3.LEVEL) for u in e.get(A.UID) or ()}
