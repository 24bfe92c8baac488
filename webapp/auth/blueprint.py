"""The staff sign-in's blueprint, which the password's routes (views), the second factor's and the provider's
share, and the session they all start."""
from __future__ import annotations

from flask import Blueprint, current_app, session
from flask_login import login_user

from directory import journal
from directory.model import Role

from .. import sessions
from ..access import PASSWORD, PROVIDER, PROVIDER_ONE_FACTOR, SIGNED_IN_BY, SSO, StaffUser
from ..extensions import directory
from . import provider_logout

bp = Blueprint("auth", __name__)

# How each way of signing in is said in the « Journal des opérations »
SAID = {PASSWORD: "par mot de passe", SSO: "par le SSO",
        PROVIDER: "par le portail de l'académie, avec son second facteur",
        PROVIDER_ONE_FACTOR: "par le portail de l'académie"}


def start_session(user: StaffUser, opened_by: str, provider: dict | None = None) -> None:
    """A new session id at every sign-in, so that a planted cookie is worth nothing; how it was opened (a
    password, the SSO, the provider) is kept in it, and every request carries only what that way may open
    (access.OPENS). A session the provider opened remembers what the provider said (for its sign-out and its
    back-channel logout)."""
    session.clear()
    login_user(user)
    session[SIGNED_IN_BY] = opened_by
    session["uai"] = user.staff.uais[0] if user.staff.uais else None
    session["staff_version"] = user.staff.password_version   # a change of password ends the session
    sessions.start(session)
    current_app.session_interface.regenerate(session)
    if provider:
        session[provider_logout.PROVIDER_SESSION] = provider
        provider_logout.remember(session.sid, provider)
    member = user.staff     # « Journal des opérations » (issue 16)
    journal.record(directory.current, member.uid, journal.SIGN_IN,
                   None if member.role is Role.ADMIN else (member.uais[0] if member.uais else None),
                   f"connexion de {member.display_name} ({SAID[opened_by]})")
