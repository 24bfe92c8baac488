"""The pairs the last search found, kept in the directory (ou=duplicates, one entry a pair): written by the search
(what changed only), read a sorted page at a time for « Doublons » — every establishment, or those touching one —
and one pair with its evidence."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import ldap3

from .. import attributes as A
from ..errors import AlreadyExists, NotFound
from ..escaping import all_of, dn, equals, none_of, present
from ..mapping import first
from ..sorted_pages import SortedPage, sorted_page
from ..sorting import SortKey
from .rules import DUPLICATE, Person
from .scan import Finding, Findings

PAGE_SIZE = 50
_READ = [A.CN, A.PAIR_KIND, A.PAIR_SCORE, A.PAIR_EVIDENCE, A.PAIR_MERGE, A.LAST_JOB, A.UAI]
BEST_FIRST = [SortKey(A.PAIR_SCORE, reverse=True), SortKey(A.CN, "caseIgnoreOrderingMatch")]


@dataclass(frozen=True)
class Side:
    """One account of a pair, as the search read it."""
    account_id: str
    kind: str
    surname: str
    given_name: str
    birth: str                      # YYYYMMDD or ""
    ine: str
    ine_valid: bool
    uais: tuple[str, ...]
    left: bool
    identifier: str
    state: str
    origin: str
    created: str
    class_code: str = ""
    mails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    children: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.surname.upper()} {self.given_name}".strip()

    @property
    def born(self) -> date | None:
        try:
            return date(int(self.birth[:4]), int(self.birth[4:6]), int(self.birth[6:8]))
        except ValueError:
            return None


def side_of(person: Person) -> dict:
    return {"account_id": person.account_id, "kind": person.kind, "surname": person.surname,
            "given_name": person.given_name, "birth": person.birth, "ine": person.ine, "ine_valid": person.ine_valid,
            "uais": list(person.uais), "left": person.left, "identifier": person.identifier, "state": person.state,
            "origin": person.origin, "created": person.created, "class_code": person.class_code,
            "mails": list(person.mails), "phones": list(person.phones), "children": list(person.children)}


@dataclass(frozen=True)
class Pair:
    id: str                         # « <account id>-<account id> », the smaller first
    kind: str                       # DUPLICATE or SIBLINGS
    score: int
    reasons: tuple[str, ...]
    same: tuple[str, ...]
    first: Side
    second: Side
    found_by: str                   # the search (job) that found it as it is
    merge: str = ""                 # the merge that joined it, while it can be undone

    @property
    def sides(self) -> tuple[Side, Side]:
        return self.first, self.second

    @property
    def uais(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.first.uais + self.second.uais))

    def touches(self, uai: str) -> bool:
        return uai in self.uais


def evidence(finding: Finding) -> str:
    return json.dumps({"reasons": list(finding.verdict.reasons), "same": list(finding.verdict.same),
                       "sides": [side_of(finding.first), side_of(finding.second)]}, ensure_ascii=False, sort_keys=True)


def _side(values: dict) -> Side:
    return Side(**{**values, **{k: tuple(values.get(k) or ()) for k in ("uais", "mails", "phones", "children")}})


def _pair(entry: dict) -> Pair:
    said = json.loads(first(entry.get(A.PAIR_EVIDENCE), "{}") or "{}")
    sides = [_side(s) for s in said.get("sides", [])]
    score = first(entry.get(A.PAIR_SCORE), 0)
    return Pair(str(first(entry.get(A.CN), "")), str(first(entry.get(A.PAIR_KIND), DUPLICATE)),
                int(score or 0), tuple(said.get("reasons", ())), tuple(said.get("same", ())), sides[0], sides[1],
                str(first(entry.get(A.LAST_JOB), "") or ""), str(first(entry.get(A.PAIR_MERGE), "") or ""))


def pair_dn(directory, pair_id: str) -> str:
    return dn(A.CN, pair_id, directory.base(A.DUPLICATES))


def _values(finding: Finding, scan_id: str) -> dict:
    uais = sorted(set(finding.first.uais) | set(finding.second.uais))
    values = {A.CN: finding.key, A.TARGET: [finding.first.account_id, finding.second.account_id],
              A.PAIR_KIND: finding.verdict.kind, A.PAIR_SCORE: str(finding.verdict.score),
              A.PAIR_EVIDENCE: evidence(finding), A.LAST_JOB: scan_id}
    if uais:
        values[A.UAI] = uais
    return values


def _existing(directory) -> dict[str, dict]:
    def operation(conn):
        kept = {}
        for entry in conn.extend.standard.paged_search(directory.base(A.DUPLICATES), equals(A.OBJECT_CLASS, A.OC_DUPLICATE_PAIR),
                                                       ldap3.LEVEL, attributes=[A.CN, A.PAIR_KIND, A.PAIR_SCORE,
                                                                                A.PAIR_EVIDENCE, A.PAIR_MERGE, A.UAI],
                                                       paged_size=1000, generator=True):
            if entry.get("type") == "searchResEntry":
                kept[str(first(entry["attributes"].get(A.CN)))] = entry["attributes"]
        return kept
    return directory.writes.run(operation)


def write(directory, finding: Finding, scan_id: str, before: dict | None = None) -> str:
    """One pair written as the search found it: "added", "changed" or "unchanged" (`before`: its entry as read,
    None when it has none)."""
    values = _values(finding, scan_id)
    target = pair_dn(directory, finding.key)
    if before is None:
        try:
            directory.writes.run(lambda conn: conn.add(target, [A.OC_DUPLICATE_PAIR], values))
        except AlreadyExists:
            pass        # a second sending of this add (a lost answer)
        return "added"
    if all(str(first(before.get(name), "")) == values[name] for name in (A.PAIR_EVIDENCE, A.PAIR_KIND, A.PAIR_SCORE)):
        return "unchanged"
    changes = {k: [(ldap3.MODIFY_REPLACE, v if isinstance(v, list) else [v])] for k, v in values.items() if k != A.CN}
    changes.setdefault(A.UAI, [(ldap3.MODIFY_REPLACE, [])])
    try:
        directory.writes.run(lambda conn: conn.modify(target, changes))
    except NotFound:
        return "unchanged"
    return "changed"


def keep(directory, findings: Findings, scan_id: str) -> dict[str, int]:
    """The pairs of a search written: a new pair added, a pair whose evidence changed rewritten, a pair the search
    no longer finds removed (unless a merge joined it: it stays while the merge can be undone). Counts."""
    existing = _existing(directory)
    counts = {"added": 0, "changed": 0, "removed": 0, "unchanged": 0}
    seen = set()
    for finding in findings.found:
        seen.add(finding.key)
        counts[write(directory, finding, scan_id, existing.get(finding.key))] += 1
    for key, before in existing.items():
        if key in seen or before.get(A.PAIR_MERGE):
            continue
        try:
            directory.writes.run(lambda conn, key=key: conn.delete(pair_dn(directory, key)))
            counts["removed"] += 1
        except NotFound:
            pass
    return counts


@dataclass(frozen=True)
class PairPage(SortedPage):
    pairs: list[Pair] = field(default_factory=list)


def _filter(kind: str, uai: str | None, merged: bool = False) -> str:
    return all_of(equals(A.OBJECT_CLASS, A.OC_DUPLICATE_PAIR), equals(A.PAIR_KIND, kind),
                  equals(A.UAI, uai) if uai else None,
                  present(A.PAIR_MERGE) if merged else none_of(present(A.PAIR_MERGE)))


def page(directory, kind: str, uai: str | None, number: int = 1, size: int = PAGE_SIZE) -> PairPage:
    """One page of the pairs of `kind` (those touching `uai`, or every one), surest first, and their total:
    sorted and counted by slapd."""
    entries, total = sorted_page(directory, directory.base(A.DUPLICATES), _filter(kind, uai), _READ, BEST_FIRST,
                                 number, size)
    return PairPage(total, max(1, number), size, [_pair(e) for e in entries])


def one(directory, pair_id: str) -> Pair | None:
    if not _well_formed(pair_id):
        return None
    try:
        found = directory.search(pair_dn(directory, pair_id), equals(A.OBJECT_CLASS, A.OC_DUPLICATE_PAIR), _READ,
                                 ldap3.BASE)
    except NotFound:
        return None
    return _pair(found[0][1]) if found else None



def note_merge(directory, pair_id: str, merge_id: str | None) -> None:
    """The pair joined by `merge_id` (None: its merge undone)."""
    change = {A.PAIR_MERGE: [(ldap3.MODIFY_REPLACE, [merge_id] if merge_id else [])]}
    try:
        directory.writes.run(lambda conn: conn.modify(pair_dn(directory, pair_id), change))
    except NotFound:
        pass


def _well_formed(pair_id: str) -> bool:
    parts = pair_id.split("-")
    return len(pair_id) <= 130 and len(parts) == 2 and all(p.isalnum() and p.isascii() for p in parts)
