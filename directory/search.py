"""Finding the accounts of a population: criteria, sorted pages counted by the directory, one account, a student's
parents and a parent's children here."""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace

import ldap3

from . import attributes as A
from .errors import NotFound, PageOutOfRange
from datetime import datetime, timedelta, timezone

from .escaping import all_of, any_of, at_most, contains, dn, equals, none_of, present
from .locks import lock_filter
from .mapping import GUARDIAN, STUDENT, account_id_of, first, state
from .model import AccountState, Guardian, Student
from .names import fold, letter_order
from .connection import translated
from .entries import raw
from .sorting import VLV_RESPONSE_OID, SortKey, page_control, read_page_answer, sort_control

NAME_MAX_LENGTH = 100
PAGE_SIZE = 50

_TEXT = "caseIgnoreOrderingMatch"   # for attributes whose schema has no ORDERING rule


class AccountSort(enum.Enum):
    """The sortable columns, each as the directory's sort keys; the name breaks ties."""
    NAME = "eleve"
    CLASS = "classe"
    MEF = "mef"
    IDENTIFIER = "identifiant"
    STATE = "statut"
    ORIGIN = "origine"
    NOTIFIED = "notification"
    LAST_LOGIN = "connexion"

    def keys(self, reverse: bool) -> list[SortKey]:
        by_name = [SortKey(A.SORT_NAME, None, reverse)]
        first = {
            AccountSort.NAME: [],
            AccountSort.CLASS: [SortKey(A.CLASS_CODE, None, reverse)],
            AccountSort.MEF: [SortKey(A.MEF_CODE, None, reverse)],
            AccountSort.IDENTIFIER: [SortKey(A.UID, _TEXT, reverse)],
            AccountSort.STATE: [SortKey(A.ACCOUNT_STATE, None, reverse)],
            AccountSort.ORIGIN: [SortKey(A.ACCOUNT_ORIGIN, None, reverse)],
            AccountSort.NOTIFIED: [SortKey(A.NOTIFICATION_DATE, None, reverse)],
            AccountSort.LAST_LOGIN: [SortKey(A.PWD_LAST_SUCCESS, None, reverse)],
        }[self]
        return first + by_name


@dataclass(frozen=True)
class AccountCriteria:
    name: str = ""
    mef: str = ""
    classes: tuple[str, ...] = ()
    states: tuple[AccountState, ...] = ()
    attachments: tuple[str, ...] = ()      # external students: their establishments of attachment (UAIs)
    child_name: str = ""                   # parents: of a child here with this name...
    child_classes: tuple[str, ...] = ()    # ...or in these classes (resolved by the directory)
    children: tuple[str, ...] | None = None  # parents: only those of these children (DNs); () matches nobody
    # « Accueil »'s « À faire » lines (issue 15): each line's link is the search of exactly its accounts
    notified_before: datetime | None = None     # last notified before this moment
    password_given_before: datetime | None = None  # current password (a provisional one) given before it
    locked: bool = False                        # locked by the directory after too many failures (still holding)
    lock_filter: str = ""                       # ... as the directory's policy says (set by PopulationAccounts, from it)
    mail_unconfirmed: bool = False              # an e-mail address given, never confirmed

    @property
    def is_filtering(self) -> bool:
        return bool(self.name.strip() or self.mef or self.classes or self.states or self.attachments
                    or self.child_name.strip() or self.child_classes or self.children is not None
                    or self.follows_up)

    @property
    def follows_up(self) -> bool:
        """One of « Accueil »'s « À faire » criteria is set."""
        return bool(self.notified_before or self.password_given_before or self.locked or self.mail_unconfirmed)

    @property
    def names_children(self) -> bool:
        return bool(self.child_name.strip() or self.child_classes)

    def filter(self, in_establishment: str) -> str:
        """The LDAP filter: always within one establishment, whatever the criteria."""
        name_filter = None
        if self.name.strip():
            folded = fold(self.name)
            # a name of only punctuation or wildcards matches nobody, rather than everybody
            name_filter = contains(A.SEARCH_KEY, folded) if folded else "(!(objectClass=*))"
        return all_of(
            equals(A.OBJECT_CLASS, A.OC_ACCOUNT),
            in_establishment,
            any_of(*(equals(A.UAI, a) for a in self.attachments)) if self.attachments else None,
            any_of(*(equals(A.CHILD, dn) for dn in self.children)) if self.children is not None else None,
            name_filter,
            # a primary school's pupils have a level where the others have a MEF: the criterion is either
            any_of(equals(A.MEF_CODE, self.mef), equals(A.LEVEL, self.mef)) if self.mef else None,
            any_of(*(equals(A.CLASS_CODE, c) for c in self.classes)) if self.classes else None,
            any_of(*(equals(A.ACCOUNT_STATE, s.value) for s in self.states)) if self.states else None,
            *self._follow_up_filters(),
        )

    def _follow_up_filters(self) -> list[str]:
        before = lambda moment: generalized_time(moment - timedelta(seconds=1))   # noqa: E731 - strictly before
        return [f for f in (
            at_most(A.NOTIFICATION_DATE, before(self.notified_before)) if self.notified_before else None,
            at_most(A.PWD_CHANGED_TIME, before(self.password_given_before)) if self.password_given_before else None,
            (self.lock_filter or present(A.PWD_ACCOUNT_LOCKED_TIME)) if self.locked else None,
            all_of(present(A.MAIL), none_of(equals(A.MAIL_VERIFIED, "TRUE"))) if self.mail_unconfirmed else None,
        ) if f]


def generalized_time(moment: datetime) -> str:
    """An aware (or UTC) datetime as LDAP's generalized time."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y%m%d%H%M%SZ")


@dataclass(frozen=True)
class Page:
    items: list = field(default_factory=list)
    total: int = 0
    number: int = 1
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


# slapd keeps the sorted result of every VLV search until its connection closes (slapo-sssvlv has no
# way to release one), and caps them server-wide (olcSssVlvMax, migration 0006): idle pooled
# connections holding them would starve every other client. A connection that ran a sorted search
# is closed after it: one bind more (about a millisecond with the service's light hash).


class PopulationAccounts:
    """The accounts of one population (`directory.populations`); every method takes the establishment
    it is scoped to."""

    def __init__(self, directory, population):
        self.directory = directory
        self.population = population
        self.base = directory.base(population.branch)
        self.attributes = list(population.attributes)
        self.decode = population.decode
        self.decode_raw = population.decode_raw

    def _filter(self, uai: str, criteria: AccountCriteria) -> str:
        """The criteria's filter; a parent's search by a child's name or class becomes the DNs of the
        matching students of this establishment first."""
        if criteria.locked:
            criteria = replace(criteria, lock_filter=lock_filter(self.directory.password_policy()))
        if criteria.names_children:
            students = self.directory.students
            children = students.ids(uai, AccountCriteria(name=criteria.child_name, classes=criteria.child_classes))
            criteria = replace(criteria, child_name="", child_classes=(), children=tuple(
                dn(A.ACCOUNT_ID, i, students.base) for i in children))
        return criteria.filter(self.population.in_establishment(uai))

    def _of(self, uai: str, *filters) -> str:
        return all_of(self.population.in_establishment(uai), *filters)

    def search(self, uai: str, criteria: AccountCriteria, sort: AccountSort = AccountSort.NAME,
               reverse: bool = False, page: int = 1, size: int = PAGE_SIZE) -> Page:
        """One sorted page and the total, both from the directory (sort and VLV controls)."""
        page = max(1, page)
        controls = [sort_control(sort.keys(reverse)), page_control((page - 1) * size + 1, size)]
        filter_ = self._filter(uai, criteria)

        def operation(conn):
            conn.sesame_retire = True     # closed after this search (above)
            try:
                with translated(), raw(conn) as found:
                    conn.search(self.base, filter_, ldap3.LEVEL, attributes=self.attributes,
                                controls=controls)
                entries = [values for _, values in found]
            except PageOutOfRange:     # a page past the last one: no rows, still a total
                entries = []
            answer = (conn.result.get("controls") or {}).get(VLV_RESPONSE_OID)
            return entries, read_page_answer(answer["value"]) if answer else None

        entries, answer = self.directory.reads.run(operation)
        total = answer.total if answer else len(entries)
        return Page([self.decode_raw(e) for e in entries], total, page, size)

    def count(self, uai: str, criteria: AccountCriteria) -> int:
        """How many accounts match, counted from their DNs alone (the search's own filter)."""
        def operation(conn):
            conn.search(self.base, self._filter(uai, criteria), ldap3.LEVEL, attributes=["1.1"])
            return sum(1 for e in conn.response if e.get("type") == "searchResEntry")
        return self.directory.reads.run(operation)

    def ids(self, uai: str, criteria: AccountCriteria) -> list[str]:
        """Every matching student's account id, read from the DNs alone (no attribute to decode)."""
        def operation(conn):
            conn.search(self.base, self._filter(uai, criteria), ldap3.LEVEL, attributes=["1.1"])
            return [account_id_of(e["dn"]) for e in conn.response if e.get("type") == "searchResEntry"]
        return self.directory.reads.run(operation)

    def _of_ids(self, uai: str, account_ids, attributes: list[str]):
        """(dn, entry) of those of `account_ids` of this population at `uai`, 200 ids a search."""
        wanted = list(dict.fromkeys(i for i in account_ids if i))
        for start in range(0, len(wanted), 200):
            filter_ = self._of(uai, any_of(*(equals(A.ACCOUNT_ID, i) for i in wanted[start:start + 200])))
            yield from self.directory.search(self.base, filter_, attributes, ldap3.LEVEL)

    def existing(self, uai: str, account_ids) -> set[str]:
        """Those of `account_ids` that are of this population at `uai`."""
        return {account_id_of(dn_) for dn_, _ in self._of_ids(uai, account_ids, ["1.1"])}

    def count_by_state(self, uai: str, account_ids) -> dict[AccountState, int]:
        """How many of `account_ids` are of this population at `uai`, in each state (others are not counted)."""
        counts = {state: 0 for state in AccountState}
        for _, entry in self._of_ids(uai, account_ids, [A.ACCOUNT_STATE]):
            counts[state(entry.get(A.ACCOUNT_STATE))] += 1
        return counts

    def in_letter_order(self, uai: str, account_ids) -> list[str]:
        """`account_ids` as their letters are printed (names.letter_order), those not of this population at
        `uai` last: a job's accounts in this order let each chunk print its letters as a stretch of the whole."""
        keys = {account_id_of(dn_): letter_order(first(entry.get(A.CLASS_CODE)), first(entry.get(A.GIVEN_NAME), ""),
                                                 first(entry.get(A.SURNAME), ""))
                for dn_, entry in self._of_ids(uai, account_ids, [A.CLASS_CODE, A.GIVEN_NAME, A.SURNAME])}
        return sorted(keys, key=lambda i: (keys[i], i)) + [i for i in dict.fromkeys(account_ids) if i and i not in keys]

    def get(self, uai: str, account_id: str) -> tuple[str, Student]:
        """The account of this population at `uai` with this id, and its DN; NotFound for any other."""
        filter_ = self._of(uai, equals(A.OBJECT_CLASS, A.OC_ACCOUNT), equals(A.ACCOUNT_ID, account_id))
        found = self.directory.search(self.base, filter_, self.attributes)
        if len(found) != 1:
            raise NotFound(account_id)
        dn, entry = found[0]
        return dn, self.decode(entry)

    def by_ids(self, uai: str, account_ids) -> dict[str, Student]:
        """Those of `account_ids` attached to `uai`, by id (e.g. a parent's children there)."""
        found = (STUDENT.decode(entry) for _, entry in self._of_ids(uai, sorted(set(account_ids)), [
            A.ACCOUNT_ID, A.SURNAME, A.GIVEN_NAME, A.CLASS_CODE, A.UAI]))
        return {student.account_id: student for student in found}

    def children_here(self, uai: str, children_of: dict[str, tuple[str, ...]]) -> dict[str, list[Student]]:
        """Each parent's children attached to `uai`, from their account ids (`children_of`: parent → children): a
        parent with children in two establishments is seen from each with that establishment's children only."""
        here = self.by_ids(uai, [child for children in children_of.values() for child in children])
        return {parent: [here[c] for c in children if c in here] for parent, children in children_of.items()}

    def attachments_of_externals(self, uai: str) -> list[str]:
        """The establishments of attachment of the students who follow a shared course at `uai`."""
        from .populations import EXTERNAL
        found = self.directory.search(self.directory.base(EXTERNAL.branch),
                                      all_of(equals(A.OBJECT_CLASS, A.OC_ACCOUNT), EXTERNAL.in_establishment(uai)),
                                      [A.UAI], ldap3.LEVEL)
        return sorted({u for _, e in found for u in (e.get(A.UAI) or ())})

    def guardians(self, student_dn: str) -> list[Guardian]:
        found = self.directory.search(self.directory.base(A.GUARDIANS), equals(A.CHILD, student_dn),
                                      GUARDIAN.attributes)
        return sorted((GUARDIAN.decode(e) for _, e in found), key=lambda g: (g.surname, g.given_name))
