"""Server-side sessions: how long they live, how one ends, and a clear 503 when Redis is away."""
from __future__ import annotations

import logging
import time
from typing import NoReturn

from flask import abort, current_app, flash, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SessionInterface
from redis.exceptions import RedisError

from .extensions import redis

log = logging.getLogger(__name__)

SIGNED_IN_KEYS = ("_user_id", "holder_dn", "staff_pending")


def start(session_) -> None:
    """A session's absolute lifetime counts from here (sign-in), whatever the activity after it;
    the idle timeout is Redis's (PERMANENT_SESSION_LIFETIME, renewed at every request)."""
    session_["started"] = time.time()


def end(message: str, sign_in_endpoint: str) -> NoReturn:
    """End this session and send the person to sign in again, told why."""
    session.clear()
    flash(message, "info")
    abort(redirect(url_for(sign_in_endpoint)))


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


class ResilientSessions(SessionInterface):
    """Flask-Session's Redis sessions, except that a Redis error while opening one leaves an empty
    session in memory (never saved) and is raised again before the view, where the error handlers
    answer « Service momentanément indisponible ». The session itself stays in Redis, valid once
    Redis is back."""

    def __init__(self, inner: SessionInterface):
        self.inner = inner

    def open_session(self, app, request):
        try:
            return self.inner.open_session(app, request)
        except RedisError as error:
            g.session_error = error
            return SecureCookieSession()

    def save_session(self, app, session, response):
        if g.get("session_error") is not None or g.get("service_down"):
            return None
        try:
            return self.inner.save_session(app, session, response)
        except RedisError as error:
            log.warning("session not saved, Redis unavailable: %s", error)
            return None

    def __getattr__(self, name):
        return getattr(self.inner, name)


def init_lifetime(app) -> None:
    """Before the user loader runs: an old session never loads."""
    app.before_request(end_if_too_old)


def init_app(app) -> None:
    app.session_interface = ResilientSessions(app.session_interface)

    @app.before_request
    def session_unavailable():
        error = g.get("session_error")
        if error is not None:
            raise error
        if request.endpoint != "static" and app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            # no session read yet: a page about to start one (sign-in) asks Redis first, rather
            # than hand out a form whose session could not be kept
            redis.current.ping()
