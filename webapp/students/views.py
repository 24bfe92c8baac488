"""« Élèves »: live search, selection across pages, and the student's profile, for one establishment."""
from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import login_required

from directory.errors import NotFound
from directory.students import StudentSort
from directory.model import AccountState, Role
from directory.students import Page

from ..access import current_uai, roles_allowed, staff
from ..accounts import student_accounts
from ..extensions import directory
from ..rendering import page_or_fragment, wants_fragment
from ..selection import Selection
from . import query as student_query

bp = Blueprint("students", __name__)

STAFF = (Role.HEAD, Role.ADMIN, Role.SUPPORT)
ACTIONS = {
    "students.notify_form": "(Re)Notifier les comptes",
    "students.list_form": "Lister les comptes",
    "students.reset_form": "Réinitialiser les mots de passe",
}


def _selection(uai: str) -> Selection:
    return Selection("students", uai)


def _reference(uai: str):
    classes = {c.code: c for c in directory.current.classes(uai)}
    mefs = {m.code: m for m in directory.current.mefs(uai)}
    return classes, mefs


def _query(source, uai):
    classes, mefs = _reference(uai)
    return student_query.parse(source, classes, mefs), classes, mefs


def _form_query(uai):
    """The search a POST acts on, as the page it came from showed it; refused if it was not valid."""
    query, classes, mefs = _query(request.form, uai)
    if query.errors:
        abort(400)
    return query, classes, mefs


def _results_context(uai: str, query, classes, mefs) -> dict:
    if query.errors:
        page = Page(number=query.page)
    else:
        page = directory.current.students.search(uai, query.criteria, query.sort, query.reverse, query.page)
        if not page.items and page.number > page.pages:    # past the end (an old link): the last page
            query.page = page.pages
            page = directory.current.students.search(uai, query.criteria, query.sort, query.reverse, query.page)
    selection = _selection(uai)
    shown = [s.account_id for s in page.items]
    selected = selection.which(shown)
    # the header box is ticked only when every student of the search is selected, on every page
    all_selected = (bool(shown) and len(selected) == len(shown) and selection.count() >= page.total
                    and len(selection.which(directory.current.students.ids(uai, query.criteria))) == page.total)
    return {
        "query": query, "page": page, "classes": classes, "mefs": mefs, "selected": selected,
        "all_selected": all_selected,
        "selected_count": selection.count(), "states": list(AccountState),
        "state_codes": student_query.CODE_OF_STATE, "sorts": student_query.StudentSort,
        "base": url_for("students.index"), "actions": _actions_for(staff().role),
        **_columns(uai, page),
    }


HEAD_COLUMNS = [(StudentSort.NAME, "Élève"), (StudentSort.CLASS, "Classe"), (StudentSort.MEF, "MEF"),
                (StudentSort.IDENTIFIER, "Identifiant"), (StudentSort.STATE, "Statut du compte"),
                (StudentSort.ORIGIN, "Origine du compte"), (StudentSort.NOTIFIED, "Date de notification"),
                (StudentSort.LAST_LOGIN, "Date de dernière connexion")]
SUPPORT_COLUMNS = [(StudentSort.NAME, "Élève"), (StudentSort.CLASS, "Classe"), (StudentSort.MEF, "MEF"),
                   (StudentSort.IDENTIFIER, "Identifiant"), (None, "Mot de passe"),
                   (StudentSort.STATE, "Statut du compte"), (None, "Email")]


def _columns(uai: str, page) -> dict:
    """The dépannage table (SPEC §6) for support staff: the provisional password and the e-mail
    instead of origin and dates; the head's table otherwise."""
    if staff().role is not Role.SUPPORT:
        return {"columns": HEAD_COLUMNS, "support": False, "passwords": {}}
    notified = [s.account_id for s in page.items if s.state is AccountState.NOTIFIED]
    return {"columns": SUPPORT_COLUMNS, "support": True, "passwords": _provisional_passwords(uai, notified)}


def _provisional_passwords(uai: str, account_ids) -> dict[str, str]:
    accounts = student_accounts()
    return {i: accounts.provisional_password(r) or "" for i, r in accounts.read(uai, account_ids).items()}


def _actions_for(role: Role) -> dict:
    # support staff reset and list; notifying is the head's (SPEC §6)
    return {k: v for k, v in ACTIONS.items() if not (role is Role.SUPPORT and k == "students.notify_form")}


@bp.route("/eleves")
@login_required
@roles_allowed(*STAFF)
def index():
    uai = current_uai()
    query, classes, mefs = _query(request.args, uai)
    context = _results_context(uai, query, classes, mefs)
    status = 400 if query.errors else 200
    return page_or_fragment("students/index.html", "students/partial/results.html", status, **context)


def _back_to_search(query):
    return redirect(query.url(url_for("students.index")))


def _results_or_back(uai, query, classes, mefs):
    if wants_fragment():
        return page_or_fragment("students/index.html", "students/partial/results.html",
                                oob_counter=True, **_results_context(uai, query, classes, mefs))
    return _back_to_search(query)


@bp.route("/eleves/selection", methods=["POST"])
@login_required
@roles_allowed(*STAFF)
def toggle():
    """One row's checkbox: the student is added to or taken from the selection."""
    uai = current_uai()
    account_id = request.form.get("id", "")
    if not student_query.ACCOUNT_ID.match(account_id) or not directory.current.students.existing(uai, [account_id]):
        abort(404)
    selection = _selection(uai)
    if account_id in request.form.getlist("ids"):
        selection.add([account_id])
        return render_template("students/partial/counter.html", selected_count=selection.count())
    selection.remove([account_id])
    # one student out: the heading's box can no longer say "the whole search"
    return (render_template("students/partial/counter.html", selected_count=selection.count())
            + render_template("students/partial/select_all.html", all_selected=False, oob_select_all=True))


@bp.route("/eleves/selection/tout", methods=["POST"])
@login_required
@roles_allowed(*STAFF)
def toggle_all():
    """The header checkbox: every student of the search, on every page, in or out."""
    uai = current_uai()
    query, classes, mefs = _form_query(uai)
    ids = directory.current.students.ids(uai, query.criteria)
    if request.form.get("tout"):
        _selection(uai).add(ids)
    else:
        _selection(uai).remove(ids)
    return _results_or_back(uai, query, classes, mefs)


@bp.route("/eleves/selection/page", methods=["POST"])
@login_required
@roles_allowed(*STAFF)
def update_page():
    """Without JavaScript: the ticks of the page shown are taken in at once."""
    uai = current_uai()
    query, classes, mefs = _form_query(uai)
    selection = _selection(uai)
    was_all, now_all = bool(request.form.get("tout_avant")), bool(request.form.get("tout"))
    if now_all != was_all:
        ids = directory.current.students.ids(uai, query.criteria)
        (selection.add if now_all else selection.remove)(ids)
    else:
        shown = set(request.form.getlist("affiches")[:500])
        valid = directory.current.students.existing(uai, [i for i in shown if student_query.ACCOUNT_ID.match(i)])
        ticked = set(request.form.getlist("ids")) & valid
        selection.add(ticked)
        selection.remove(valid - ticked)
    return _back_to_search(query)


@bp.route("/eleves/selection/vider", methods=["POST"])
@login_required
@roles_allowed(*STAFF)
def clear():
    uai = current_uai()
    _selection(uai).clear()
    query, classes, mefs = _query(request.form, uai)
    if query.errors:
        return redirect(url_for("students.index"))
    return _results_or_back(uai, query, classes, mefs)


@bp.route("/eleves/fiche/<account_id>")
@login_required
@roles_allowed(Role.HEAD, Role.ADMIN)   # support staff see the columns of their table (SPEC §6), not this
def profile(account_id):
    uai = current_uai()
    if not student_query.ACCOUNT_ID.match(account_id):
        abort(404)
    try:
        dn, student = directory.current.students.get(uai, account_id)
    except NotFound:
        abort(404)
    classes, mefs = _reference(uai)
    attachment = directory.current.establishment(student.uai)
    shared = directory.current.establishments(list(student.external_uais)) if student.external_uais else []
    return page_or_fragment("students/profile.html", "students/partial/profile.html", student=student,
                            guardians=directory.current.students.guardians(dn), classes=classes,
                            mefs=mefs, attachment=attachment, shared=shared)


@bp.route("/eleves/fiche")
@login_required
def close_profile():
    """Closing the profile panel: an empty fragment (a plain link back to the list without JS)."""
    if wants_fragment():
        return ""
    return redirect(url_for("students.index"))
