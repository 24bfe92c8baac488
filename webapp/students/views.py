"""The account screens (« Élèves », « Élèves extérieurs », « Responsables »): live search, selection
across pages, and the student's profile, for one establishment."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from directory.errors import NotFound
from directory.lifecycle import ShownPassword, shown_password
from directory.model import AccountState, Role
from directory.search import Page

from ..access import current_uai, staff
from .. import once
from ..accounts import accounts_of
from ..extensions import directory
from ..rendering import page_or_fragment, wants_fragment
from ..rights import Right, may, requires
from ..selection import Selection
from . import query as student_query
from .population import ALL, STUDENTS, current, ep, mef_word

# one blueprint per population, named after it; every view below serves each of them
BLUEPRINTS = {population.name: Blueprint(population.name, __name__) for population in ALL}
bp = BLUEPRINTS[STUDENTS.name]

ACTIONS = {
    # the form's view: its label, the right that offers it
    "notify_form": ("(Re)Notifier les comptes", Right.NOTIFY),
    "list_form": ("Lister les comptes", Right.LIST),
    "reset_form": ("Réinitialiser les mots de passe", Right.RESET),
}


def route(rule: str, populations=ALL, **options):
    """The same view for each population, under its own URL and blueprint."""
    def register(view):
        for population in populations:
            BLUEPRINTS[population.name].add_url_rule(population.prefix + rule, view_func=view, **options)
        return view
    return register


def population_right():
    """Each population's pages, for those with the right to see it (support staff help the
    establishment's own students only: SPEC §6)."""
    if current_user.is_authenticated and not may(staff().role, current().right):
        abort(403)


for _blueprint in BLUEPRINTS.values():
    _blueprint.before_request(population_right)


def _repo():
    """The accounts of the page's population."""
    return directory.current.population(current().accounts)


@bp.app_context_processor
def population_context():
    """Every page's: the population it serves and its endpoints (its tab is its blueprint's: access.tab_here)."""
    return {"ep": ep, "pop": current()}


def _selection(uai: str) -> Selection:
    return Selection(current().name, uai)


def _reference(uai: str):
    """Classes and MEFs by code, and the establishments of attachment of external students: the
    criteria and labels of the page (read once per request)."""
    key = f"reference:{current().name}:{uai}"
    if key not in g:
        setattr(g, key, _read_reference(uai))
    return getattr(g, key)


def _read_reference(uai: str):
    return current().read_reference(uai)


def _query(source, uai):
    classes, mefs, attachments = _reference(uai)
    return student_query.parse(source, current(), classes, mefs, attachments), classes, mefs


SELECTION_REFUSED = "La sélection envoyée n'est pas valide : rechargez la page et recommencez."


def _form_query(uai):
    """The search a POST acts on, as the page it came from showed it, and the ticks it sends; refused (400, in
    French) if either is not what the page sends."""
    query, classes, mefs = _query(request.form, uai)
    if query.errors:
        abort(400, " ".join(query.errors))
    ticks = request.form.getlist("ids") + request.form.getlist("affiches")
    if any(not student_query.ACCOUNT_ID.match(i) for i in ticks) or \
            any(request.form.get(flag, "1") != "1" for flag in ("tout", "tout_avant")):
        abort(400, SELECTION_REFUSED)
    return query, classes, mefs


def _results_context(uai: str, query, classes, mefs) -> dict:
    if query.errors:
        page = Page(number=query.page)
    else:
        page = _repo().search(uai, query.criteria, query.sort, query.reverse, query.page)
        if not page.items and page.number > page.pages:    # past the end (an old link): the last page
            query.page = page.pages
            page = _repo().search(uai, query.criteria, query.sort, query.reverse, query.page)
    selection = _selection(uai)
    shown = [s.account_id for s in page.items]
    selected = selection.which(shown)
    # the header box is ticked only when every student of the search is selected, on every page
    all_selected = (bool(shown) and len(selected) == len(shown) and selection.count() >= page.total
                    and len(selection.which(_repo().ids(uai, query.criteria))) == page.total)
    return {
        "query": query, "page": page, "classes": classes, "mefs": mefs, "selected": selected,
        "all_selected": all_selected,
        "selected_count": selection.count(), "states": list(AccountState),
        "state_codes": student_query.CODE_OF_STATE, "sorts": student_query.AccountSort,
        "base": url_for(ep("index")), "actions": _actions_for(staff().role),
        "attachments": _reference(uai)[2],
        "follow_up": student_query.follow_up_labels(query.criteria),      # « À faire » criteria (issue 15)
        "follow_up_args": student_query.follow_up_args(query.criteria),
        "children_of": _children_here(uai, page.items) if current().searches_children else {},
        "mef_word": mef_word(uai),
        **_columns(uai, page),
    }


def _children_here(uai: str, parents) -> dict[str, list]:
    """Each parent's children attached to this establishment, by name."""
    found = directory.current.students.children_here(uai, {parent.account_id: parent.children for parent in parents})
    return {parent: sorted(children, key=lambda s: s.display_name) for parent, children in found.items()}


def _columns(uai: str, page) -> dict:
    """The population's columns for the role; the dépannage table (SPEC §6) shows provisional passwords. A
    primary school's pupils have a « Niveau » where the others have a MEF."""
    role = staff().role
    word = mef_word(uai)
    columns = [(sort, word if label == "MEF" else label) for sort, label in current().columns(role)]
    if not current().shows_passwords(role):
        return {"columns": columns, "support": False, "passwords": {}}
    notified = [s.account_id for s in page.items if s.state is AccountState.NOTIFIED]
    return {"columns": columns, "support": True, "passwords": _provisional_passwords(uai, notified)}


def _provisional_passwords(uai: str, account_ids) -> dict[str, str]:
    """The provisional passwords the dépannage column shows: only those that still sign in (the others are
    « expiré », and their seal is not even opened)."""
    accounts = accounts_of(current().accounts)
    days = current_app.config["SESAME_PROVISIONAL_DAYS"]
    return {i: accounts.provisional_password(r) or "" for i, r in accounts.read(uai, account_ids).items()
            if shown_password(r.state, r.password_changed, days) is ShownPassword.PROVISIONAL}


def _actions_for(role: Role) -> dict:
    # support staff reset and list; notifying is the head's (SPEC §6)
    return {ep(k): label for k, (label, right) in ACTIONS.items() if may(role, right)}


@route("")
@login_required
def index():
    uai = current_uai()
    query, classes, mefs = _query(request.args, uai)
    context = _results_context(uai, query, classes, mefs)
    just_reset = None if wants_fragment() else once.take("just_reset")   # a row's reset without JavaScript
    if just_reset:
        account_id, password = just_reset["account_id"], just_reset["password"]
        _, student = _repo().get(uai, account_id)
        context["passwords"] = {**context["passwords"], account_id: password}
        context.update(reset_id=account_id, done={"student": student, "password": password})
    status = 400 if query.errors else 200
    return page_or_fragment("students/index.html", "students/partial/results.html", status, **context)


def _back_to_search(query):
    return redirect(query.url(url_for(ep("index"))))


def _results_or_back(uai, query, classes, mefs):
    if wants_fragment():
        return page_or_fragment("students/index.html", "students/partial/results.html",
                                oob_counter=True, **_results_context(uai, query, classes, mefs))
    return _back_to_search(query)


@route("/selection", methods=["POST"])
@login_required
def toggle():
    """One row's checkbox: the student is added to or taken from the selection."""
    uai = current_uai()
    account_id = request.form.get("id", "")
    if not student_query.ACCOUNT_ID.match(account_id) or \
            not _repo().existing(uai, [account_id]):
        abort(404)
    selection = _selection(uai)
    if account_id in request.form.getlist("ids"):
        selection.add([account_id])
        return render_template("students/partial/counter.html", selected_count=selection.count())
    selection.remove([account_id])
    # one student out: the heading's box can no longer say "the whole search"
    return (render_template("students/partial/counter.html", selected_count=selection.count())
            + render_template("students/partial/select_all.html", all_selected=False, oob_select_all=True))


@route("/selection/tout", methods=["POST"])
@login_required
def toggle_all():
    """The header checkbox: every student of the search, on every page, in or out."""
    uai = current_uai()
    query, classes, mefs = _form_query(uai)
    ids = _repo().ids(uai, query.criteria)
    if request.form.get("tout"):
        _selection(uai).add(ids)
    else:
        _selection(uai).remove(ids)
    return _results_or_back(uai, query, classes, mefs)


@route("/selection/page", methods=["POST"])
@login_required
def update_page():
    """Without JavaScript: the ticks of the page shown are taken in at once."""
    uai = current_uai()
    query, classes, mefs = _form_query(uai)
    selection = _selection(uai)
    was_all, now_all = bool(request.form.get("tout_avant")), bool(request.form.get("tout"))
    if now_all != was_all:
        ids = _repo().ids(uai, query.criteria)
        (selection.add if now_all else selection.remove)(ids)
    else:
        shown = set(request.form.getlist("affiches")[:500])
        valid = _repo().existing(uai, [i for i in shown if student_query.ACCOUNT_ID.match(i)])
        ticked = set(request.form.getlist("ids")) & valid
        selection.add(ticked)
        selection.remove(valid - ticked)
    return _back_to_search(query)


@route("/selection/vider", methods=["POST"])
@login_required
def clear():
    uai = current_uai()
    query, classes, mefs = _form_query(uai)
    _selection(uai).clear()
    return _results_or_back(uai, query, classes, mefs)


# the full record (birth date, parents) stays with the establishment of attachment
@route("/fiche/<account_id>", populations=(STUDENTS,))
@login_required
@requires(Right.OPEN_PROFILE)   # support staff see the columns of their table (SPEC §6), not this
def profile(account_id):
    uai = current_uai()
    if not student_query.ACCOUNT_ID.match(account_id):
        abort(404)
    try:
        dn, student = directory.current.students.get(uai, account_id)
    except NotFound:
        abort(404)
    classes, mefs, _ = _reference(uai)
    attachment = directory.current.establishment(student.uai)
    shared = directory.current.establishments(list(student.external_uais)) if student.external_uais else []
    return page_or_fragment("students/profile.html", "students/partial/profile.html", student=student,
                            guardians=directory.current.students.guardians(dn), classes=classes,
                            mefs=mefs, attachment=attachment, shared=shared, mef_word=mef_word(uai))


@route("/fiche", populations=(STUDENTS,))
@login_required
def close_profile():
    """Closing the profile panel: an empty fragment (a plain link back to the list without JS)."""
    if wants_fragment():
        return ""
    return redirect(url_for("students.index"))
