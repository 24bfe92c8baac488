"""Signing out with the institution's provider: Sésame's sign-out ends the provider's session too (RP-initiated
logout), and the provider's back-channel logout token ends Sésame's sessions of that person, found in Redis by
the provider's `sid` or `sub`."""
from __future__ import annotations

import hashlib
import time

from flask import current_app, flash, redirect, url_for

from ..extensions import redis
from . import provider_client

PROVIDER_SESSION = "provider"       # in a session the provider opened: {iss, sub, sid, id_token}
BACK_CHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_AGE = 300                     # seconds: a logout token issued longer ago is refused


class LogoutTokenRefused(ValueError):
    """A logout token Sésame does not believe; its words say why (for the provider's logs)."""


def _keys(iss: str, sub: str | None, sid: str | None) -> list[str]:
    """Redis sets naming the sessions the provider opened for `sub`, and for its session `sid`."""
    def key(kind, value):
        return f"sesame:provider:{kind}:" + hashlib.sha256(f"{iss}\0{value}".encode()).hexdigest()
    return [key(kind, value) for kind, value in (("sub", sub), ("sid", sid)) if value]


def remember(session_id: str, provider: dict) -> None:
    """Index a session the provider opened, for its back-channel logout; as long as a session may live."""
    seconds = current_app.config["SESAME_SESSION_HOURS"] * 3600
    pipe = redis.current.pipeline()
    for key in _keys(provider["iss"], provider.get("sub"), provider.get("sid")):
        pipe.sadd(key, session_id)
        pipe.expire(key, seconds)
    pipe.execute()


def end_sessions(iss: str, sub: str | None, sid: str | None) -> int:
    """End Sésame's sessions the provider opened for `sid` (that provider session), or, without one, for `sub`
    (every session of that person): the number ended."""
    keys = _keys(iss, None if sid else sub, sid)
    connection = redis.current
    ids = set().union(*(connection.smembers(key) for key in keys)) if keys else set()
    prefix = current_app.config["SESSION_KEY_PREFIX"]
    names = [prefix + (i.decode() if isinstance(i, bytes) else i) for i in ids]
    ended = connection.delete(*names) if names else 0
    if keys:
        connection.delete(*keys)
    return ended


def verify(token: str) -> dict:
    """The claims of a back-channel logout token, once it is believed: signed by the provider's key (an
    asymmetric signature), from the provider, for Sésame, recent, saying the back-channel logout event, naming
    a `sub` or `sid`, carrying no nonce, never seen before (`jti`). LogoutTokenRefused otherwise."""
    from joserfc import jwt
    from joserfc.errors import InvalidKeyIdError, JoseError
    from joserfc.jwk import KeySet
    provider = provider_client.client()
    metadata = provider.server_metadata
    algorithms = metadata["id_token_signing_alg_values_supported"]
    if not token or len(token) > 16384:
        raise LogoutTokenRefused("pas de jeton de déconnexion")
    try:
        try:
            decoded = jwt.decode(token, KeySet.import_key_set(provider.fetch_jwk_set()), algorithms=algorithms)
        except InvalidKeyIdError:       # the provider's keys changed: read them again, once
            decoded = jwt.decode(token, KeySet.import_key_set(provider.fetch_jwk_set(force=True)),
                                 algorithms=algorithms)
        claims = decoded.claims
        jwt.JWTClaimsRegistry(leeway=provider_client.LEEWAY, iss={"essential": True, "values": [metadata["issuer"]]},
                              aud={"essential": True, "values": [provider.client_id]}, iat={"essential": True},
                              jti={"essential": True}).validate(claims)
    except (JoseError, ValueError, TypeError) as error:
        raise LogoutTokenRefused(f"jeton de déconnexion refusé ({error})") from None
    if decoded.header.get("typ", "logout+jwt").lower() not in ("logout+jwt", "application/logout+jwt"):
        raise LogoutTokenRefused("ce jeton n'est pas un jeton de déconnexion")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACK_CHANNEL_EVENT), dict):
        raise LogoutTokenRefused("le jeton ne dit pas l'événement de déconnexion")
    if "nonce" in claims:
        raise LogoutTokenRefused("un jeton de déconnexion ne porte pas de nonce")
    if not isinstance(claims.get("sub") or claims.get("sid"), str):
        raise LogoutTokenRefused("le jeton ne nomme ni personne ni session")
    if not isinstance(claims["iat"], (int, float)) or claims["iat"] < time.time() - TOKEN_AGE - provider_client.LEEWAY:
        raise LogoutTokenRefused("jeton de déconnexion trop ancien")
    seen = "sesame:provider:jti:" + hashlib.sha256(f"{metadata['issuer']}\0{claims['jti']}".encode()).hexdigest()
    if not redis.current.set(seen, 1, nx=True, ex=TOKEN_AGE + 2 * provider_client.LEEWAY):
        raise LogoutTokenRefused("jeton de déconnexion déjà reçu")
    return claims


def at_provider(provider: dict):
    """After Sésame's session ended: the browser to the provider's end-session endpoint, which ends the
    provider's session without asking (the ID token names Sésame) and sends it back to SIGNED_OUT_PATH."""
    try:
        client = provider_client.client()
        return client.logout_redirect(post_logout_redirect_uri=provider_client.public_url(provider_client.SIGNED_OUT_PATH),
                                      id_token_hint=provider.get("id_token"))
    except (provider_client.ProviderUnavailable, RuntimeError):
        flash("Vous êtes déconnecté de Sésame. Le portail de l'académie n'a pas pu être prévenu : fermez votre "
              "navigateur pour y terminer aussi votre session.", "info")
        return redirect(url_for("auth.login"))
