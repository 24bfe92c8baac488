"""« Comptes supprimables »: the leavers past both periods, listed for the identity team, and their removal asked
for, on an explicit confirmation that names their number, as a job (alimentation/removal.py), at most BOUND a time."""
from __future__ import annotations

import hashlib
import secrets

from flask import Blueprint, flash, redirect, render_template, request

from directory.registry import leavers as removal

from ..access import staff
from ..extensions import directory
from ..jobs.launch import launch
from ..jobs.views import page_of
from ..rights import Right, guard
from .removal import REMOVAL, asked, last_day

bp = Blueprint("leavers", __name__, url_prefix="/alimentation/departs")
guard(bp, Right.IMPORT)
CONFIRM = "confirmer-suppression"


def _page(status: int = 200):
    found = removal.removable(directory.current, last_day())
    return render_template("alimentation/leavers.html", current_tab="alimentation.index", leavers=found[:removal.BOUND],
                           total=len(found), last_day=last_day(), bound=removal.BOUND, confirm=CONFIRM,
                           confirmation=secrets.token_urlsafe(16)), status


@bp.route("")
def removable():
    return _page()


@bp.route("/suppression", methods=["POST"])
def remove():
    wanted = list(dict.fromkeys(i for i in request.form.getlist("compte") if i.isalnum() and len(i) == 32))
    wanted = wanted[:removal.BOUND]
    if not wanted or request.form.get(CONFIRM) != str(len(wanted)):
        # (the message does not repeat the button's words: a search for the button by them finds the button)
        flash("La suppression attend votre confirmation : cochez la case qui la confirme, puis supprimez. "
              "Rien n'a été supprimé.", "error")
        return _page(400)
    owner = staff().uid
    # the page's one-use token names the job: the same confirmation posted twice makes one removal
    token = request.form.get("confirmation", "")
    named = token if token.isascii() and 16 <= len(token) <= 64 else ",".join(sorted(wanted))
    job_id = hashlib.sha256(f"{owner}:{REMOVAL}:{named}".encode()).hexdigest()[:32]
    # each leaver as shown, named in the report once their entry is gone (a forged id is kept, and said so)
    shown = {s.account_id: s for s in removal.removable(directory.current, last_day())}
    options = asked([shown[i] for i in wanted if i in shown])
    options["leavers"].update({i: [i, "", "", "", ""] for i in wanted if i not in shown})
    job = launch(REMOVAL, job_id, owner, "", "students", wanted, options)
    return redirect(page_of(job), 303)
