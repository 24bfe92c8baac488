"""Server-side sessions that fail over to a clear 503 when Redis is away, never to a stack trace."""
from __future__ import annotations

import logging

from flask import g, request
from flask.sessions import SecureCookieSession, SessionInterface
from redis.exceptions import RedisError

from .extensions import redis

log = logging.getLogger(__name__)


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


def init_app(app) -> None:
    app.session_interface = ResilientSessions(app.session_interface)

    @app.before_request
    def session_unavailable():
        error = g.get("session_error")
        if error is not None:
            raise error
        if app.config["SESSION_COOKIE_NAME"] not in request.cookies:
            # no session read yet: a page about to start one (sign-in) asks Redis first, rather
            # than hand out a form whose session could not be kept
            redis.current.ping()
