"""How long a session lives: an absolute lifetime from sign-in, whatever the activity, on top of the
idle timeout that Redis keeps (PERMANENT_SESSION_LIFETIME, renewed at every request)."""
from __future__ import annotations

import time

from flask import current_app, flash, session

SIGNED_IN_KEYS = ("_user_id", "holder_dn", "staff_pending")


def start(session_) -> None:
    session_["started"] = time.time()


def end_if_too_old():
    """A session older than SESAME_SESSION_HOURS, or one without a start (opened before this rule),
    ends here: the next page asks to sign in again."""
    if not any(key in session for key in SIGNED_IN_KEYS):
        return None
    started = session.get("started")
    if started is None or time.time() - started > current_app.config["SESAME_SESSION_HOURS"] * 3600:
        session.clear()
        flash("Votre session a pris fin : reconnectez-vous.", "info")
    return None


def init_app(app) -> None:
    app.before_request(end_if_too_old)
