"""Finding accounts across every establishment (name, INE, identifier) and reading an account's history
from the audit trail: the identity team's search."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import ldap3

from .. import attributes as A
from ..escaping import all_of, any_of, contains, equals
from ..mapping import first, origin, parse_time
from ..model import AccountOrigin
from ..names import fold

LIMIT = 100
ATTRIBUTES = [A.ACCOUNT_ID, A.SURNAME, A.GIVEN_NAME, A.UID, A.UAI, A.INE, A.ACCOUNT_STATE, A.LEFT_ON, A.LEFT_UAI,
               A.CLASS_CODE, A.BIRTH_DATE, A.ACCOUNT_ORIGIN, A.LEAVES_ON, A.LEVEL]


@dataclass(frozen=True)
class AccountSummary:
    kind: str                     # student or parent
    account_id: str
    surname: str
    given_name: str
    identifier: str
    uais: tuple[str, ...]
    ine: str
    state: str
    class_code: str
    left_on: datetime | None
    left_uai: str
    origin: AccountOrigin = AccountOrigin.REGISTRY
    leaves_on: datetime | None = None      # a departure the registry plans
    level: str = ""

    @property
    def name(self) -> str:
        return f"{self.surname.upper()} {self.given_name}"


@dataclass(frozen=True)
class Event:
    when: datetime | None
    actor: str
    action: str
    uai: str
    summary: str


def _summary(kind: str, entry: dict) -> AccountSummary:
    return AccountSummary(kind, first(entry.get(A.ACCOUNT_ID), ""), first(entry.get(A.SURNAME), ""),
                          first(entry.get(A.GIVEN_NAME), ""), first(entry.get(A.UID), "") or "",
                          tuple(entry.get(A.UAI) or ()), first(entry.get(A.INE), "") or "",
                          first(entry.get(A.ACCOUNT_STATE), "") or "", first(entry.get(A.CLASS_CODE), "") or "",
                          parse_time(first(entry.get(A.LEFT_ON))), first(entry.get(A.LEFT_UAI), "") or "",
                          origin(entry.get(A.ACCOUNT_ORIGIN)), parse_time(first(entry.get(A.LEAVES_ON))),
                          first(entry.get(A.LEVEL), "") or "")


def _search(directory, branch: str, filter_: str) -> list[dict]:
    def operation(conn):
        # the directory stops at LIMIT + 1: a broad name never reads a whole académie
        conn.search(directory.base(branch), filter_, ldap3.LEVEL, attributes=ATTRIBUTES, size_limit=LIMIT + 1)
        return [e["attributes"] for e in conn.response if e.get("type") == "searchResEntry"]
    return directory.reads.run(operation)


def accounts_filter(query: str) -> str:
    """Accounts whose identifier or INE is `query`, or whose folded name contains it (3 letters or more)."""
    text = query.strip()
    folded = fold(text)
    wanted = any_of(equals(A.UID, text.lower()), equals(A.INE, text.upper()),
                    contains(A.SEARCH_KEY, folded) if len(folded) >= 3 else None)
    return all_of(equals(A.OBJECT_CLASS, A.OC_ACCOUNT), wanted)


def find_accounts(directory, query: str) -> list[AccountSummary]:
    """Students and parents whose identifier or INE is `query`, or whose folded name contains it."""
    filter_ = accounts_filter(query)
    found = [_summary("student", e) for e in _search(directory, A.STUDENTS, filter_)]
    found += [_summary("parent", e) for e in _search(directory, A.GUARDIANS, filter_)]
    return sorted(found, key=lambda a: (a.surname.lower(), a.given_name.lower()))[:LIMIT]


def account(directory, account_id: str) -> AccountSummary | None:
    for kind, branch in (("student", A.STUDENTS), ("parent", A.GUARDIANS)):
        found = _search(directory, branch, equals(A.ACCOUNT_ID, account_id))
        if found:
            return _summary(kind, found[0])
    return None


def events(directory, account_id: str) -> list[Event]:
    """Every audit record naming the account (imports, moves, notifications, resets...), or an account a merge
    made it take in (its history is this one's), newest first."""
    merged = []
    for branch in (A.STUDENTS, A.GUARDIANS):
        for _, entry in directory.search(directory.base(branch), equals(A.ACCOUNT_ID, account_id), [A.MERGED_FROM],
                                         ldap3.LEVEL):
            merged += [str(m) for m in entry.get(A.MERGED_FROM) or ()]
    found = directory.search(directory.base(A.AUDIT), any_of(*(equals(A.TARGET, i) for i in [account_id, *merged])),
                             [A.ACTOR, A.ACTION, A.UAI, A.DESCRIPTION, A.CREATED], ldap3.LEVEL)
    listed = [Event(parse_time(first(e.get(A.CREATED))), first(e.get(A.ACTOR), ""), first(e.get(A.ACTION), ""),
                    first(e.get(A.UAI), "") or "", first(e.get(A.DESCRIPTION), "") or "") for _, e in found]
    return sorted(listed, key=lambda e: e.when.timestamp() if e.when else 0.0, reverse=True)
