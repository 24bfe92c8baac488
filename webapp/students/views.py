"""The « Élèves » tab; its screens come with their own issue."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from directory.model import Role

from ..access import roles_allowed

bp = Blueprint("students", __name__)


@bp.route("/eleves")
@login_required
@roles_allowed(Role.HEAD, Role.ADMIN, Role.SUPPORT)
def index():
    return render_template("tab.html", title="Élèves",
                           purpose="Rechercher les élèves de l'établissement, (re)notifier leurs comptes, éditer les listes et réinitialiser les mots de passe.")
