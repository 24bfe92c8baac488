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
from ..students.population import ALL, FIGURED
from ..students.query import criteria_args

bp = Blueprint("home", __name__)

# each « À faire » line concerns those who can act on it: support staff reset, heads also notify
LINE_RIGHTS = {"never-notified": Right.NOTIFY, "long-wait": Right.NOTIFY, "mail-unconfirmed": Right.NOTIFY,
               "provisional-expiring": Right.RESET, "locked": Right.RESET}


@bp.route("/")
@login_required
def index():
    uai = current_uai()
    role = staff().role
    snapshot = figures_of(uai)
    shown = [p for p in FIGURED if may(role, p.right)]
    counts = {p.caption: {state: snapshot.populations[p.name].total.count(state) for state in AccountState}
              for p in shown}
    today = datetime.now(timezone.utc).date()
    lines = [line for line in follow_ups(today, current_app.config["SESAME_PROVISIONAL_DAYS"])
             if may(role, LINE_RIGHTS[line.key])]
    to_do = [(p.caption, [(line.label, snapshot.populations[p.name].follow_up.get(line.key, 0),
                           url_for(p.search_screen, **criteria_args(line.criteria))) for line in lines])
             for p in shown]
    # the audit trail is the head's and the identity team's (SPEC §7), not support staff's
    operations = journal.latest(directory.current, uai) if may(role, Right.NOTIFY) else None
    return page_or_fragment("home/index.html", "home/partial/glance.html",
                            counts=counts, states=list(AccountState), to_do=to_do, operations=operations,
                            nouns={p.name: p.noun_apart for p in ALL}, snapshot=snapshot, me=staff().uid)
