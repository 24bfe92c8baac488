"""The staff sign-in's blueprint, which the password's routes (views) and the second factor's share, and the
session both start."""
from __future__ import annotations

from flask import Blueprint, current_app, session
from flask_login import login_user

from directory import journal
from directory.model import Role

from .. import sessions
from ..access import PASSWORD, SIGNED_IN_BY, StaffUser
from ..extensions import directory

bp = Blueprint("auth", __name__)


def start_session(user: StaffUser, opened_by: str) -> None:
    """A new session id at every sign-in, so that a planted cookie is worth nothing; how it was opened (a
    password, the SSO) is kept in it, and every request carries only what that way may open (access.OPENS)."""
    session.clear()
    login_user(user)
    session[SIGNED_IN_BY] = opened_by
    session["uai"] = user.staff.uais[0] if user.staff.uais else None
    session["staff_version"] = user.staff.password_version   # a change of password ends the session
    sessions.start(session)
    current_app.session_interface.regenerate(session)
    member = user.staff     # « Journal des opérations » (issue 16)
    journal.record(directory.current, member.uid, journal.SIGN_IN,
                   None if member.role is Role.ADMIN else (member.uais[0] if member.uais else None),
                   f"connexion de {member.display_name} ({'par mot de passe' if opened_by == PASSWORD else 'par le SSO'})")
