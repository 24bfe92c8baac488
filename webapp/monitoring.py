"""Around the app, before any session is opened: a request id and one log line per request with its
metrics, and the operator's endpoints — /sante/vivant and /sante/pret for load balancers (up or down,
nothing more), their details and /metrics only with the operator's token."""
from __future__ import annotations

import hmac
import json
import logging
import time

from flask import request

from . import health, logs, metrics

LIVE, READY, METRICS = "/sante/vivant", "/sante/pret", "/metrics"
log = logging.getLogger("sesame.request")


def init_app(app) -> None:
    if not app.testing:
        logs.configure("web")
    app.extensions["sesame.readiness"] = health.Cached()
    app.teardown_request(_note_route)
    app.wsgi_app = Monitoring(app, app.wsgi_app)


def _note_route(error=None) -> None:
    """For the line and the metrics: the route's pattern (never the path itself, which may hold a link's
    token) and its endpoint."""
    rule = request.url_rule
    request.environ["sesame.route"] = rule.rule if rule is not None else "(aucune route)"
    request.environ["sesame.endpoint"] = request.endpoint


def _text(start_response, status: str, body: str, content_type: str = "text/plain; charset=utf-8",
          extra: tuple = ()) -> list[bytes]:
    data = body.encode("utf-8")
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(data))),
                            ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"), *extra])
    return [data]


class Monitoring:
    def __init__(self, app, inner):
        self.app = app
        self.inner = inner

    def __call__(self, environ, start_response):
        path = environ.get("PATH_INFO", "")
        if path in (LIVE, READY, METRICS):
            return self._operator(path, environ, start_response)
        given = environ.get("HTTP_X_REQUEST_ID") if self.app.config.get("SESAME_PROXY_HOPS") else None
        request_id = logs.new_request_id(given)
        token = logs.REQUEST_ID.set(request_id)
        started = time.perf_counter()
        statuses: list[int] = []

        def start(status, headers, exc_info=None):
            statuses.append(int(status.split(" ", 1)[0]))
            headers.append(("X-Request-Id", request_id))
            return start_response(status, headers, exc_info)

        try:
            return self.inner(environ, start)
        finally:
            seconds = time.perf_counter() - started
            route = environ.get("sesame.route", "(aucune route)")
            method = environ.get("REQUEST_METHOD", "-")
            status = statuses[-1] if statuses else 500
            log.info("%s %s %d %.1f ms", method, route, status, seconds * 1000)
            metrics.request_done(route, environ.get("sesame.endpoint"), method, status, seconds)
            logs.REQUEST_ID.reset(token)

    # --- the operator's endpoints ---------------------------------------------------------------------

    def _operator_allowed(self, environ) -> bool:
        expected = self.app.config.get("SESAME_OPERATOR_TOKEN") or ""
        given = environ.get("HTTP_AUTHORIZATION", "")
        return bool(expected) and hmac.compare_digest(given.encode(), f"Bearer {expected}".encode())

    def _operator(self, path: str, environ, start_response):
        if environ.get("REQUEST_METHOD") not in ("GET", "HEAD"):
            return _text(start_response, "405 Method Not Allowed", "méthode non permise\n", extra=(("Allow", "GET, HEAD"),))
        if path == LIVE:
            return _text(start_response, "200 OK", "ok\n")
        operator = self._operator_allowed(environ)
        if path == METRICS:
            if not operator:
                return _text(start_response, "401 Unauthorized", "jeton de l'exploitant requis\n",
                             extra=(("WWW-Authenticate", 'Bearer realm="sesame"'),))
            from .gauges import Shared
            return _text(start_response, "200 OK", metrics.scrape(Shared(self.app)).decode("utf-8"),
                         metrics.CONTENT_TYPE)
        readiness = self._readiness()
        status = "200 OK" if readiness.ready else "503 Service Unavailable"
        if operator:
            return _text(start_response, status, json.dumps(readiness.as_dict(), ensure_ascii=False, indent=1) + "\n",
                         "application/json")
        return _text(start_response, status, "ok\n" if readiness.ready else "indisponible\n")

    def _readiness(self) -> health.Readiness:
        from .extensions import directory, redis
        with self.app.app_context():
            return self.app.extensions["sesame.readiness"].get(
                lambda: health.check(directory.current, redis.current))
