"""The tabs whose screens come with a later issue (« Paramétrage »): each answers, for the roles that will use it, with what it is for."""
from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

from .rights import Right, requires

bp = Blueprint("upcoming", __name__)

TABS = {
    # endpoint: (URL, title, purpose, the right that opens it)
    "settings": ("/parametrage", "Paramétrage", "Les délégations et les réglages des courriers.", Right.SEE_SETTINGS),
}


def _tab(title: str, purpose: str, right: Right):
    @login_required
    @requires(right)
    def view():
        return render_template("tab.html", title=title, purpose=purpose)
    return view


for endpoint, (url, title, purpose, right) in TABS.items():
    bp.add_url_rule(url, endpoint, _tab(title, purpose, right))
