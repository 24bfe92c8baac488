"""The « Responsables » tab; its screens come with their own issue."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from directory.model import Role

from ..access import roles_allowed

bp = Blueprint("guardians", __name__)


@bp.route("/responsables")
@login_required
@roles_allowed(Role.HEAD, Role.ADMIN)
def index():
    return render_template("tab.html", title="Responsables",
                           purpose="Les comptes des parents des élèves de l'établissement.")
