"""The SSO proxy in front of Sésame (LemonLDAP::NG's handler): whom it vouches for on this request — believed
from the proxy's own addresses, with the shared secret, never from what a client could write itself."""
from __future__ import annotations

import hmac

from flask import current_app, request


def _peer_address() -> str | None:
    """The address that connected to Sésame. Behind reverse proxies (SESAME_PROXY_HOPS) the request's
    remote address is the person's, taken from X-Forwarded-For, which anybody may write: the SSO
    headers are believed from the proxy that connects, never from what a header says."""
    original = request.environ.get("werkzeug.proxy_fix.orig") or {}
    return original.get("REMOTE_ADDR") or request.remote_addr


def vouched_uid() -> str | None:
    """The identifier the proxy names on this request, or None: SSO off (no secret), a request that did not
    come from the proxy's addresses, a wrong secret, or no name."""
    config = current_app.config
    secret = config["SESAME_SSO_SECRET"]
    given = request.headers.get(config["SESAME_SSO_SECRET_HEADER"], "")
    uid = request.headers.get(config["SESAME_SSO_USER_HEADER"], "").strip()
    if not secret or _peer_address() not in config["SESAME_SSO_TRUSTED_PROXIES"]:
        return None
    if not hmac.compare_digest(given.encode(), secret.encode()) or not uid:
        return None
    return uid


def still_vouches_for(uid: str) -> bool:
    """At every request of a session the proxy opened: the proxy names the same person still. A person signed
    out at the portal (the handler sends them there) or another one signed in there since carries nothing of it."""
    vouched = vouched_uid()
    return vouched is not None and vouched.lower() == uid.lower()
