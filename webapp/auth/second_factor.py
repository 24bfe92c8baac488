"""The staff's second factor at sign-in: a TOTP code after the password, enrolled with a QR code at the
first sign-in when SESAME_STAFF_TOTP is `required`; recovery codes; attempts limited like passwords.
Support staff have theirs from the SSO in front and never come here."""
from __future__ import annotations

import logging
import time

import segno
from cryptography.exceptions import InvalidTag
from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user

from directory import second_factor as totp
from directory.errors import NotFound
from directory.model import Staff
from directory.passwords import Sealer
from directory.repository import PASSWORD_ROLES

from .. import once, ratelimit, sessions, signin
from ..access import PASSWORD, StaffUser, opened, staff
from ..config import seal_key
from ..extensions import directory, redis
from .forms import SecondFactorForm
from .blueprint import bp, start_session

log = logging.getLogger(__name__)

PENDING_SECONDS = 600          # between the password and the code
MODES = ("required", "optional", "off")
WRONG_CODE = "Code incorrect ou déjà utilisé : saisissez le code que montre l'application maintenant."


def mode() -> str:
    value = str(current_app.config["SESAME_STAFF_TOTP"]).strip().lower()
    return value if value in MODES else "required"      # a typo never turns the second factor off


def factors() -> totp.SecondFactors:
    return totp.SecondFactors(directory.current, Sealer(seal_key(current_app.config)))


def after_password(member: Staff, next_url: str):
    """The password was right: sign in, or ask for the code, or enroll first."""
    if mode() != "off":
        enrolled = factors().read(member.dn).secret is not None
        if enrolled or mode() == "required":
            session.clear()
            session["staff_pending"] = member.uid
            session["staff_pending_version"] = member.password_version
            session["next"] = next_url
            sessions.start(session)
            current_app.session_interface.regenerate(session)
            return redirect(url_for("auth.second_factor_code" if enrolled else "auth.enrol"))
    start_session(StaffUser(member), PASSWORD)
    log.info("staff sign-in: %s", member.uid)
    return redirect(next_url)


def _pending() -> Staff:
    """The staff member between password and code; back to the sign-in form when that took too long
    or their password changed meanwhile."""
    uid = session.get("staff_pending")
    fresh = uid and time.time() - session.get("started", 0) < PENDING_SECONDS
    member = None
    if fresh:
        try:
            member = opened(directory.current.staff(uid), PASSWORD)
        except NotFound:
            member = None
    if member is None or member.password_version != session.get("staff_pending_version"):
        sessions.end("Reconnectez-vous avec votre identifiant et votre mot de passe.", "auth.login")
    return member


def _first_use(uid: str, step: int) -> bool:
    """A code is good once, even within its 30 seconds."""
    return bool(redis.current.set(f"sesame:totp:used:{uid}:{step}", 1, nx=True,
                                  ex=totp.STEP * (2 * totp.DRIFT + 2)))


def _finish(member: Staff):
    next_url = session.get("next") or url_for("home.index")
    start_session(StaffUser(member), PASSWORD)
    log.info("staff sign-in with a second factor: %s", member.uid)
    return next_url


@bp.route("/connexion/codes-de-secours")
def recovery_codes():
    """The recovery codes, once: reloaded, the page says they were shown and goes on."""
    shown = once.take("recovery_codes") or {}
    codes, next_url = shown.get("codes"), shown.get("next")
    if not codes:
        flash("Vos codes de secours ont déjà été affichés : ils ne le sont qu'une fois.", "info")
        return redirect(url_for("home.index"))
    return render_template("auth/recovery_codes.html", codes=codes, next=next_url or url_for("home.index"))


@bp.route("/connexion/code", methods=["GET", "POST"])
def second_factor_code():
    if current_user.is_authenticated:    # signed in already (the back button): nothing to ask
        return redirect(url_for("home.index"))
    member = _pending()
    form = SecondFactorForm()
    status = 200
    if form.validate_on_submit():
        started = time.monotonic()
        failures = ratelimit.sign_in_failures("totp", member.uid)
        verdict = failures.reserve()
        if not verdict.allowed:
            flash(signin.throttled(verdict, holder=False, codes=True), "error")
            return render_template("auth/code.html", form=form), 429
        code = form.code.data or ""
        enrolment = factors().read(member.dn)
        step = totp.matching_step(enrolment.secret, code) if enrolment.secret else None
        if step is not None and _first_use(member.uid, step):
            failures.succeeded()
            return redirect(_finish(member))
        if factors().use_recovery_code(member.dn, code):
            failures.succeeded()
            left = len(enrolment.recovery_hashes) - 1
            next_url = _finish(member)
            flash(f"Code de secours utilisé : il vous en reste {left}."
                  + (" Pensez à réactiver la double authentification pour en obtenir de nouveaux." if left < 3 else ""),
                  "info")
            return redirect(next_url)
        log.info("staff second factor refused from %s", request.remote_addr)
        signin.refuse_at(started)
        flash(WRONG_CODE, "error")
        status = 401
    elif request.method == "POST":
        flash(WRONG_CODE, "error")
        status = 400
    form.code.data = ""
    return render_template("auth/code.html", form=form), status


ENROLMENT = "totp_enrol_secret"


def _enrolment_secret() -> str:
    """The secret being enrolled, kept sealed in the session (bound to it) until the code confirms it."""
    sealer, sealed = Sealer(seal_key(current_app.config)), session.get(ENROLMENT)
    if sealed:
        try:
            return sealer.open(bytes.fromhex(sealed), session.sid)
        except (ValueError, InvalidTag):
            pass    # sealed for an older session id: a new one
    secret = totp.new_secret()
    session[ENROLMENT] = sealer.seal(secret, session.sid).hex()
    return secret


def _grouped(secret: str) -> str:
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


@bp.route("/connexion/second-facteur", methods=["GET", "POST"])
def enrol():
    """At the first sign-in (pending: password given, not yet signed in), or later when signed in."""
    signed_in = current_user.is_authenticated
    member = staff() if signed_in else _pending()
    if member.role not in PASSWORD_ROLES or mode() == "off":
        abort(404)    # support staff: the SSO gives theirs
    enrolled = factors().read(member.dn).secret is not None
    if enrolled and not signed_in:
        # a password alone never replaces an enrolled factor
        return redirect(url_for("auth.second_factor_code"))
    form = SecondFactorForm()
    if enrolled:
        return render_template("auth/enrol.html", enrolled=True, form=form)
    secret = _enrolment_secret()
    status = 200
    if form.validate_on_submit():
        failures = ratelimit.sign_in_failures("totp-enrol", member.uid)
        verdict = failures.reserve()
        if not verdict.allowed:
            flash(signin.throttled(verdict, holder=False, codes=True), "error")
            status = 429
        else:
            step = totp.matching_step(secret, form.code.data or "")
            if step is not None and _first_use(member.uid, step):
                failures.succeeded()
                codes = totp.new_recovery_codes()
                factors().enroll(member.dn, secret, codes)
                session.pop(ENROLMENT, None)
                log.info("staff second factor enrolled: %s", member.uid)
                next_url = url_for("home.index") if signed_in else _finish(member)
                # shown by a page of its own (post, then redirect): a reload never re-sends the code
                once.keep("recovery_codes", {"codes": codes, "next": next_url})
                return redirect(url_for("auth.recovery_codes"), 303)
            flash("Ce code ne correspond pas : vérifiez l'heure du téléphone et saisissez le code affiché.", "error")
            status = 400
    elif request.method == "POST":
        flash("Saisissez le code à 6 chiffres que montre l'application.", "error")
        status = 400
    qr = segno.make(totp.provisioning_uri(secret, member.uid), error="m")
    scale = 5
    form.code.data = ""
    return render_template("auth/enrol.html", enrolled=False, form=form, qr=qr.svg_data_uri(scale=scale),
                           qr_size=qr.symbol_size(scale=scale)[0], secret_groups=_grouped(secret)), status
