"""« Accueil »: accounts per state, what is left to do, and the latest operations, for the current establishment."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, current_app, url_for
from flask_login import login_required

from directory import journal
from directory.figures import follow_ups
from directory.model import AccountState

from ..access import current_uai, staff
from ..extensions import directory
from ..rendering import page_or_fragment
from ..rights import Right, may
from ..figures import figures_of
from ..students.query import criteria_args

bp = Blueprint("home", __name__)

# population in the figures: (caption, the right that shows it, its search screen)
SHOWN = (("students", "Élèves", Right.SEE_STUDENTS, "students.index"),
         ("guardians", "Responsables", Right.SEE_GUARDIANS, "guardians.index"))
# each « À faire » line concerns those who can act on it: support staff reset, heads also notify
LINE_RIGHTS = {"never-notified": Right.NOTIFY, "long-wait": Right.NOTIFY, "mail-unconfirmed": Right.NOTIFY,
               "provisional-expiring": Right.RESET, "locked": Right.RESET}
POPULATION_NOUNS = {"students": "élève(s)", "external": "élève(s) extérieur(s)", "guardians": "responsable(s)"}


@bp.route("/")
@login_required
def index():
    uai = current_uai()
    role = staff().role
    snapshot = figures_of(uai)
    shown = [(key, caption, search) for key, caption, right, search in SHOWN if may(role, right)]
    counts = {caption: {state: snapshot.populations[key].total.count(state) for state in AccountState}
              for key, caption, _ in shown}
    today = datetime.now(timezone.utc).date()
    lines = [line for line in follow_ups(today, current_app.config["SESAME_PROVISIONAL_DAYS"])
             if may(role, LINE_RIGHTS[line.key])]
    to_do = [(caption, [(line.label, snapshot.populations[key].follow_up.get(line.key, 0),
                         url_for(search, **criteria_args(line.criteria))) for line in lines])
             for key, caption, search in shown]
    # the audit trail is the head's and the identity team's (SPEC §7), not support staff's
    operations = journal.latest(directory.current, uai) if may(role, Right.NOTIFY) else None
    return page_or_fragment("home/index.html", "home/partial/glance.html",
                            counts=counts, states=list(AccountState), to_do=to_do, operations=operations,
                            nouns=POPULATION_NOUNS, snapshot=snapshot, me=staff().uid)
