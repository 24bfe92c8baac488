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
from ..figures import figures_of
from ..students.population import FIGURED, STUDENTS, Population
from . import charts

bp = Blueprint("stats", __name__)


POPULATIONS = {p.code: p for p in FIGURED}      # each by the code its URL names it by
GROUP_HEADER = ["Comptes", "Non notifiés", "Notifiés et non activés", "Activés", "Taux de notification (%)",
                "Taux d'activation (%)"]


def _population() -> Population:
    shown = POPULATIONS.get(request.args.get("population", FIGURED[0].code))
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


def _groups(shown: Population, figures: PopulationFigures, uai: str, by: str) -> list[Group]:
    if by == "classe":
        labels = {c.code: c.label for c in directory.current.classes(uai)}
        tallies, link = figures.by_class, lambda code: url_for(shown.search_screen, classe=code)
    else:
        labels = {m.code: m.label for m in directory.current.mefs(uai)}
        tallies = figures.by_mef
        link = (lambda code: url_for(shown.search_screen, mef=code)) if shown.searched_by_mef else None
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
    figures = snapshot.populations[shown.name]
    by_class, by_mef = _groups(shown, figures, uai, "classe"), _groups(shown, figures, uai, "mef")
    noun = shown.caption.lower()

    def bars(title, groups, key):
        rows = [(g.code, f"{g.code} {g.label}".strip() if key == "classe" else g.label or g.code,
                 g.tally.notification_rate, g.tally.activation_rate) for g in groups]
        links = {g.code: g.link for g in groups}
        return charts.rate_bars(title, rows, (lambda code: links[code]) if any(links.values()) else None)

    weeks = _week_rows(figures.weeks)
    drawn = charts.drawn((uai, shown.code, snapshot.computed_at), lambda: (
        bars(f"{shown.caption} : taux de notification et d'activation par classe", by_class, "classe"),
        bars(f"{shown.caption} : taux de notification et d'activation par MEF", by_mef, "mef"),
        charts.cumulative_lines(f"{shown.caption} : comptes notifiés et activés depuis la rentrée (cumul)", weeks)))
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
    figures = figures_of(uai).populations[shown.name]
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

def _sorts() -> dict:
    """code: (column heading, key of an Overview row): the establishment, then four columns a population."""
    sorts = {"uai": ("UAI", lambda r: r.establishment.uai), "nom": ("Établissement", lambda r: r.establishment.name.lower())}
    for p in FIGURED:
        sorts.update({
            p.code: (p.caption, lambda r, n=p.name: r.tallies[n].accounts),
            f"{p.code}-actives": (f"{p.caption} activés", lambda r, n=p.name: r.tallies[n].active),
            f"{p.code}-notification": (f"{p.caption} : taux de notification (%)",
                                       lambda r, n=p.name: r.tallies[n].notification_rate),
            f"{p.code}-activation": (f"{p.caption} : taux d'activation (%)", lambda r, n=p.name: r.tallies[n].activation_rate),
        })
    return sorts


SORTS = _sorts()
WEEKS_OF = STUDENTS         # the whole directory's weeks are its students'


@dataclass(frozen=True)
class OverviewRow:
    establishment: object
    tallies: dict[str, Tally]       # by population
    computed_at: float


def _overview():
    """Every establishment's figures (each at most SESAME_FIGURES_OVERVIEW_SECONDS old), the directory's
    sums and its weeks."""
    max_age = current_app.config["SESAME_FIGURES_OVERVIEW_SECONDS"]
    rows, weeks = [], {}
    for establishment in directory.current.establishments():
        snapshot = figures_of(establishment.uai, max_age)
        rows.append(OverviewRow(establishment, {p.name: snapshot.populations[p.name].total for p in FIGURED},
                                snapshot.computed_at))
        for week in snapshot.populations[WEEKS_OF.name].weeks:
            total = weeks.setdefault(week.ends, [0, 0])
            total[0] += week.notified
            total[1] += week.activated
    totals = {p.name: Tally() for p in FIGURED}
    for row in rows:
        for name, tally in row.tallies.items():
            totals[name].not_notified += tally.not_notified
            totals[name].notified += tally.notified
            totals[name].active += tally.active
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


OVERVIEW_HEADER = ["UAI", "Établissement"] + [f"{p.caption}{column}" for p in FIGURED for column in (
    "", " non notifiés", " notifiés et non activés", " activés", " : taux de notification (%)",
    " : taux d'activation (%)")]


@bp.route("/statistiques/etablissements")
@login_required
@requires(Right.SEE_STATS, Right.COMPARE_ESTABLISHMENTS)
def establishments():
    rows, totals, weeks = _overview()
    rows, sort, reverse = _sorted(rows)
    oldest = min((r.computed_at for r in rows), default=None)
    chart = charts.drawn(("directory", tuple(r.computed_at for r in rows)), lambda: charts.cumulative_lines(
        f"Tout l'annuaire : {WEEKS_OF.nouns} notifiés et activés depuis la rentrée (cumul)", weeks))
    return render_template("stats/establishments.html", rows=rows, totals=totals, weeks=weeks, sort=sort,
                           reverse=reverse, sorts=SORTS, numbers=_numbers, oldest=oldest, week_chart=chart,
                           populations=FIGURED, weeks_of=WEEKS_OF)


@bp.route("/statistiques/<any(etablissements, annuaire):table>.csv")
@login_required
@requires(Right.SEE_STATS, Right.COMPARE_ESTABLISHMENTS)
def export_all(table):
    rows, _, weeks = _overview()
    if table == "annuaire":
        return _csv("statistiques-annuaire-semaines.csv", ["Semaine se terminant le", f"{WEEKS_OF.caption} notifiés (cumul)",
                                                           f"{WEEKS_OF.caption} activés (cumul)"], weeks)
    rows, _, _ = _sorted(rows)
    return _csv("statistiques-etablissements.csv", OVERVIEW_HEADER,
                [[r.establishment.uai, r.establishment.name] + [n for p in FIGURED for n in _numbers(r.tallies[p.name])]
                 for r in rows])

