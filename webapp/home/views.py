"""« Accueil »: accounts per state for the current establishment."""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

from directory.populations import GUARDIANS, STUDENTS
from directory.model import AccountState, Role

from ..access import current_uai, staff
from ..extensions import directory
from ..rendering import page_or_fragment

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    uai = current_uai()
    counts = {"Élèves": directory.current.count_by_state(STUDENTS, uai)}
    if staff().role is not Role.SUPPORT:   # support staff look after students' accounts only
        counts["Responsables"] = directory.current.count_by_state(GUARDIANS, uai)
    return page_or_fragment("home/index.html", "home/partial/glance.html",
                            counts=counts, states=list(AccountState))
