"""The « Paramétrage » tab; its screens come with their own issue."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from directory.model import Role

from ..access import roles_allowed

bp = Blueprint("settings", __name__)


@bp.route("/parametrage")
@login_required
@roles_allowed(Role.HEAD, Role.ADMIN)
def index():
    return render_template("tab.html", title="Paramétrage",
                           purpose="Les délégations et les réglages des courriers.")
