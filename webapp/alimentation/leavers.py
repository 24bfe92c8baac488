"""« Comptes supprimables »: the leavers past both periods, listed for the identity team, removed on an explicit
confirmation that names their number, at most BOUND a request, each one reported."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from directory.registry import leavers as removal

from ..access import staff
from ..extensions import directory
from .views import _page, bp

CONFIRM = "confirmer-suppression"


def last_day():
    config = current_app.config
    return removal.removable_since(config["SESAME_LEAVER_TOLERANCE_DAYS"], config["SESAME_LEAVER_REMOVAL_DAYS"])


@bp.route("/departs")
def removable():
    found = removal.removable(directory.current, last_day())
    return render_template("alimentation/leavers.html", **_page(leavers=found[:removal.BOUND], total=len(found),
                                                                last_day=last_day(), bound=removal.BOUND,
                                                                confirm=CONFIRM))


@bp.route("/departs/suppression", methods=["POST"])
def remove():
    wanted = [i for i in request.form.getlist("compte") if i.isalnum() and len(i) == 32][:removal.BOUND]
    if not wanted or request.form.get(CONFIRM) != str(len(wanted)):
        # (the message does not repeat the button's words: a search for the button by them finds the button)
        flash("La suppression attend votre confirmation : cochez la case qui la confirme, puis supprimez. "
              "Rien n'a été supprimé.", "error")
        found = removal.removable(directory.current, last_day())
        return render_template("alimentation/leavers.html", **_page(leavers=found[:removal.BOUND], total=len(found),
                                                                    last_day=last_day(), bound=removal.BOUND,
                                                                    confirm=CONFIRM)), 400
    actor = staff().uid
    removal.reserve_pending(directory.current, actor)
    kept = []
    for account_id in wanted:
        done, why = removal.remove(directory.current, account_id, last_day(), actor)
        if not done:
            kept.append((account_id, why))
    removed = len(wanted) - len(kept)
    flash(f"{removed} compte(s) supprimé(s) ; leurs identifiants sont réservés et ne seront jamais redonnés.", "info")
    for account_id, why in kept:
        flash(f"Compte {account_id} non supprimé : {why}", "error")
    return redirect(url_for("alimentation.removable"), 303)
