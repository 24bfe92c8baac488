"""Response headers every page carries: CSP without inline code, no framing, no sniffing, no caching,
HSTS when set; and requests too large refused by the app itself, in French, with those headers."""
from __future__ import annotations

from flask import abort, current_app, request

# The app's own caps, under gunicorn's (Procfile: --limit-request-line 8190,
# --limit-request-field_size 16380): gunicorn answered these itself, in English and without the headers.
MAX_URI = 4094                 # bytes of path and query (gunicorn's default request-line limit)
MAX_HEADER_FIELD = 8190        # bytes of one header line (gunicorn's default field limit)

def content_security_policy(form_targets=()) -> str:
    """`form_targets`: origins a form's answer may send the browser to besides Sésame's (browsers hold the
    redirect that follows a form to `form-action`): the staff's provider, whose sign-out follows Sésame's."""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        " ".join(["form-action 'self'", *form_targets]),
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "object-src 'none'",
    ])


CSP = content_security_policy()


def _origin(url: str) -> str | None:
    from urllib.parse import urlsplit
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def add_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", current_app.config.get("SESAME_CSP", CSP))
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    hsts = current_app.config.get("SESAME_HSTS_SECONDS") or 0
    if hsts > 0:
        headers.setdefault("Strict-Transport-Security", f"max-age={hsts}; includeSubDomains")
    if request.endpoint != "static":
        # Pages show children's data and, later, passwords: never kept by the browser or a proxy.
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    return response


def refuse_oversized():
    environ = request.environ
    uri = environ.get("RAW_URI") or environ.get("REQUEST_URI") or request.full_path
    if len(uri.encode("latin-1", "replace")) > MAX_URI:
        abort(414)
    for name, value in request.headers.items():
        if len(name) + len(value) + 2 > MAX_HEADER_FIELD:
            abort(431)
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if limit and (request.content_length or 0) > limit:
        abort(413)             # before the CSRF check reads the form: a huge upload is never parsed
    return None


def init_app(app) -> None:
    targets = {_origin(app.config.get(name) or "") for name in ("SESAME_STAFF_OIDC_ISSUER", "SESAME_SSO_LOGOUT_URL")}
    app.config["SESAME_CSP"] = content_security_policy(sorted(t for t in targets if t))
    app.before_request(refuse_oversized)
    app.after_request(add_security_headers)
