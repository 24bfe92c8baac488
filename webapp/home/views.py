"""« Accueil »: accounts per state for the current establishment."""
from __future__ import annotations

from flask import Blueprint
from flask_login import login_required

from directory.populations import GUARDIANS, STUDENTS
from directory.model import AccountState

from ..access import current_uai, staff
from ..extensions import directory
from ..rendering import page_or_fragment
from ..rights import Right, may

bp = Blueprint("home", __name__)


@bp.route("/")
@login_required
def index():
    uai = current_uai()
    counts = {"Élèves": directory.current.count_by_state(STUDENTS, uai)}
    if may(staff().role, Right.SEE_GUARDIANS):
        counts["Responsables"] = directory.current.count_by_state(GUARDIANS, uai)
    return page_or_fragment("home/index.html", "home/partial/glance.html",
                            counts=counts, states=list(AccountState))
