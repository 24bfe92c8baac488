"""Sign-in by uid + password (a bind against the directory), SSO through a trusted proxy, sign-out (the
provider's or the portal's after Sésame's), the establishment switched, the header of every page."""
from __future__ import annotations

import logging
import time
from urllib.parse import urlsplit

from flask import (abort, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user, login_required, logout_user
from werkzeug.exceptions import HTTPException

from directory import journal
from directory.errors import AccountLocked, DirectoryError, InvalidCredentials, NoRightsNow, NotFound
from directory.repository import PASSWORD_ROLES, equalize_timing

from .. import ratelimit, signin
from ..access import ONE_FACTOR, SIGNED_IN_BY, SSO, StaffUser, current_uai, opened, staff, tab_here, tabs_for
from ..extensions import directory
from ..proxy import vouched_uid
from . import provider_client, provider_logout
from .blueprint import bp, start_session
from .forms import SignInForm, SwitchEstablishmentForm
from .second_factor import after_password, mode as second_factor_mode   # its routes join the blueprint

log = logging.getLogger(__name__)

REFUSAL = signin.REFUSAL


def password_sign_in() -> bool:
    """Whether staff may type their directory password here (SESAME_STAFF_PASSWORD); off, the provider's
    button alone signs them in (anything but `off` keeps it: a typo never locks everybody out)."""
    return str(current_app.config["SESAME_STAFF_PASSWORD"]).strip().lower() != "off"


def _authenticate(uid: str, password: str):
    """The directory's bind — or, password sign-in being off, the same refusal as a wrong password, after as
    long (nothing is sent to the directory)."""
    if not password_sign_in():
        equalize_timing(password)
        raise InvalidCredentials("staff password sign-in is off")
    return directory.current.authenticate_staff(uid, password)


def safe_next(target: str | None) -> str:
    """Only a path of this site: no scheme, no host, no control character or backslash
    (browsers read `/\tevil` or `/\\evil` as another site)."""
    if not target or not target.startswith("/") or any(c in target for c in "\\") \
            or any(ord(c) < 33 or ord(c) == 127 for c in target):
        return url_for("home.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return url_for("home.index")
    return target


@bp.route("/connexion", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = SignInForm()
    status = 200
    if form.validate_on_submit():
        started = time.monotonic()
        uid = (form.uid.data or "").strip()
        failures = ratelimit.sign_in_failures("login", uid)
        verdict = failures.reserve()
        if not verdict.allowed:
            flash(signin.throttled(verdict, holder=False), "error")
            return sign_in_page(form, 429)
        try:
            staff_member = _authenticate(uid, form.password.data or "")
        except AccountLocked as lock:
            log.info("staff sign-in refused (locked in the directory) from %s", request.remote_addr)
            journal.record(directory.current, uid, journal.SIGN_IN_REFUSED, None, "compte verrouillé par l'annuaire")
            signin.refuse_at(started)
            flash(signin.locked(lock.until, holder=False), "error")
            status = 401
        except NoRightsNow as none:
            # the password was right: a former (or future) delegate is told why nothing opens, not « incorrect »
            failures.succeeded()
            journal.record(directory.current, uid, journal.SIGN_IN_REFUSED, None, "aucun droit en cours")
            flash(signin.no_rights_now(none.ended, none.starts), "error")
            status = 403
        except (InvalidCredentials, NotFound):
            log.info("staff sign-in refused from %s", request.remote_addr)
            journal.record(directory.current, uid, journal.SIGN_IN_REFUSED, None,
                           "identifiant ou mot de passe incorrect")
            signin.refuse_at(started)
            flash(REFUSAL, "error")
            status = 401
        else:
            failures.succeeded()
            return after_password(staff_member, safe_next(request.args.get("next")))
    elif request.method == "POST":
        flash(REFUSAL, "error")
        status = 400
    form.password.data = ""
    return sign_in_page(form, status)


def sign_in_page(form: SignInForm, status: int = 200):
    """The sign-in page: the provider's button when there is one, the password's form unless it is off."""
    return render_template("auth/login.html", form=form, password_sign_in=password_sign_in(),
                           provider=provider_client.configured(), next=request.args.get("next")), status


@bp.route("/connexion/sso")
def sso():
    """Support staff arrive here through the SSO proxy, which vouches for them in a header.

    Trusted only from the configured proxy addresses and with the shared secret: anybody else who
    sets the header is refused."""
    uid = vouched_uid()
    if uid is None:
        log.warning("SSO sign-in refused from %s", request.remote_addr)
        abort(403)
    try:
        staff_member = opened(directory.current.staff(uid), SSO)
    except NotFound:
        log.warning("SSO sign-in for an unknown or role-less uid from %s", request.remote_addr)
        abort(403)
    if staff_member is None:
        # heads and the identity team sign in with their password and second factor, never here
        log.warning("SSO sign-in refused for a non-support role from %s", request.remote_addr)
        abort(403)
    start_session(StaffUser(staff_member), SSO)
    log.info("staff SSO sign-in: %s", staff_member.uid)
    return redirect(url_for("home.index"))


@bp.route("/deconnexion", methods=["POST"])
def logout():
    """Sésame's session ends here; then the provider's (RP-initiated logout) when the provider opened it, or
    the portal's (SESAME_SSO_LOGOUT_URL) when the SSO proxy did."""
    provider = session.get(provider_logout.PROVIDER_SESSION)
    opened_by = session.get(SIGNED_IN_BY)
    # a new id before emptying it (an empty session keeps its id): the signed-in one is gone from Redis, and
    # what this answer keeps (the provider's logout state, a message) is not found under it by a back-channel
    # logout that the provider sends meanwhile
    current_app.session_interface.regenerate(session)
    logout_user()
    session.clear()
    if provider:
        return provider_logout.at_provider(provider)
    portal = current_app.config["SESAME_SSO_LOGOUT_URL"]
    if opened_by == SSO and portal:
        return redirect(portal, 303)
    flash("Vous êtes déconnecté.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/etablissement", methods=["POST"])
@login_required
def switch_establishment():
    form = SwitchEstablishmentForm()
    form.uai.choices = list(staff().uais)
    if not form.validate_on_submit():
        abort(403)
    session["uai"] = form.uai.data
    return redirect(url_for("home.index"))


@bp.app_context_processor
def shell_context():
    """The header and tabs of every page. Error pages render even when this cannot be had."""
    if g.get("service_down"):
        return {}
    try:
        if not current_user.is_authenticated:
            return {}
        member = staff()
        uai = current_uai()
        switch = SwitchEstablishmentForm(uai=uai)
        establishments = directory.current.establishments(member.uais) if len(member.uais) > 1 else []
        switch.uai.choices = [(e.uai, f"{e.uai} {e.name}") for e in establishments]
        return {
            "staff": member,
            "tabs": tabs_for(member.role),
            "tab_here": tab_here,
            "establishment": directory.current.establishment(uai),
            "switch_form": switch,
            # Sésame's own second factor, for a session whose way gave none of its own
            "second_factor_offered": member.role in PASSWORD_ROLES and second_factor_mode() != "off"
                                     and session.get(SIGNED_IN_BY) in ONE_FACTOR,
        }
    except (DirectoryError, HTTPException):
        return {}
