"""Reading the « Élèves » search from the URL: criteria, sort and page, with refusals in French."""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timezone
from urllib.parse import urlencode

from directory.model import AccountState
from directory.search import NAME_MAX_LENGTH, AccountCriteria, AccountSort

from ..edge import SORT_ORDER_REFUSED, SORT_ORDERS, one_of, parse_day

STATE_CODES = {"non-notifie": AccountState.NOT_NOTIFIED, "notifie": AccountState.NOTIFIED,
               "active": AccountState.ACTIVE}
CODE_OF_STATE = {state: code for code, state in STATE_CODES.items()}
ACCOUNT_ID = re.compile(r"^[0-9a-f]{32}$")
PAGE_NUMBER = re.compile(r"[0-9]{1,6}")      # ASCII digits only: "²".isdigit() is True


@dataclass
class StudentQuery:
    criteria: AccountCriteria = field(default_factory=AccountCriteria)
    sort: AccountSort = AccountSort.NAME
    reverse: bool = False
    page: int = 1
    errors: list[str] = field(default_factory=list)

    def args(self, **changes) -> dict:
        """The query as URL parameters, with some changed (`page=2`, `tri=...`)."""
        values = {
            "q": self.criteria.name,
            "enfant": self.criteria.child_name,
            "mef": self.criteria.mef,
            "classe": list(self.criteria.classes or self.criteria.child_classes),
            "rattachement": list(self.criteria.attachments),
            "etat": [CODE_OF_STATE[s] for s in self.criteria.states],
            **follow_up_args(self.criteria),
            "tri": self.sort.value if self.sort is not AccountSort.NAME else "",
            "ordre": "desc" if self.reverse else "",
            "page": self.page if self.page > 1 else "",
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in ("", None, [], 1)}

    def url(self, base: str, **changes) -> str:
        args = self.args(**changes)
        return base + ("?" + urlencode(args, doseq=True) if args else "")

    def sort_url(self, base: str, column: AccountSort) -> str:
        reverse = column is self.sort and not self.reverse
        return self.url(base, tri=column.value if column is not AccountSort.NAME else "",
                        ordre="desc" if reverse else "", page="")


# « Accueil »'s « À faire » criteria (issue 15) in the URL: dates are days, each a midnight UTC
NOTIFIED_BEFORE, PASSWORD_BEFORE, LOCKED, MAIL = "notifie-avant", "mdp-provisoire-avant", "bloque", "courriel"
YES, UNCONFIRMED = "oui", "non-confirme"
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment else ""


def follow_up_args(criteria: AccountCriteria) -> dict:
    return {NOTIFIED_BEFORE: _day(criteria.notified_before), PASSWORD_BEFORE: _day(criteria.password_given_before),
            LOCKED: YES if criteria.locked else "", MAIL: UNCONFIRMED if criteria.mail_unconfirmed else ""}


def criteria_args(criteria: AccountCriteria) -> dict:
    """The URL parameters of a search by these criteria (the « À faire » links)."""
    return StudentQuery(criteria=criteria).args()


def follow_up_labels(criteria: AccountCriteria) -> list[str]:
    """What the « À faire » criteria of a search say, as the page shows them."""
    labels = []
    if criteria.notified_before:
        labels.append(f"notifiés avant le {criteria.notified_before:%d/%m/%Y}")
    if criteria.password_given_before:
        labels.append(f"mot de passe provisoire donné avant le {criteria.password_given_before:%d/%m/%Y}")
    if criteria.locked:
        labels.append("comptes bloqués")
    if criteria.mail_unconfirmed:
        labels.append("adresse mail jamais confirmée")
    return labels


def _parse_day(args, name: str, errors: list) -> datetime | None:
    raw = args.get(name, "")
    if not raw:
        return None
    day = parse_day(raw) if DAY.fullmatch(raw) else None
    if day is None:
        errors.append(f"La date « {raw[:20]} » n'est pas une date valide (AAAA-MM-JJ, entre 1900 et 2100).")
        return None
    return datetime.combine(day, time.min, timezone.utc)


def _parse_flag(args, name: str, expected: str, errors: list) -> bool:
    raw = args.get(name, "")
    if raw and raw != expected:
        errors.append(f"Le critère « {name} » n'accepte que « {expected} ».")
    return raw == expected


def _parse_follow_up(args, criteria: AccountCriteria, errors: list) -> AccountCriteria:
    return replace(criteria, notified_before=_parse_day(args, NOTIFIED_BEFORE, errors),
                   password_given_before=_parse_day(args, PASSWORD_BEFORE, errors),
                   locked=_parse_flag(args, LOCKED, YES, errors),
                   mail_unconfirmed=_parse_flag(args, MAIL, UNCONFIRMED, errors))


def _known(args, name: str, known, refusal: str, errors: list) -> list[str]:
    """The values of a repeated parameter that are known; each unknown one said (shortened) in French."""
    kept = []
    for code in args.getlist(name):
        if code in known:
            kept.append(code)
        elif code:
            errors.append(refusal.format(code[:20]))
    return kept


def parse(args, population, class_codes, mef_codes, attachment_codes=()) -> StudentQuery:
    """Every refusal is collected and said; nothing unknown reaches the directory. For a population
    found by its children (parents), the name of a child and the classes are the children's."""
    query = StudentQuery()
    errors = query.errors
    child = ""
    searches_children = population.searches_children
    if searches_children:
        child = args.get("enfant", "")
        if len(child) > NAME_MAX_LENGTH:
            errors.append(f"Le nom d'un enfant est limité à {NAME_MAX_LENGTH} caractères.")
            child = ""
    name = args.get("q", "")
    if len(name) > NAME_MAX_LENGTH:
        errors.append(f"La recherche par nom ou prénom est limitée à {NAME_MAX_LENGTH} caractères.")
        name = ""
    mef = args.get("mef", "")
    if mef and mef not in mef_codes:
        errors.append("Le MEF demandé n'existe pas dans l'établissement.")
        mef = ""
    classes = _known(args, "classe", class_codes, "La classe « {} » n'existe pas dans l'établissement.", errors)
    attachments = _known(args, "rattachement", attachment_codes,
                         "L'établissement de rattachement « {} » n'a pas d'élève ici.", errors)
    states = [STATE_CODES[code] for code in _known(args, "etat", STATE_CODES,
                                                   "L'état de compte « {} » n'existe pas.", errors)]
    try:
        query.sort = AccountSort(args.get("tri") or AccountSort.NAME.value)
    except ValueError:
        errors.append("Ce tri n'est pas possible.")
    query.reverse = one_of(args, "ordre", SORT_ORDERS, errors, SORT_ORDER_REFUSED) == "desc"
    raw_page = args.get("page", "1") or "1"
    if PAGE_NUMBER.fullmatch(raw_page) and 1 <= int(raw_page) <= 100_000:
        query.page = int(raw_page)
    else:
        errors.append("Le numéro de page n'est pas valide.")
    classes = tuple(dict.fromkeys(classes))
    query.criteria = AccountCriteria(name=name, mef=mef, classes=() if searches_children else classes,
                                     states=tuple(dict.fromkeys(states)),
                                     attachments=tuple(dict.fromkeys(attachments)), child_name=child,
                                     child_classes=classes if searches_children else ())
    query.criteria = _parse_follow_up(args, query.criteria, errors)
    return query
