"""Staff sign-in through the institution's OpenID Connect provider: the provider says who (its ID token, signature
and audience checked) and whether its second factor was given; the directory says what they may do."""
from __future__ import annotations

import logging

from flask import abort, flash, jsonify, redirect, request, session, url_for
from flask_login import current_user

from directory import journal
from directory.delegations import Delegations
from directory.errors import NotFound

from .. import signin
from ..access import PROVIDER, PROVIDER_ONE_FACTOR, StaffUser, opened
from ..extensions import csrf, directory
from . import provider_client, provider_logout
from .forms import SignInForm
from .second_factor import after_password
from .blueprint import bp, start_session
from .views import safe_next, sign_in_page

log = logging.getLogger(__name__)

# What the provider's `amr` (RFC 8176) says when a second factor was given; SESAME_STAFF_OIDC_SECOND_FACTOR_ACR
# names the `acr` values that say it too
SECOND_FACTOR_AMR = "mfa"
NEXT = "provider_next"

UNAVAILABLE = "Le portail de connexion de l'académie ne répond pas : réessayez dans quelques minutes."
STATE_REFUSED = ("Cette connexion par le portail de l'académie n'est plus valable (déjà utilisée, trop ancienne ou "
                 "commencée ailleurs) : recommencez avec « Se connecter avec le portail de l'académie ».")
NOT_CONFIRMED = "Le portail de l'académie n'a pas confirmé votre connexion : recommencez."
TOKEN_REFUSED = ("La réponse du portail de l'académie n'a pas pu être vérifiée : connexion refusée. Recommencez ; "
                 "si cela se reproduit, prévenez le support de votre académie.")
UNKNOWN = ("Le portail de l'académie vous a bien reconnu, mais Sésame ne vous connaît pas comme personnel d'un "
           "établissement : aucun accès ne vous est ouvert. Adressez-vous à votre chef d'établissement ou au support "
           "de votre académie.")
SECOND_FACTOR_NEEDED = ("Votre connexion au portail de l'académie s'est faite sans second facteur : le dépannage "
                        "demande celui du portail. Déconnectez-vous du portail, puis reconnectez-vous avec votre code.")


def _refused(message: str, status: int, uid: str | None = None, why: str = ""):
    """The sign-in page, saying why, with nothing opened."""
    if uid:
        journal.record(directory.current, uid, journal.SIGN_IN_REFUSED, None, why)
    flash(message, "error")
    return sign_in_page(SignInForm(), status)


@bp.route("/connexion/portail")
def provider_sign_in():
    """« Se connecter avec le portail de l'académie »: to the provider's authorization endpoint (code flow,
    PKCE, `state` and `nonce` kept in this session by Authlib)."""
    if not provider_client.configured():
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    try:
        provider = provider_client.client()
        session[NEXT] = safe_next(request.args.get("next"))
        return provider.authorize_redirect(provider_client.public_url(provider_client.RETURN_PATH), ui_locales="fr")
    except provider_client.ProviderUnavailable as error:
        log.warning("the staff's OpenID Connect provider is unavailable: %s", error)
        return _refused(UNAVAILABLE, 503)


@bp.route(provider_client.RETURN_PATH)
def provider_back():
    """The provider sends the browser back here with a code: exchanged for the tokens (with the PKCE verifier),
    the ID token checked (signature, issuer, audience, times, nonce), then the person signed in as the
    directory says — asked Sésame's own second factor when the provider's sign-in had none."""
    import requests
    from authlib.common.errors import AuthlibBaseError
    from authlib.integrations.base_client import MismatchingStateError, OAuthError
    from joserfc.errors import JoseError
    if not provider_client.configured():
        abort(404)
    next_url = safe_next(session.get(NEXT))
    if not provider_client.started_here(request.args.get("state")):
        log.info("provider sign-in refused: unknown state, from %s", request.remote_addr)
        return _refused(STATE_REFUSED, 400)
    try:
        provider = provider_client.client()
        token = provider.authorize_access_token(claims_options=provider_client.claims_options(provider),
                                                leeway=provider_client.LEEWAY)
    except MismatchingStateError:
        log.info("provider sign-in refused: unknown state, from %s", request.remote_addr)
        return _refused(STATE_REFUSED, 400)
    except OAuthError as error:         # the provider said no (an error, a code refused at the token endpoint)
        log.info("provider sign-in refused by the provider: %s", error.error)
        return _refused(NOT_CONFIRMED, 401)
    except (provider_client.ProviderUnavailable, requests.RequestException) as error:
        log.warning("the staff's OpenID Connect provider is unavailable: %s", type(error).__name__)
        return _refused(UNAVAILABLE, 503)
    except (AuthlibBaseError, JoseError, ValueError, KeyError, TypeError) as error:
        log.warning("provider sign-in refused: the ID token did not verify (%s) from %s", type(error).__name__,
                    request.remote_addr)
        return _refused(TOKEN_REFUSED, 401)
    claims = token.get("userinfo")
    if not claims:                  # no ID token: nothing says who
        log.warning("provider sign-in refused: no ID token")
        return _refused(TOKEN_REFUSED, 401)
    uid = _uid(provider, token, claims)
    if uid is None:
        log.warning("provider sign-in refused: no identifier in %s", provider_client.SCOPE)
        return _refused(TOKEN_REFUSED, 401)
    said = {"iss": claims["iss"], "sub": claims["sub"], "sid": claims.get("sid"), "id_token": token["id_token"]}
    return _sign_in(uid, _second_factor(claims), said, next_url)


def _uid(provider, token, claims) -> str | None:
    """The directory's identifier, from the claim SESAME_STAFF_OIDC_UID_CLAIM of the ID token, or of the userinfo
    answer when the ID token does not carry it (that answer naming the same subject)."""
    from flask import current_app
    name = current_app.config["SESAME_STAFF_OIDC_UID_CLAIM"]
    uid = claims.get(name)
    if uid is None:
        try:
            info = provider.userinfo(token=token)
        except Exception:      # noqa: BLE001 - any failure there: nobody is named
            return None
        uid = info.get(name) if info.get("sub") == claims["sub"] else None
    if not isinstance(uid, str) or not uid.strip() or len(uid) > 256:
        return None
    return uid.strip()


def _second_factor(claims) -> bool:
    """Whether the provider's sign-in had a second factor: its `amr` says « mfa », or its `acr` is one of
    SESAME_STAFF_OIDC_SECOND_FACTOR_ACR."""
    from flask import current_app
    amr = claims.get("amr") or []
    return (isinstance(amr, list) and SECOND_FACTOR_AMR in amr) or \
        claims.get("acr") in current_app.config["SESAME_STAFF_OIDC_SECOND_FACTOR_ACR"]


def _sign_in(uid: str, second_factor: bool, said: dict, next_url: str):
    """The person the provider named, as the directory has them: refused (in French, nothing opened) if unknown,
    without a right today, locked in the directory, or support staff without the provider's second factor."""
    try:
        member = directory.current.staff(uid)
    except NotFound:
        dated = Delegations(directory.current).out_of_term(uid)
        if dated is not None:
            return _refused(signin.no_rights_now(*dated), 403, uid, "aucun droit en cours (portail)")
        log.info("provider sign-in refused: not staff in the directory")
        return _refused(UNKNOWN, 403, uid, "inconnu de l'annuaire comme personnel (portail)")
    until = directory.current.locked_until(member.dn)
    if until is not False:
        return _refused(signin.locked(until, holder=False), 401, uid, "compte verrouillé par l'annuaire (portail)")
    way = PROVIDER if second_factor else PROVIDER_ONE_FACTOR
    carried = opened(member, way)
    if carried is None:
        if member.sso_only and not second_factor:
            return _refused(SECOND_FACTOR_NEEDED, 403, uid, "sans le second facteur du portail")
        return _refused(UNKNOWN, 403, uid, "aucun droit que le portail ouvre")
    if not second_factor:
        return after_password(carried, next_url, PROVIDER_ONE_FACTOR, said)
    start_session(StaffUser(carried), PROVIDER, said)
    log.info("staff sign-in through the provider, with its second factor: %s", carried.uid)
    return redirect(next_url)


@bp.route(provider_client.SIGNED_OUT_PATH)
def provider_signed_out():
    """Where the provider sends the browser back once its session ended too."""
    if not provider_client.configured():
        abort(404)
    try:
        provider_client.client().validate_logout_response()
        flash("Vous êtes déconnecté de Sésame et du portail de l'académie.", "info")
    except Exception:           # noqa: BLE001 - a state this browser did not start: only Sésame's is said
        flash("Vous êtes déconnecté de Sésame.", "info")
    return redirect(url_for("auth.login"))


@bp.route(provider_client.BACK_CHANNEL_PATH, methods=["POST"])
@csrf.exempt
def provider_logged_out():
    """The provider's back-channel logout (OpenID Connect Back-Channel Logout 1.0): its logout token, checked,
    ends Sésame's sessions of that person (or of that provider session). Answered to the provider, not a browser."""
    if not provider_client.configured():
        abort(404)
    try:
        claims = provider_logout.verify(request.form.get("logout_token", ""))
    except provider_logout.LogoutTokenRefused as refused:
        log.warning("back-channel logout refused: %s", refused)
        return jsonify(error="invalid_request", error_description=str(refused)), 400
    except provider_client.ProviderUnavailable:
        return jsonify(error="temporarily_unavailable",
                       error_description="Sésame ne peut pas lire les clés du portail pour l'instant"), 503
    ended = provider_logout.end_sessions(claims["iss"], claims.get("sub"), claims.get("sid"))
    log.info("back-channel logout from the provider: %d session(s) ended", ended)
    return "", 200
