"""« Accès au guide »: the in-app guide, a page per screen, linked from every screen."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_login import current_user, login_required

from directory.model import Role

from .access import staff

bp = Blueprint("help", __name__)

HEADS = (Role.HEAD, Role.ADMIN)
EVERYONE = (Role.HEAD, Role.ADMIN, Role.SUPPORT)
PAGES = {
    # page: (title, roles that read it)
    "sommaire": ("Guide de Sésame", EVERYONE),
    "etats": ("Les états d'un compte", EVERYONE),
    "eleves": ("Rechercher et sélectionner des élèves", HEADS),
    "depannage": ("Dépannage des comptes élèves", EVERYONE),
    "exterieurs": ("Élèves extérieurs", HEADS),
    "responsables": ("Responsables", HEADS),
    "notifier": ("(Re)notifier des comptes élèves", HEADS),
    "reinitialiser": ("Réinitialiser les mots de passe", EVERYONE),
    "lister": ("Éditer une liste des comptes élèves", EVERYONE),
    "operations": ("Suivre une opération", EVERYONE),
}
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
    if role is Role.SUPPORT and page == "eleves":
        return "depannage"
    return page if role in PAGES[page][1] else "sommaire"


@bp.route("/aide")
@bp.route("/aide/<page>")
@login_required
def show(page="sommaire"):
    if page not in PAGES:
        abort(404)
    title, roles = PAGES[page]
    if staff().role not in roles:
        abort(403)
    pages = [(name, t) for name, (t, r) in PAGES.items() if staff().role in r]
    return render_template(f"help/{page}.html", title=title, pages=pages, page=page)


@bp.app_context_processor
def guide_link():
    if not current_user or not getattr(current_user, "is_authenticated", False):
        return {}
    try:
        return {"guide_page": page_for(request.endpoint, staff().role)}
    except Exception:   # noqa: BLE001 - an error page still renders, without the link
        return {}
