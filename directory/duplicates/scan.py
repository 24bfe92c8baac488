"""Finding probable duplicates across the whole directory: every account streamed once (paged searches of only the
attributes the rules need), its keys grouped in compact arrays (8 bytes a key, 16 an account: a few hundred MB for
an académie), then only the accounts that share a key read again whole and judged by the rules."""
from __future__ import annotations

import multiprocessing
import time
from array import array
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

import ldap3

from .. import attributes as A
from ..escaping import any_of, equals
from ..mapping import account_id_of, first
from .rules import PARENT, STUDENT, Person, Verdict, judge, keys

PAGE = 1000                 # entries a paged search answers at a time
BATCH = 100                 # accounts read again per search
MAX_GROUP = 40              # a key held by more accounts nominates no pair: a placeholder INE, a shared mailbox
_HASH_BITS, _INDEX_BITS = 40, 24       # one key: its hash and its account's number, in one 64-bit integer
_HASH_MASK, _INDEX_MASK = (1 << _HASH_BITS) - 1, (1 << _INDEX_BITS) - 1

STREAMED = {STUDENT: [A.ACCOUNT_ID, A.SURNAME, A.GIVEN_NAME, A.BIRTH_DATE, A.INE, A.UAI, A.LEFT_UAI],
            PARENT: [A.ACCOUNT_ID, A.SURNAME, A.GIVEN_NAME, A.MAIL, A.MOBILE, A.PHONE, A.CHILD]}
READ = sorted({a for attrs in STREAMED.values() for a in attrs} |
              {A.UID, A.ACCOUNT_STATE, A.ACCOUNT_ORIGIN, A.CREATED, A.CLASS_CODE, A.UAI})
BRANCHES = {STUDENT: A.STUDENTS, PARENT: A.GUARDIANS}


def person(kind: str, entry_dn: str, entry: dict) -> Person:
    """An entry as the rules read it."""
    def one(name):
        return str(first(entry.get(name), "") or "")

    def every(name):
        values = entry.get(name) or ()
        return tuple(str(v) for v in ([values] if isinstance(values, str) else values))
    uais = every(A.UAI)
    return Person(kind, one(A.ACCOUNT_ID) or account_id_of(entry_dn), one(A.SURNAME), one(A.GIVEN_NAME),
                  one(A.BIRTH_DATE)[:8], one(A.INE), uais or every(A.LEFT_UAI), not uais and kind == STUDENT,
                  every(A.MAIL), every(A.MOBILE) + every(A.PHONE), tuple(account_id_of(c) for c in every(A.CHILD)),
                  one(A.UID), one(A.ACCOUNT_STATE), one(A.ACCOUNT_ORIGIN), one(A.CREATED)[:15], one(A.CLASS_CODE))


@dataclass(frozen=True)
class Finding:
    first: Person                   # the two accounts, in the order of their account ids
    second: Person
    verdict: Verdict

    @property
    def key(self) -> str:
        return f"{self.first.account_id}-{self.second.account_id}"


@dataclass
class Findings:
    found: list[Finding] = field(default_factory=list)
    streamed: dict[str, int] = field(default_factory=dict)     # accounts read, per kind
    candidates: int = 0                                         # accounts read again (they share a key)
    crowded: int = 0                                            # keys held by too many accounts to judge
    seconds: dict[str, float] = field(default_factory=dict)


class _Accounts:
    """The accounts of one kind, numbered as streamed: 16 bytes each (their hex account id), and each key an
    integer in the array of its kind of key."""

    def __init__(self):
        self.ids = bytearray()
        self.odd: dict[int, str] = {}          # account ids that are not 32 hex digits (none in practice)
        self.count = 0
        self.keys: dict[str, array] = {}

    def add(self, account_id: str, held: list[tuple[str, str]]) -> None:
        number = self.count
        if number > _INDEX_MASK:
            raise OverflowError("more accounts of one kind than the scan numbers")
        try:
            raw = bytes.fromhex(account_id)
        except ValueError:
            raw = b""
        if len(raw) != 16:
            self.odd[number], raw = account_id, bytes(16)
        self.ids += raw
        self.count += 1
        for kind, key in held:
            self.keys.setdefault(kind, array("Q")).append(((hash(key) & _HASH_MASK) << _INDEX_BITS) | number)

    def account_id(self, number: int) -> str:
        return self.odd.get(number) or self.ids[16 * number:16 * number + 16].hex()

    def groups(self, findings: Findings):
        """The numbers of the accounts that share a key, group by group; each array is let go once sorted."""
        for kind in list(self.keys):
            ordered = list(self.keys.pop(kind))
            ordered.sort()
            start = 0
            while start < len(ordered):
                hashed = ordered[start] >> _INDEX_BITS
                end = start + 1
                while end < len(ordered) and ordered[end] >> _INDEX_BITS == hashed:
                    end += 1
                if end - start > MAX_GROUP:
                    findings.crowded += 1
                elif end - start > 1:
                    yield sorted({v & _INDEX_MASK for v in ordered[start:end]})
                start = end
            del ordered


def _stream(directory, kind: str, accounts: _Accounts) -> int:
    """Every account of one kind once, a page at a time, only the attributes the keys need."""
    def operation(conn):
        read = 0
        for entry in conn.extend.standard.paged_search(directory.base(BRANCHES[kind]), equals(A.OBJECT_CLASS, A.OC_ACCOUNT),
                                                       ldap3.LEVEL, attributes=STREAMED[kind], paged_size=PAGE,
                                                       generator=True):
            if entry.get("type") != "searchResEntry":
                continue
            found = person(kind, entry["dn"], entry["attributes"])
            accounts.add(found.account_id, keys(found))
            read += 1
        return read
    return directory.reads.run(operation)


def read_accounts(directory, kind: str, account_ids, versions: dict | None = None) -> dict[str, Person]:
    """These accounts read whole (for the rules and the evidence), by account id; `versions`, if given, is
    filled with each one's entryCSN (what a merge is conditional on)."""
    wanted = sorted(set(account_ids))
    found: dict[str, Person] = {}
    attributes = READ + (["entryCSN"] if versions is not None else [])
    for start in range(0, len(wanted), BATCH):
        filter_ = any_of(*(equals(A.ACCOUNT_ID, i) for i in wanted[start:start + BATCH]))
        for entry_dn, entry in directory.search(directory.base(BRANCHES[kind]), filter_, attributes, ldap3.LEVEL):
            one = person(kind, entry_dn, entry)
            found[one.account_id] = one
            if versions is not None:
                versions[one.account_id] = str(first(entry.get("entryCSN"), ""))
    return found


def find(directory, say=lambda text: None, processes: int = 2) -> Findings:
    """Every pair of accounts the rules call duplicates (or siblings, listed apart), across the directory. The
    students and the parents are read side by side by `processes` processes of their own (the decoding of LDAP
    answers is Python's: one core each), or one after the other in this one."""
    findings = Findings()
    if processes > 1:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(processes, 2), mp_context=context) as pool:
            parts = [pool.submit(_find_apart, directory.settings, kind) for kind in (STUDENT, PARENT)]
            found = [part.result() for part in parts]
    else:
        found = [_find_kind(directory, kind) for kind in (STUDENT, PARENT)]
    for kind, part in zip((STUDENT, PARENT), found):
        findings.found += part.found
        findings.streamed[kind] = part.streamed[kind]
        findings.candidates += part.candidates
        findings.crowded += part.crowded
        findings.seconds[kind] = part.seconds[kind]
        say(f"{kind}: {part.streamed[kind]} accounts in {part.seconds[kind]:.1f} s, {part.candidates} read again")
    return findings


def _find_apart(settings, kind: str) -> Findings:
    """In a process of its own: one kind of account searched, on connections of its own."""
    from ..repository import Directory
    directory = Directory(settings)
    try:
        return _find_kind(directory, kind)
    finally:
        directory.close()


def _find_kind(directory, kind: str) -> Findings:
    findings = Findings()
    started = time.perf_counter()
    accounts = _Accounts()
    findings.streamed[kind] = _stream(directory, kind, accounts)
    groups = list(accounts.groups(findings))
    wanted = {accounts.account_id(n) for group in groups for n in group}
    people = read_accounts(directory, kind, wanted)
    findings.candidates = len(wanted)
    seen: set[tuple[str, str]] = set()
    for group in groups:
        members = sorted((people[i] for i in (accounts.account_id(n) for n in group) if i in people),
                         key=lambda p: p.account_id)
        for i, one in enumerate(members):
            for other in members[i + 1:]:
                if (one.account_id, other.account_id) in seen:
                    continue
                seen.add((one.account_id, other.account_id))
                verdict = judge(one, other)
                if verdict is not None:
                    findings.found.append(Finding(one, other, verdict))
    findings.seconds[kind] = time.perf_counter() - started
    return findings
