"""Account lists (« Lister les comptes »): PDF by class and CSV, exactly the columns of SPEC §5."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import groupby
from typing import Callable

from directory.lifecycle import ShownPassword, shown_password
from directory.model import AccountState, Establishment, last_sign_in
from directory.names import sort_name

from ..formatting import date_fr
from .pdf import html_to_pdf, render_document

ROWS_PER_PAGE = 30
HIDDEN_PASSWORD = "*****"
# a provisional password that no longer signs in is never printed: this instead, saying how to renew it
EXPIRED_PASSWORD = "expiré : réinitialisez le mot de passe"
EXPIRED_NOTE = ("« expiré » : ce mot de passe provisoire ne permet plus de se connecter. « Réinitialiser les mots "
                "de passe » (ou « (Re)Notifier les comptes ») en donne un nouveau.")
LIST_STATE_LABELS = {AccountState.NOT_NOTIFIED: "Compte non notifié",
                     AccountState.NOTIFIED: "Compte notifié et non activé",
                     AccountState.ACTIVE: "Compte activé"}
GUARDIAN_CSV_COLUMNS = ["UAI", "Établissement", "Nom responsable", "Prénom responsable", "Enfant(s)",
                        "État du compte", "Identifiant", "Mot de passe", "Date de notification",
                        "Date de dernière connexion"]
CSV_COLUMNS = ["UAI", "Établissement", "Nom élève", "Prénom élève", "MEF", "Classe", "État du compte",
               "Identifiant", "Mot de passe", "Date de notification", "Date de dernière connexion"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class ListRow:
    surname: str
    given_name: str
    state: AccountState
    identifier: str
    provisional_password: str | None
    class_code: str
    class_label: str
    mef_label: str
    notification_date: datetime | None
    last_login: datetime | None
    children: str = ""          # a parent's row: their children in the establishment
    password_changed: datetime | None = None    # when the current (provisional) password was given

    def password_shown(self, provisional_days: int) -> str:
        """Empty if never notified, stars once activated, the provisional password while it signs in,
        « expiré » (and how to renew it) once it no longer does."""
        shown = shown_password(self.state, self.password_changed, provisional_days)
        if shown is ShownPassword.PROVISIONAL:
            return self.provisional_password or ""
        return {ShownPassword.HIDDEN: HIDDEN_PASSWORD, ShownPassword.EXPIRED: EXPIRED_PASSWORD}.get(shown, "")

    def expired(self, provisional_days: int) -> bool:
        return shown_password(self.state, self.password_changed, provisional_days) is ShownPassword.EXPIRED

    @property
    def last_sign_in(self) -> datetime | None:
        return last_sign_in(self.state, self.last_login)

    @property
    def state_label(self) -> str:
        return LIST_STATE_LABELS[self.state]


def _by_name(row: ListRow):
    """The order of the screen (the directory sorts on the same folded name): AÏT OUALI before ANDRÉ."""
    return sort_name(row.given_name, row.surname), row.identifier


def _sorted(rows):
    return sorted(rows, key=lambda r: (r.class_code, *_by_name(r)))


def pages_by_class(rows: list[ListRow]):
    """(class code, class label, rows of one page, page number within the class, pages of the class):
    wkhtmltopdf does not repeat table heads, so each page carries its own."""
    for (code, label), group in groupby(_sorted(rows), key=lambda r: (r.class_code, r.class_label)):
        group = list(group)
        count = -(-len(group) // ROWS_PER_PAGE)
        for number in range(count):
            yield code, label, group[number * ROWS_PER_PAGE:(number + 1) * ROWS_PER_PAGE], number + 1, count


def safe_cell(value: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    value = "" if value is None else str(value)
    # spreadsheets skip leading spaces and line feeds before they look for a formula
    return "'" + value if value.lstrip(" \n\r\t\v\f\u00a0").startswith(FORMULA_STARTS) or \
        value.startswith(FORMULA_STARTS) else value


@dataclass(frozen=True)
class ListLayout:
    """How one population's accounts are listed: the CSV's columns and cells, the PDF's sections."""
    csv_columns: tuple[str, ...]
    cells: Callable[[Establishment, ListRow, int], tuple]     # a row's cells, given the provisional days
    by_class: bool = True      # one section per class; else one section, named `section`
    section: str = ""

    def _ordered(self, rows):
        return _sorted(rows) if self.by_class else sorted(rows, key=_by_name)

    def csv(self, establishment: Establishment, rows: list[ListRow], provisional_days: int) -> bytes:
        return csv_document(self.csv_columns, (self.cells(establishment, row, provisional_days)
                                               for row in self._ordered(rows)))

    def pdf(self, establishment: Establishment, rows: list[ListRow], provisional_days: int) -> bytes:
        if not self.by_class:
            rows = [replace(r, class_code=self.section, class_label=establishment.name) for r in rows]
        html = render_document("documents/list.html", establishment=establishment,
                               pages=[(*page, any(r.expired(provisional_days) for r in page[2]))
                                      for page in pages_by_class(rows)], guardians=not self.by_class,
                               days=provisional_days, expired_note=EXPIRED_NOTE)
        return html_to_pdf(html, items=len(rows))


STUDENT_LIST = ListLayout(tuple(CSV_COLUMNS), lambda establishment, row, days: (
    establishment.uai, establishment.name, row.surname, row.given_name, row.mef_label, row.class_code,
    row.state_label, row.identifier, row.password_shown(days), date_fr(row.notification_date),
    date_fr(row.last_sign_in)))
# one section: the parents of the establishment's students
GUARDIAN_LIST = ListLayout(tuple(GUARDIAN_CSV_COLUMNS), lambda establishment, row, days: (
    establishment.uai, establishment.name, row.surname, row.given_name, row.children, row.state_label,
    row.identifier, row.password_shown(days), date_fr(row.notification_date), date_fr(row.last_sign_in)),
    by_class=False, section="Responsables")


def csv_document(header, rows) -> bytes:
    """Any table as the lists' CSV: `;`, UTF-8 with BOM, formulas guarded."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows([safe_cell(v) for v in row] for row in rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")
