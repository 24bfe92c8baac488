"""« Journal des opérations »: who did what, when, on which accounts; filtered, paged, exported as CSV.
A head reads their establishment's, the identity team everyone's; support staff none (rights table)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, make_response, render_template, request

from directory import journal
from directory.delegations import PARIS
from directory.duplicates import merge as merging
from directory.model import Role
from flask_login import login_required

from ..access import current_uai, staff
from ..documents.lists import csv_document
from ..extensions import directory
from ..formatting import datetime_fr
from ..operations import detail
from ..rendering import csv_download
from ..rights import Right, may, requires
from ..edge import one_of, parse_day, short_text

bp = Blueprint("journal", __name__, url_prefix="/journal")

# with no person, account nor date asked: an establishment's last month, every establishment's day (pages
# that slapd sorts in tens of milliseconds, rather than a year's records)
DEFAULT_DAYS, DEFAULT_DAYS_EVERYWHERE = 31, 0
EXPORT_LIMIT = 50_000
CSV_HEADER = ["Date", "Personne", "Action", "Établissement", "Nombre de comptes", "Comptes", "Détail"]


@dataclass(frozen=True)
class Criteria:
    """The screen's criteria as typed (shown back in the form) and the query they make; `problems`: what
    could not be read, in French (nothing is searched then)."""
    person: str
    action: str
    since: str
    until: str
    account: str
    establishment: str
    page: int
    problems: tuple[str, ...] = ()


PAGE_NUMBER = re.compile(r"[0-9]{1,6}")


def _criteria() -> Criteria:
    args, problems = request.args, []
    raw_page = args.get("page", "1") or "1"
    if not PAGE_NUMBER.fullmatch(raw_page):
        problems.append("Le numéro de page n'est pas valide.")
    number = max(1, min(int(raw_page), 100_000)) if PAGE_NUMBER.fullmatch(raw_page) else 1
    person = short_text(args, "personne", 64, "Personne (identifiant)", problems)
    account = short_text(args, "compte", 100, "Compte (nom ou identifiant)", problems)
    action = one_of(args, "action", ("", *journal.ACTION_LABELS), problems,
                    "Cette action n'existe pas : choisissez-la dans la liste.")
    establishment = short_text(args, "etablissement", 8, "Établissement", problems)
    since, until = (short_text(args, name, 10, label, problems) for name, label in (("du", "Du"), ("au", "Au")))
    return Criteria(person, action, since, until, account, establishment, number, tuple(problems))


def _query(criteria: Criteria) -> tuple[journal.JournalQuery | None, list[str], str]:
    """The query, the French problems with the criteria (nothing is searched then), and a note on the period."""
    problems, note = list(criteria.problems), ""
    since = parse_day(criteria.since) if criteria.since else None
    until = parse_day(criteria.until) if criteria.until else None
    if criteria.since and since is None:
        problems.append("La date « Du » n'est pas une date (jj/mm/aaaa, entre 1900 et 2100).")
    if criteria.until and until is None:
        problems.append("La date « Au » n'est pas une date (jj/mm/aaaa, entre 1900 et 2100).")
    if since and until and until < since:
        problems.append("La date « Au » précède la date « Du ».")
    member = staff()
    if member.role is Role.ADMIN:
        uai = criteria.establishment or None
        if uai and uai not in member.uais:
            problems.append("Cet établissement n'existe pas.")
    else:
        uai = current_uai()      # a head's journal is their establishment's, whatever the address says
    if problems:
        return None, problems, note
    accounts = journal.accounts_matching(directory.current, criteria.account, uai) if criteria.account else None
    if not (since or until or criteria.person or criteria.account):
        since = datetime.now(PARIS).date() - timedelta(days=DEFAULT_DAYS if uai else DEFAULT_DAYS_EVERYWHERE)
        note = f"Sans critère de date, de personne ni de compte : les opérations depuis le {since:%d/%m/%Y}."
    return journal.JournalQuery(uai, criteria.person, criteria.action, since, until, accounts), problems, note


def _names(operations) -> dict[str, str]:
    return journal.names_of(directory.current, [a for o in operations for a in o.accounts[:3]])


def _merges(operations) -> dict:
    """The merges this page's records made, as they are now (for the identity team): a merge refused made none,
    and one undone or past its 30 days is only to be seen."""
    if not may(staff().role, Right.MERGE_DUPLICATES):
        return {}
    made = (merging.read_record(directory.current, o.id) for o in operations
            if o.action == merging.MERGE and o.is_job)
    return {record.id: record for record in made if record is not None}


@bp.route("")
@login_required
@requires(Right.SEE_JOURNAL)
def index():
    criteria = _criteria()
    query, problems, note = _query(criteria)
    found = journal.page(directory.current, query, criteria.page) if query else None
    establishments = directory.current.establishments() if staff().role is Role.ADMIN else []
    response = make_response(render_template(
        "journal/index.html", criteria=criteria, found=found, problems=problems, note=note,
        names=_names(found.operations) if found else {}, merges=_merges(found.operations) if found else {},
        actions=journal.ACTION_LABELS,
        establishments=establishments, export_args={k: v for k, v in request.args.items() if k != "page"}),
        400 if problems else 200)
    return response


@bp.route("/export.csv")
@login_required
@requires(Right.SEE_JOURNAL)
def export():
    query, problems, _ = _query(_criteria())
    if problems:
        return make_response(render_template("journal/index.html", criteria=_criteria(), found=None,
                                             problems=problems, note="", names={}, actions=journal.ACTION_LABELS,
                                             establishments=[], export_args={}), 400)
    operations = list(journal.every(directory.current, query, limit=EXPORT_LIMIT))
    names = journal.names_of(directory.current, [a for o in operations for a in o.accounts])
    rows = [[datetime_fr(o.when), o.actor, o.action_label, o.uai, str(len(o.accounts)),
             ", ".join(names.get(a, a) for a in o.accounts), detail(o.summary)] for o in operations]
    stamp = datetime.now(PARIS).strftime("%Y%m%d-%H%M")
    return csv_download(csv_document(CSV_HEADER, rows), f"journal-des-operations-{stamp}.csv")
