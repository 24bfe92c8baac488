"""The audit trail read back: « Journal des opérations » filters, sorted pages, export, and its purge."""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

import ldap3

from . import attributes as A
from .audit import record_action
from .delegations import PARIS, ldap_time
from .errors import NotFound
from .escaping import all_of, any_of, at_least, contains, equals, none_of
from .mapping import first, parse_time
from .names import fold
from .populations import branches
from .sorted_pages import SortedPage, sorted_page
from .sorting import SortKey

PAGE_SIZE = 50
MAX_DAYS = 1100         # a date range reaches this far back at most (records are kept a year by default)
PURGE_LOOKBACK_DAYS = 60
ACCOUNTS_FILTER_LIMIT = 50      # an account filter matching more names than this is too vague

# What a record's action says, in the words of the screens; each kind of job an app runs adds its own
# (name_actions, at its registration: webapp/jobs/kind.py).
SIGN_IN, SIGN_IN_REFUSED = "sign-in", "sign-in-refused"
DELEGATION_GRANTED, DELEGATION_ENDED = "delegation-granted", "delegation-ended"
LETTER_SETTINGS = "letter-settings"
PURGE = "journal-purge"
ACTION_LABELS = {
    # « Alimentation »: each student an import moves or marks as leaving, each removal of a leaver
    "move-in": "Changement d'établissement (alimentation)",
    "leave": "Départ (alimentation)",
    "leaver-removed": "Compte supprimé (départ)",
    # an account created by hand, or the existing one matched instead (« Doublons », prevention)
    "account-created": "Création d'un compte (manuelle)",
    "account-matched": "Compte rattaché au lieu d'être créé",
    DELEGATION_GRANTED: "Délégation accordée",
    DELEGATION_ENDED: "Délégation terminée",
    LETTER_SETTINGS: "Réglages des courriers modifiés",
    SIGN_IN: "Connexion d'un personnel",
    SIGN_IN_REFUSED: "Connexion refusée",
    PURGE: "Purge du journal",
}
# the actions on accounts (« Accueil »'s « Dernières opérations »), not sign-ins, delegations or settings
ACCOUNT_ACTIONS = ["move-in", "leave", "leaver-removed", "account-created", "account-matched"]
ATTRIBUTES = [A.CN, A.ACTOR, A.ACTION, A.UAI, A.DESCRIPTION, A.TARGET, A.CREATED, A.JOB_SPEC, A.JOB_STATE]
# createTimestamp has one-second resolution: within a second, the latest written (entryCSN) first
NEWEST_FIRST = [SortKey(A.CREATED, reverse=True), SortKey("entryCSN", reverse=True)]


@dataclass(frozen=True)
class Operation:
    """One record of the journal."""
    id: str
    when: datetime | None
    actor: str
    action: str
    uai: str
    summary: str
    accounts: tuple[str, ...]        # account ids
    population: str = "students"     # a job's population (students, external, guardians)
    is_job: bool = False             # a bulk job: it has a report

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)


@dataclass(frozen=True)
class JournalQuery:
    """What the screen filters on. `uai` None: every establishment (the identity team)."""
    uai: str | None
    actor: str = ""
    action: str = ""
    since: date | None = None
    until: date | None = None
    account_ids: tuple[str, ...] | None = None    # None: any account; (): an account filter that matched nobody
    actions: tuple[str, ...] = ()     # any of these actions (with `action`, both must hold)


@dataclass(frozen=True)
class JournalPage(SortedPage):
    operations: list[Operation] = field(default_factory=list)


def name_actions(labels: dict[str, str], on_accounts) -> None:
    """The actions of the kinds of job an app runs, named in the words of the screens (first, as the journal's
    list of actions offers them); those `on_accounts` in « Dernières opérations » too. Named again, the same."""
    named = {**labels, **{action: label for action, label in ACTION_LABELS.items() if action not in labels}}
    ACTION_LABELS.clear()
    ACTION_LABELS.update(named)
    ACCOUNT_ACTIONS[:] = list(dict.fromkeys([*on_accounts, *ACCOUNT_ACTIONS]))


def record(directory, actor: str, action: str, uai: str | None, summary: str, accounts=()) -> None:
    """An operation other than a job or a row's reset (delegations, settings, sign-ins)."""
    # the person as typed at a refused sign-in may be anything: kept as printable ASCII (the attribute's syntax)
    actor = "".join(c if 32 < ord(c) < 127 else "?" for c in actor[:64]) or "-"
    record_action(directory, f"{action}-{secrets.token_hex(12)}", actor, action, uai or "", accounts,
                  summary[:500] or "-")


def days_of(since: date | None, until: date | None, today: date | None = None) -> list[date]:
    """The days of a range, as the records name them (an open end: today; an open start: MAX_DAYS before
    the end). A range is an OR of days because slapd reads an inequality on an indexed time key by key."""
    today = today or datetime.now(PARIS).date()
    until = min(until or today, today + timedelta(days=1))
    since = max(since or until - timedelta(days=MAX_DAYS), until - timedelta(days=MAX_DAYS))
    return [since + timedelta(days=n) for n in range((until - since).days + 1)]


def _filter(query: JournalQuery) -> str:
    parts = [equals(A.OBJECT_CLASS, A.OC_AUDIT)]
    if query.uai is not None:
        parts.append(equals(A.UAI, query.uai))
    if query.actor:
        parts.append(equals(A.ACTOR, query.actor))
    if query.action:
        parts.append(equals(A.ACTION, query.action))
    if query.actions:
        parts.append(any_of(*(equals(A.ACTION, action) for action in query.actions)))
    if query.since or query.until:
        parts.append(any_of(*(equals(A.AUDIT_DAY, f"{day:%Y%m%d}") for day in days_of(query.since, query.until))))
    if query.account_ids is not None:
        parts.append(any_of(*(equals(A.TARGET, i) for i in query.account_ids)))
    return all_of(*parts)


def _decode(entry: dict) -> Operation:
    one = lambda name: first(entry.get(name), "")   # noqa: E731
    try:
        spec = json.loads(one(A.JOB_SPEC) or "{}")
    except ValueError:
        spec = {}
    return Operation(one(A.CN), parse_time(one(A.CREATED) or None), one(A.ACTOR), one(A.ACTION), one(A.UAI),
                     one(A.DESCRIPTION), tuple(entry.get(A.TARGET) or ()), spec.get("population", "students"),
                     bool(entry.get(A.JOB_STATE)))


def latest(directory, uai: str, count: int = 10) -> list[Operation]:
    """« Dernières opérations »: the `count` newest actions on the establishment's accounts, by anyone."""
    return page(directory, JournalQuery(uai, actions=tuple(ACCOUNT_ACTIONS)), 1, count).operations


def filter_for(query: JournalQuery) -> str:
    """The LDAP filter of a query (the benchmark times the raw search with it)."""
    return _filter(query)


def page(directory, query: JournalQuery, number: int = 1, size: int = PAGE_SIZE) -> JournalPage:
    """One page, newest first, and the total: sorted and counted by slapd (sort and VLV controls)."""
    number = max(1, number)
    if query.account_ids == ():
        return JournalPage(0, number, size)
    entries, total = sorted_page(directory, directory.base(A.AUDIT), _filter(query), ATTRIBUTES, NEWEST_FIRST, number,
                                 size)
    return JournalPage(total, number, size, [_decode(e) for e in entries])


def every(directory, query: JournalQuery, batch: int = 500, limit: int = 100_000):
    """Every matching operation, newest first, a sorted page at a time (the CSV export)."""
    number = 1
    while (number - 1) * batch < limit:
        found = page(directory, query, number, batch)
        yield from found.operations
        if number >= found.pages:
            return
        number += 1


def accounts_matching(directory, text: str, uai: str | None) -> tuple[str, ...]:
    """Account ids whose identifier, account id or name matches `text` (students and parents);
    at most ACCOUNTS_FILTER_LIMIT. A head's search stays in their establishment's trail anyway."""
    text = " ".join(text.split())[:100]
    if not text:
        return ()
    ids: set[str] = set()
    if len(text) == 32 and all(c in "0123456789abcdef" for c in text.lower()):
        ids.add(text.lower())
    folded = fold(text)
    for branch in branches():
        filter_ = any_of(equals(A.UID, text), contains(A.SEARCH_KEY, folded) if len(folded) >= 3 else "")
        for dn, entry in directory.search(directory.base(branch), filter_, [A.ACCOUNT_ID], ldap3.LEVEL):
            ids.add(str(first(entry.get(A.ACCOUNT_ID), "")))
            if len(ids) > ACCOUNTS_FILTER_LIMIT:
                return tuple(sorted(ids))[:ACCOUNTS_FILTER_LIMIT]
    return tuple(sorted(i for i in ids if i))


def names_of(directory, account_ids) -> dict[str, str]:
    """« NOM Prénom (identifiant) » of each account still in the directory, by account id."""
    wanted = [i for i in dict.fromkeys(account_ids) if i]
    names: dict[str, str] = {}
    for start in range(0, len(wanted), 100):
        chunk = any_of(*(equals(A.ACCOUNT_ID, i) for i in wanted[start:start + 100]))
        for branch in branches():
            for _, entry in directory.search(directory.base(branch), chunk,
                                             [A.ACCOUNT_ID, A.SURNAME, A.GIVEN_NAME, A.UID], ldap3.LEVEL):
                names[str(first(entry.get(A.ACCOUNT_ID), ""))] = _named(entry)
    missing = [i for i in wanted if i not in names]
    for start in range(0, len(missing), 100):      # an account a merge set aside, while its undo is possible
        chunk = any_of(*(equals(A.ACCOUNT_ID, i) for i in missing[start:start + 100]))
        for _, entry in directory.search(directory.base(A.MERGES), all_of(equals(A.OBJECT_CLASS, A.OC_ACCOUNT), chunk),
                                         [A.ACCOUNT_ID, A.SURNAME, A.GIVEN_NAME, A.UID]):
            names[str(first(entry.get(A.ACCOUNT_ID), ""))] = f"{_named(entry)}, mis de côté par une fusion"
    return names


def _named(entry: dict) -> str:
    label = f"{str(first(entry.get(A.SURNAME), '')).upper()} {first(entry.get(A.GIVEN_NAME), '')}".strip()
    uid = first(entry.get(A.UID), "")
    return f"{label} ({uid})" if uid else label


def purge(directory, keep_days: int, now: datetime | None = None, everything: bool = False) -> int:
    """Remove the closed records older than `keep_days` days; the purge itself is recorded. Returns how
    many. By default the days of PURGE_LOOKBACK_DAYS before the limit, read from the day index (the
    workers' daily turn); `everything`: every record of the branch is looked at (the CLI, once)."""
    now = now or datetime.now(timezone.utc)
    limit = now - timedelta(days=keep_days)
    if everything:
        older = none_of(at_least(A.CREATED, ldap_time(limit)))
    else:
        last = limit.astimezone(PARIS).date()
        older = all_of(any_of(*(equals(A.AUDIT_DAY, f"{last - timedelta(days=n):%Y%m%d}")
                                for n in range(1, PURGE_LOOKBACK_DAYS + 1))))
    old = directory.search(directory.base(A.AUDIT),
                           all_of(equals(A.OBJECT_CLASS, A.OC_AUDIT), older,
                                  none_of(equals(A.JOB_STATE, "open"))), ["1.1"], ldap3.LEVEL)
    for dn, _ in old:
        try:
            directory.writes.run(lambda conn, dn=dn: conn.delete(dn))
        except NotFound:
            pass     # another worker's purge took it
    if old:
        record(directory, "sesame", PURGE, None, f"{len(old)} enregistrement(s) de plus de {keep_days} jours supprimé(s)")
    return len(old)
