"""« Accès au guide »: the in-app guide, a page per screen, linked from every screen."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from directory.model import Role

from .access import staff
from .rights import Right, may

bp = Blueprint("help", __name__)

PAGES = {
    # page: (title, the right that reads it; None: everyone)
    "sommaire": ("Guide de Sésame", None),
    "etats": ("Les états d'un compte", None),
    "eleves": ("Rechercher et sélectionner des élèves", Right.HEADS_GUIDE),
    "depannage": ("Dépannage des comptes élèves", None),
    "exterieurs": ("Élèves extérieurs", Right.SEE_EXTERNAL),
    "responsables": ("Responsables", Right.SEE_GUARDIANS),
    "notifier": ("(Re)notifier des comptes élèves", Right.NOTIFY),
    "reinitialiser": ("Réinitialiser les mots de passe", Right.RESET),
    "lister": ("Éditer une liste des comptes élèves", Right.LIST),
    "operations": ("Suivre une opération", None),
}


def _reads(role: Role, page: str) -> bool:
    right = PAGES[page][1]
    return right is None or may(role, right)
# which page answers « Accès au guide » on each screen
FOR_SCREEN = {
    "students.index": "eleves", "students.profile": "eleves", "students.notify_form": "notifier",
    "students.notify": "notifier", "students.reset_form": "reinitialiser", "students.reset": "reinitialiser",
    "students.reset_one": "depannage", "students.list_form": "lister", "students.make_list": "lister",
    "jobs.index": "operations", "jobs.show": "operations",
    "external.index": "exterieurs", "guardians.index": "responsables",
}


def page_for(endpoint: str | None, role: Role) -> str:
    page = FOR_SCREEN.get(endpoint or "", "sommaire")
    if page == "eleves" and may(role, Right.TROUBLESHOOT):
        return "depannage"
    return page if _reads(role, page) else "sommaire"


@bp.route("/aide")
@bp.route("/aide/<page>")
@login_required
def show(page="sommaire"):
    if page not in PAGES:
        abort(404)
    title, _ = PAGES[page]
    if not _reads(staff().role, page):
        abort(403)
    pages = [(name, t) for name, (t, _) in PAGES.items() if _reads(staff().role, name)]
    return render_template(f"help/{page}.html", title=title, pages=pages, page=page)


@bp.app_context_processor
def guide_link():
    if not current_user or not getattr(current_user, "is_authenticated", False):
        return {}
    try:
        return {"guide_page": page_for(request.endpoint, staff().role)}
    except Exception:   # noqa: BLE001 - an error page still renders, without the link
        return {}
