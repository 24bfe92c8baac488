"""An establishment's figures: accounts per state, by class and by MEF, the « À faire » counts and the
school year week by week, read from the directory in a few lean searches."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import ldap3

from . import attributes as A
from .mapping import first, parse_time
from .model import AccountState
from .populations import FIGURED, Population
from .search import AccountCriteria

NOT_NOTIFIED, NOTIFIED, ACTIVE = (s.value for s in AccountState)
# a school year starts on 1 September
YEAR_START_MONTH = 9
LONG_WAIT_DAYS = 30          # « notifiés et non activés depuis plus de 30 jours »
EXPIRY_WARNING_DAYS = 15     # provisional passwords expiring within this many days are listed with the expired
NO_CLASS = ""                # an account without a class (or MEF) is counted in a row of its own


@dataclass
class Tally:
    """Accounts per state of one group (a class, a MEF, an establishment)."""
    not_notified: int = 0
    notified: int = 0            # « Notifié et non activé »
    active: int = 0

    def add(self, state: str) -> None:
        if state == ACTIVE:
            self.active += 1
        elif state == NOTIFIED:
            self.notified += 1
        else:
            self.not_notified += 1

    @property
    def accounts(self) -> int:
        return self.not_notified + self.notified + self.active

    @property
    def ever_notified(self) -> int:
        """Accounts that were given their letter: « Notifié et non activé » or « Activé »."""
        return self.notified + self.active

    @property
    def notification_rate(self) -> float:
        return 100.0 * self.ever_notified / self.accounts if self.accounts else 0.0

    @property
    def activation_rate(self) -> float:
        return 100.0 * self.active / self.accounts if self.accounts else 0.0

    def count(self, state: AccountState) -> int:
        return {AccountState.NOT_NOTIFIED: self.not_notified, AccountState.NOTIFIED: self.notified,
                AccountState.ACTIVE: self.active}[state]


@dataclass
class Week:
    ends: str                    # ISO date of the week's last day (Sunday)
    notified: int = 0            # cumulative: accounts whose notification date is on or before it
    activated: int = 0           # cumulative: accounts activated on or before it


@dataclass
class PopulationFigures:
    total: Tally = field(default_factory=Tally)
    by_class: dict[str, Tally] = field(default_factory=dict)
    by_mef: dict[str, Tally] = field(default_factory=dict)
    weeks: list[Week] = field(default_factory=list)
    follow_up: dict[str, int] = field(default_factory=dict)   # « À faire » line → count

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "PopulationFigures":
        return cls(Tally(**data["total"]), {k: Tally(**v) for k, v in data["by_class"].items()},
                   {k: Tally(**v) for k, v in data["by_mef"].items()}, [Week(**w) for w in data["weeks"]],
                   dict(data["follow_up"]))


@dataclass(frozen=True)
class FollowUp:
    """One « À faire » line: its key, what it says, the criteria of exactly its accounts."""
    key: str
    label: str
    criteria: AccountCriteria


def follow_ups(today: date, provisional_days: int) -> list[FollowUp]:
    """The « À faire » lines on `today` (UTC): every boundary is a midnight, so a count made this
    morning and the search opened this afternoon agree. No expiry line when passwords never expire."""
    midnight = lambda d: datetime.combine(d, time.min, timezone.utc)   # noqa: E731
    lines = [
        FollowUp("never-notified", "Comptes jamais notifiés", AccountCriteria(states=(AccountState.NOT_NOTIFIED,))),
        FollowUp("long-wait", f"Notifiés et non activés depuis plus de {LONG_WAIT_DAYS} jours",
                 AccountCriteria(states=(AccountState.NOTIFIED,),
                                 notified_before=midnight(today - timedelta(days=LONG_WAIT_DAYS)))),
    ]
    if provisional_days > 0:
        lines.append(FollowUp(
            "provisional-expiring",
            f"Mots de passe provisoires expirés ou expirant dans les {EXPIRY_WARNING_DAYS} jours",
            AccountCriteria(states=(AccountState.NOTIFIED,), password_given_before=midnight(
                today - timedelta(days=provisional_days - EXPIRY_WARNING_DAYS)))))
    lines += [
        FollowUp("locked", "Comptes bloqués après trop d'erreurs de mot de passe", AccountCriteria(locked=True)),
        FollowUp("mail-unconfirmed", "Adresses mail jamais confirmées", AccountCriteria(mail_unconfirmed=True)),
    ]
    return lines


def school_year_start(today: date) -> date:
    year = today.year if today.month >= YEAR_START_MONTH else today.year - 1
    return date(year, YEAR_START_MONTH, 1)


def week_ends(today: date) -> list[date]:
    """The Sunday ending each week of the school year so far, the current week's last."""
    start = school_year_start(today)
    end = start + timedelta(days=6 - start.weekday())
    ends = []
    while True:
        ends.append(end)
        if end >= today:
            return ends
        end += timedelta(days=7)


def _weeks(notified: list[date], activated: list[date], today: date) -> list[Week]:
    notified, activated = sorted(notified), sorted(activated)
    weeks, n, a = [], 0, 0
    for end in week_ends(today):
        while n < len(notified) and notified[n] <= end:
            n += 1
        while a < len(activated) and activated[a] <= end:
            a += 1
        weeks.append(Week(end.isoformat(), n, a))
    return weeks


def _day(value) -> date | None:
    moment = parse_time(first(value))
    return moment.date() if moment else None


class Figures:
    """Reads one establishment's figures, population by population (those counted here, `populations.FIGURED`):
    one lean search each for the state, the dates and what places an account in a class and a MEF — its own class
    and MEF, or, for a population found by its children (parents), each class and MEF of its children here; each
    « À faire » line: one search that returns DNs only, with the filter of its link."""

    DATES = [A.ACCOUNT_STATE, A.NOTIFICATION_DATE, A.ACTIVATION_DATE]

    def __init__(self, directory):
        self.directory = directory

    @classmethod
    def attributes(cls, population: Population) -> list[str]:
        """What the figures read of an account of `population`."""
        return cls.DATES + ([A.CHILD] if population.found_by_children else [A.CLASS_CODE, A.MEF_CODE])

    def _read(self, population: Population, uai: str) -> list[tuple[str, dict]]:
        return self.directory.search(self.directory.base(population.branch), population.in_establishment(uai),
                                     self.attributes(population), ldap3.LEVEL)

    def establishment(self, uai: str, today: date, provisional_days: int,
                      populations=FIGURED) -> dict[str, PopulationFigures]:
        """Each population's figures by its name; those found by their children after those they are placed by."""
        placed: dict[str, tuple[str, str]] = {}     # an account's DN (lower case) → (class, MEF)
        found = {}
        for population in sorted(populations, key=lambda p: p.found_by_children):
            found[population.name] = figures = self._figures(population, uai, placed, today)
            accounts = self.directory.population(population)
            figures.follow_up = {line.key: accounts.count(uai, line.criteria)
                                 for line in follow_ups(today, provisional_days)}
        return found

    def _figures(self, population: Population, uai: str, placed: dict, today: date) -> PopulationFigures:
        figures = PopulationFigures()
        notified, activated = [], []
        for dn, entry in self._read(population, uai):
            state = first(entry.get(A.ACCOUNT_STATE), NOT_NOTIFIED)
            figures.total.add(state)
            if population.found_by_children:     # in each class and each MEF of their children here
                here = {placed[c.lower()] for c in entry.get(A.CHILD) or () if c.lower() in placed}
            else:
                placed[dn.lower()] = (first(entry.get(A.CLASS_CODE), NO_CLASS), first(entry.get(A.MEF_CODE), NO_CLASS))
                here = {placed[dn.lower()]}
            for class_code in {c for c, _ in here}:
                figures.by_class.setdefault(class_code, Tally()).add(state)
            for mef in {m for _, m in here}:
                figures.by_mef.setdefault(mef, Tally()).add(state)
            self._dates(entry, state, notified, activated, today)
        figures.weeks = _weeks(notified, activated, today)
        return figures

    @staticmethod
    def _dates(entry: dict, state: str, notified: list, activated: list, today: date) -> None:
        """A notified or active account counts from its notification date; an active one from its
        activation date too (one activated before that date was kept: from the start of the year)."""
        if state == NOT_NOTIFIED:
            return
        notified.append(_day(entry.get(A.NOTIFICATION_DATE)) or school_year_start(today))
        if state == ACTIVE:
            activated.append(_day(entry.get(A.ACTIVATION_DATE)) or school_year_start(today))
