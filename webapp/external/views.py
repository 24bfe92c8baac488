"""The « Élèves extérieurs » tab; its screens come with their own issue."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from directory.model import Role

from ..access import roles_allowed

bp = Blueprint("external", __name__)


@bp.route("/eleves-exterieurs")
@login_required
@roles_allowed(Role.HEAD, Role.ADMIN)
def index():
    return render_template("tab.html", title="Élèves extérieurs",
                           purpose="Les élèves d'autres établissements qui suivent un enseignement mutualisé ici.")
