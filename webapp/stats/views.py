"""The « Statistiques » tab; its screens come with their own issue."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from directory.model import Role

from ..access import roles_allowed

bp = Blueprint("stats", __name__)


@bp.route("/statistiques")
@login_required
@roles_allowed(Role.HEAD, Role.ADMIN)
def index():
    return render_template("tab.html", title="Statistiques",
                           purpose="Les taux d'activation des comptes par classe, par MEF et dans le temps.")
