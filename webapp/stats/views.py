"""« Statistiques »: activation by class, by MEF and week by week for one establishment; every
establishment side by side and the whole directory for the identity team; each table as CSV."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_login import login_required

from directory.figures import NO_CLASS, PopulationFigures, Tally, Week

from ..access import current_uai, staff
from ..documents.lists import csv_document
from ..edge import SORT_ORDER_REFUSED, SORT_ORDERS
from ..extensions import directory
from ..formatting import date_fr
from ..rendering import csv_download
from ..rights import Right, may, requires
from . import charts
from .store import figures_of

bp = Blueprint("stats", __name__)


@dataclass(frozen=True)
class Shown:
    """A population as « Statistiques » shows it."""
    code: str                  # in the URL
    key: str                   # in the figures
    title: str
    right: Right
    search: str                # the endpoint of its search screen
    by_mef: bool               # its search has a MEF criterion


POPULATIONS = {p.code: p for p in (
    Shown("eleves", "students", "Élèves", Right.SEE_STUDENTS, "students.index", True),
    Shown("responsables", "guardians", "Responsables", Right.SEE_GUARDIANS, "guardians.index", False),
)}
GROUP_HEADER = ["Comptes", "Non notifiés", "Notifiés et non activés", "Activés", "Taux de notification (%)",
                "Taux d'activation (%)"]


def _population() -> Shown:
    shown = POPULATIONS.get(request.args.get("population", "eleves"))
    if shown is None:
        abort(404)
    if not may(staff().role, shown.right):
        abort(403)
    return shown


def _rate(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _numbers(tally: Tally) -> list:
    return [tally.accounts, tally.not_notified, tally.notified, tally.active, _rate(tally.notification_rate),
            _rate(tally.activation_rate)]


@dataclass(frozen=True)
class Group:
    code: str
    label: str
    tally: Tally
    link: str | None


def _groups(shown: Shown, figures: PopulationFigures, uai: str, by: str) -> list[Group]:
    if by == "classe":
        labels = {c.code: c.label for c in directory.current.classes(uai)}
        tallies, link = figures.by_class, lambda code: url_for(shown.search, classe=code)
    else:
        labels = {m.code: m.label for m in directory.current.mefs(uai)}
        tallies = figures.by_mef
        link = (lambda code: url_for(shown.search, mef=code)) if shown.by_mef else None
    groups = []
    for code in sorted(tallies, key=lambda c: (c == NO_CLASS, labels.get(c, c) if by == "mef" else c)):
        known = code != NO_CLASS and code in labels      # only a group of this establishment is searchable
        label = labels.get(code, "") if code != NO_CLASS else "(sans classe)" if by == "classe" else "(sans MEF)"
        groups.append(Group(code, label, tallies[code], link(code) if link and known else None))
    return groups


def _week_rows(weeks: list[Week]):
    return [(date_fr(_iso(w.ends)), w.notified, w.activated) for w in weeks]


def _iso(text: str) -> date:
    return date.fromisoformat(text)


@bp.route("/statistiques/graphiques.css")
def stylesheet():
    """pygal's CSS from our own origin (the CSP allows no inline style)."""
    response = Response(charts.stylesheet(), mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/statistiques")
@login_required
@requires(Right.SEE_STATS)
def index():
    uai = current_uai()
    shown = _population()
    snapshot = figures_of(uai)
    figures = snapshot.populations[shown.key]
    by_class, by_mef = _groups(shown, figures, uai, "classe"), _groups(shown, figures, uai, "mef")
    noun = shown.title.lower()

    def bars(title, groups, key):
        rows = [(g.code, f"{g.code} {g.label}".strip() if key == "classe" else g.label or g.code,
                 g.tally.notification_rate, g.tally.activation_rate) for g in groups]
        links = {g.code: g.link for g in groups}
        return charts.rate_bars(title, rows, (lambda code: links[code]) if any(links.values()) else None)

    weeks = _week_rows(figures.weeks)
    drawn = charts.drawn((uai, shown.code, snapshot.computed_at), lambda: (
        bars(f"{shown.title} : taux de notification et d'activation par classe", by_class, "classe"),
        bars(f"{shown.title} : taux de notification et d'activation par MEF", by_mef, "mef"),
        charts.cumulative_lines(f"{shown.title} : comptes notifiés et activés depuis la rentrée (cumul)", weeks)))
    return render_template(
        "stats/index.html", shown=shown, populations=[p for p in POPULATIONS.values() if may(staff().role, p.right)],
        snapshot=snapshot, figures=figures, by_class=by_class, by_mef=by_mef, weeks=weeks,
        class_chart=drawn[0], mef_chart=drawn[1], week_chart=drawn[2],
        numbers=_numbers, rate=_rate, noun=noun, compare=may(staff().role, Right.COMPARE_ESTABLISHMENTS))


def _csv(name: str, header, rows) -> Response:
    return csv_download(csv_document(header, rows), name)


@bp.route("/statistiques/<any(classes, mef, semaines):table>.csv")
@login_required
@requires(Right.SEE_STATS)
def export(table):
    uai = current_uai()
    shown = _population()
    establishment = directory.current.establishment(uai)
    figures = figures_of(uai).populations[shown.key]
    start = [establishment.uai, establishment.name]
    if table == "semaines":
        return _csv(f"statistiques-{shown.code}-semaines-{uai}.csv",
                    ["UAI", "Établissement", "Semaine se terminant le", "Notifiés (cumul)", "Activés (cumul)"],
                    [start + list(row) for row in _week_rows(figures.weeks)])
    by = "classe" if table == "classes" else "mef"
    header = ["UAI", "Établissement", "Classe" if by == "classe" else "MEF", "Libellé"] + GROUP_HEADER
    rows = [start + [g.code, g.label] + _numbers(g.tally) for g in _groups(shown, figures, uai, by)]
    return _csv(f"statistiques-{shown.code}-{table}-{uai}.csv", header, rows)


# --- the identity team: every establishment -------------------------------------------------

SORTS = {
    # code: (column heading, key of an Overview row)
    "uai": ("UAI", lambda r: r.establishment.uai),
    "nom": ("Établissement", lambda r: r.establishment.name.lower()),
    "eleves": ("Élèves", lambda r: r.students.accounts),
    "eleves-actives": ("Élèves activés", lambda r: r.students.active),
    "eleves-notification": ("Élèves : taux de notification (%)", lambda r: r.students.notification_rate),
    "eleves-activation": ("Élèves : taux d'activation (%)", lambda r: r.students.activation_rate),
    "responsables": ("Responsables", lambda r: r.guardians.accounts),
    "responsables-actives": ("Responsables activés", lambda r: r.guardians.active),
    "responsables-activation": ("Responsables : taux d'activation (%)", lambda r: r.guardians.activation_rate),
}


@dataclass(frozen=True)
class OverviewRow:
    establishment: object
    students: Tally
    guardians: Tally
    computed_at: float


def _overview():
    """Every establishment's figures (each at most SESAME_FIGURES_OVERVIEW_SECONDS old), the directory's
    sums and its weeks."""
    max_age = current_app.config["SESAME_FIGURES_OVERVIEW_SECONDS"]
    rows, weeks = [], {}
    for establishment in directory.current.establishments():
        snapshot = figures_of(establishment.uai, max_age)
        students, guardians = snapshot.populations["students"], snapshot.populations["guardians"]
        rows.append(OverviewRow(establishment, students.total, guardians.total, snapshot.computed_at))
        for week in students.weeks:
            total = weeks.setdefault(week.ends, [0, 0])
            total[0] += week.notified
            total[1] += week.activated
    totals = {"students": Tally(), "guardians": Tally()}
    for row in rows:
        for key, tally in (("students", row.students), ("guardians", row.guardians)):
            totals[key].not_notified += tally.not_notified
            totals[key].notified += tally.notified
            totals[key].active += tally.active
    week_rows = [(date_fr(_iso(ends)), n, a) for ends, (n, a) in sorted(weeks.items())]
    return rows, totals, week_rows


def _sorted(rows):
    sort = request.args.get("tri", "uai")
    if sort not in SORTS:
        abort(400, "Ce tri n'est pas possible.")
    if request.args.get("ordre", "") not in SORT_ORDERS:
        abort(400, SORT_ORDER_REFUSED)
    reverse = request.args.get("ordre") == "desc"
    return sorted(rows, key=SORTS[sort][1], reverse=reverse), sort, reverse


OVERVIEW_HEADER = ["UAI", "Établissement", "Élèves", "Élèves non notifiés", "Élèves notifiés et non activés",
                   "Élèves activés", "Élèves : taux de notification (%)", "Élèves : taux d'activation (%)",
                   "Responsables", "Responsables non notifiés", "Responsables notifiés et non activés",
                   "Responsables activés", "Responsables : taux de notification (%)",
                   "Responsables : taux d'activation (%)"]


@bp.route("/statistiques/etablissements")
@login_required
@requires(Right.SEE_STATS, Right.COMPARE_ESTABLISHMENTS)
def establishments():
    rows, totals, weeks = _overview()
    rows, sort, reverse = _sorted(rows)
    oldest = min((r.computed_at for r in rows), default=None)
    chart = charts.drawn(("directory", tuple(r.computed_at for r in rows)), lambda: charts.cumulative_lines(
        "Tout l'annuaire : élèves notifiés et activés depuis la rentrée (cumul)", weeks))
    return render_template("stats/establishments.html", rows=rows, totals=totals, weeks=weeks, sort=sort,
                           reverse=reverse, sorts=SORTS, numbers=_numbers, oldest=oldest, week_chart=chart)


@bp.route("/statistiques/<any(etablissements, annuaire):table>.csv")
@login_required
@requires(Right.SEE_STATS, Right.COMPARE_ESTABLISHMENTS)
def export_all(table):
    rows, _, weeks = _overview()
    if table == "annuaire":
        return _csv("statistiques-annuaire-semaines.csv",
                    ["Semaine se terminant le", "Élèves notifiés (cumul)", "Élèves activés (cumul)"], weeks)
    rows, _, _ = _sorted(rows)
    return _csv("statistiques-etablissements.csv", OVERVIEW_HEADER,
                [[r.establishment.uai, r.establishment.name] + _numbers(r.students) + _numbers(r.guardians)
                 for r in rows])

