"""The holders' pages: sign in, choose a password, confirm the birth date, give and confirm an e-mail,
recover a forgotten password or identifier."""
from __future__ import annotations

import logging
import re
import time

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for

from directory.errors import Conflict, InvalidCredentials, NotFound, ValidationFailed
from directory.holders import FIRST_PASSWORD_RULES, PASSWORD_RULES, Holder, Holders, SignIn
from directory.names import ascii_lower
from directory.passwords import Sealer
from directory.locks import is_locked, lock_end

from .. import mail, ratelimit, sessions, signin
from ..accounts import hasher
from ..config import seal_key
from ..extensions import directory
from . import tokens
from .forms import BirthDateForm, ForgotIdentifierForm, ForgotPasswordForm, HolderSignInForm, MailForm, NewPasswordForm

bp = Blueprint("holders", __name__, url_prefix="/compte")
log = logging.getLogger(__name__)

REFUSAL = signin.REFUSAL
EXPIRED = ("Votre mot de passe provisoire a expiré : il n'était valable que {days} jours. Demandez à votre "
           "établissement un nouveau mot de passe provisoire (un nouveau courrier).")
SENT = ("Si ce compte existe et qu'une adresse mail confirmée lui est associée, un message vient d'y être "
        "envoyé. Le lien qu'il contient est valable 30 minutes et ne sert qu'une fois.")
SENT_IDENTIFIER = ("Si cette adresse mail est confirmée pour un compte, un message vient d'y être envoyé avec "
                   "votre identifiant.")
IDENTIFIER = re.compile(r"[a-z0-9][a-z0-9._-]{0,127}")   # prenom.nom2, as directory/names.py makes them
RESET_MINUTES = 30
CONFIRM_HOURS = 48


def holders() -> Holders:
    return Holders(directory.current, hasher())


def _sealer() -> Sealer:
    return Sealer(seal_key(current_app.config))


def _signed_in() -> Holder:
    """The signed-in holder; a session opened before the password last changed (by the holder, by
    recovery or by the school) ends here."""
    dn = session.get("holder_dn")
    if not dn:
        abort(redirect(url_for("holders.sign_in")))
    try:
        holder = holders().by_dn(dn)
    except NotFound:
        holder = None
    if holder is None or holder.password_version != session.get("holder_version"):
        sessions.end("Votre session a pris fin : reconnectez-vous.", "holders.sign_in")
    return holder


@bp.before_request
def choose_a_password_first():
    """With a provisional password, nothing else of the area opens until a password is chosen."""
    open_anyway = {"holders.choose_password", "holders.sign_out", "holders.sign_in"}
    if session.get("holder_current") and request.endpoint not in open_anyway:
        return redirect(url_for("holders.choose_password"))
    # then a student confirms their birth date before anything else (it was skipped by going to /compte/)
    if session.get("birth_date_pending") and request.endpoint not in open_anyway | {"holders.birth_date"}:
        return redirect(url_for("holders.birth_date"))
    return None


def _limit(scope: str, subject: str) -> bool:
    """Per address, and per identifier above the directory's own lockout (10 failures), so that a
    holder who mistyped is told their account is locked rather than to come back later."""
    config = current_app.config
    limits = {f"addr:{request.remote_addr}": config["SESAME_LOGIN_ATTEMPTS_PER_ADDRESS"],
              f"id:{ascii_lower(subject)[:128]}": config["SESAME_LOGIN_ATTEMPTS"] * 4}
    return ratelimit.attempt(scope, limits, config["SESAME_LOGIN_WINDOW"])


def prefill(form: HolderSignInForm) -> None:
    """The letter's QR code opens this page with the identifier filled in (`?identifiant=`): taken if
    it looks like one. Nothing else is ever taken from the address, a password least of all."""
    identifier = request.args.get("identifiant", "").strip().lower()
    if IDENTIFIER.fullmatch(identifier):
        form.identifier.data = identifier
        form.password.render_kw = {**(form.password.render_kw or {}), "autofocus": True}


def _lock_of(identifier: str):
    """(the account exists, when the directory's lock on it ends: False when none holds)."""
    try:
        holder = holders().by_identifier(identifier)
    except NotFound:
        return False, False
    policy = directory.current.password_policy()
    return True, (lock_end(holder.locked_at, policy) if is_locked(holder.locked_at, policy) else False)


@bp.route("/connexion", methods=["GET", "POST"])
def sign_in():
    form = HolderSignInForm()
    if request.method == "GET":
        prefill(form)
    if not form.validate_on_submit():
        status = 400 if request.method == "POST" else 200
        if status == 400:
            flash(REFUSAL, "error")
        return render_template("holder/sign_in.html", form=form), status
    started = time.monotonic()
    identifier = (form.identifier.data or "").strip().lower()
    failures = ratelimit.sign_in_failures("holder-login", identifier, at_the_lock=True)
    stopped = signin.brake(failures, lambda: _lock_of(identifier), holder=True)
    if stopped:
        status, message = stopped
        signin.refuse_at(started)
        flash(message, "error")
        return render_template("holder/sign_in.html", form=form), status
    outcome, holder = holders().sign_in(identifier, form.password.data or "",
                                        current_app.config["SESAME_PROVISIONAL_DAYS"],
                                        current_app.config["SESAME_LEAVER_TOLERANCE_DAYS"])
    if outcome in (SignIn.REFUSED, SignIn.LOCKED):
        signin.refuse_at(started)   # each failure costs the guesser time, known identifier or not
    if outcome is SignIn.REFUSED:
        flash(REFUSAL, "error")
        return render_template("holder/sign_in.html", form=form), 401
    if outcome is SignIn.LOCKED:
        # the same status as any refusal; the words are for the holder, whom the lock stops
        flash(signin.locked(lock_end(holder.locked_at, directory.current.password_policy()) or None,
                            holder=True), "error")
        return render_template("holder/sign_in.html", form=form), 401
    failures.succeeded()
    if outcome is SignIn.DEACTIVATED:
        # the password was right: the holder is told why the account no longer opens
        flash(f"Ce compte est désactivé : son titulaire a quitté l'établissement le {holder.left_on:%d/%m/%Y}. "
              f"S'il est inscrit dans un autre établissement, son compte y sera réactivé ; sinon, adressez-vous "
              f"à l'établissement.", "error")
        return render_template("holder/sign_in.html", form=form), 403
    if outcome is SignIn.EXPIRED:
        # the password was right: saying why it does not open the account tells a stranger nothing
        flash(EXPIRED.format(days=current_app.config["SESAME_PROVISIONAL_DAYS"]), "error")
        return render_template("holder/sign_in.html", form=form), 403
    session.clear()
    session["holder_dn"] = holder.dn
    session["holder_version"] = holder.password_version
    sessions.start(session)
    current_app.session_interface.regenerate(session)
    if outcome is SignIn.MUST_CHANGE:
        # kept sealed, server-side, only until the new password is chosen: the change is made as
        # the holder, who must prove the current password to the directory
        session["holder_current"] = _sealer().seal(form.password.data, session.sid).hex()
        return redirect(url_for("holders.choose_password"))
    return redirect(url_for("holders.home"))


@bp.route("/mot-de-passe", methods=["GET", "POST"])
def choose_password():
    holder = _signed_in()
    sealed = session.get("holder_current")
    if not sealed:
        return redirect(url_for("holders.home"))
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        current = _sealer().open(bytes.fromhex(sealed), session.sid)
        try:
            holders().choose_password(holder, current, form.password.data)
        except ValidationFailed as refusal:
            for reason in refusal.reasons:
                flash(reason, "error")
            status = 400
        except (InvalidCredentials, Conflict):
            session.clear()
            flash("Votre mot de passe provisoire a changé entre-temps : reconnectez-vous avec le nouveau.", "error")
            return redirect(url_for("holders.sign_in"))
        else:
            session.pop("holder_current", None)
            session["holder_version"] = holders().by_dn(holder.dn).password_version
            if holder.is_student and holder.birth_date:
                session["birth_date_pending"] = True
            flash("Votre mot de passe est enregistré : votre compte est activé.", "success")
            return redirect(url_for("holders.birth_date" if holder.is_student else "holders.mail_address"))
    elif request.method == "POST":
        status = 400
    return render_template("holder/password.html", form=form, rules=FIRST_PASSWORD_RULES, holder=holder), status


@bp.route("/naissance", methods=["GET", "POST"])
def birth_date():
    holder = _signed_in()
    if not holder.is_student or session.get("birth_date_confirmed"):
        return redirect(url_for("holders.mail_address"))
    form = BirthDateForm()
    status = 200
    if form.validate_on_submit():
        if holder.birth_date and form.birth_date.data == holder.birth_date:
            session["birth_date_confirmed"] = True
            session.pop("birth_date_pending", None)
            flash("Votre date de naissance est confirmée.", "success")
            return redirect(url_for("holders.mail_address"))
        flash("Cette date ne correspond pas à celle que connaît votre établissement. Vérifiez-la, ou "
              "signalez l'erreur à votre établissement.", "error")
        status = 400
    elif request.method == "POST":
        flash("Indiquez votre date de naissance (jour, mois et année).", "error")
        status = 400
    return render_template("holder/birth_date.html", form=form, holder=holder), status


def _send_confirmation(holder: Holder, address: str) -> None:
    token = tokens.issue("mail", holder.account_id, {"mail": address, "dn": holder.dn}, CONFIRM_HOURS * 3600)
    link = current_app.config["SESAME_PUBLIC_URL"].rstrip("/") + url_for("holders.confirm_mail", token=token)
    mail.send_later(address, "Sésame : confirmez votre adresse mail",
              f"Bonjour {holder.given_name},\n\nPour confirmer cette adresse mail pour votre compte Sésame "
              f"({holder.identifier}), ouvrez ce lien dans les {CONFIRM_HOURS} heures :\n\n{link}\n\n"
              "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.\n")


@bp.route("/courriel", methods=["GET", "POST"])
def mail_address():
    holder = _signed_in()
    form = MailForm()
    status = 200
    if form.validate_on_submit():
        if form.skip.data or not form.mail.data:
            return redirect(url_for("holders.home"))
        address = form.mail.data.strip()
        if not _limit("holder-mail", holder.identifier):
            flash("Trop de demandes : réessayez dans quelques minutes.", "error")
            return render_template("holder/mail.html", form=form, holder=holder), 429
        holders().set_mail(holder, address)
        _send_confirmation(holder, address)
        flash(f"Un message vient d'être envoyé à {address} : cliquez sur le lien qu'il contient pour "
              "confirmer l'adresse.", "success")
        return redirect(url_for("holders.home"))
    if request.method == "POST":
        status = 400
    return render_template("holder/mail.html", form=form, holder=holder), status


@bp.route("/courriel/confirmer/<token>")
def confirm_mail(token):
    payload = tokens.redeem("mail", token)
    if payload is None:
        return render_template("holder/message.html", title="Lien expiré ou déjà utilisé",
                               message="Ce lien ne fonctionne plus. Connectez-vous pour recevoir un nouveau lien."), 410
    try:
        holder = holders().by_dn(payload["dn"])
        holders().confirm_mail(holder, payload["mail"])
    except (NotFound, Conflict):
        return render_template("holder/message.html", title="Adresse modifiée",
                               message="L'adresse de ce compte a changé depuis l'envoi de ce lien."), 410
    return render_template("holder/message.html", title="Adresse mail confirmée",
                           message="Votre adresse mail est confirmée. Elle vous permettra de réinitialiser "
                                   "votre mot de passe ou de retrouver votre identifiant.",
                           signed_in=bool(session.get("holder_dn"))), 200


@bp.route("/")
def home():
    holder = _signed_in()
    if session.get("holder_current"):
        return redirect(url_for("holders.choose_password"))
    return render_template("holder/home.html", holder=holder)


@bp.route("/deconnexion", methods=["POST"])
def sign_out():
    session.clear()
    flash("Vous êtes déconnecté.", "info")
    current_app.session_interface.regenerate(session)
    return redirect(url_for("holders.sign_in"))


@bp.route("/mot-de-passe-oublie", methods=["GET", "POST"])
def forgot_password():
    """The same answer, in content and status, whether the identifier exists or not."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        identifier = form.identifier.data.strip().lower()
        if _limit("holder-forgot", identifier):
            try:
                holder = holders().by_identifier(identifier)
            except NotFound:
                holder = None
            if holder and holder.mail and holder.mail_verified:
                token = tokens.issue("reset", holder.account_id, {"dn": holder.dn}, RESET_MINUTES * 60)
                link = current_app.config["SESAME_PUBLIC_URL"].rstrip("/") + url_for("holders.new_password", token=token)
                mail.send_later(holder.mail, "Sésame : réinitialiser votre mot de passe",
                          f"Bonjour {holder.given_name},\n\nPour choisir un nouveau mot de passe pour votre compte "
                          f"Sésame ({holder.identifier}), ouvrez ce lien dans les {RESET_MINUTES} minutes :\n\n"
                          f"{link}\n\nCe lien ne sert qu'une fois. Si vous n'êtes pas à l'origine de cette "
                          "demande, ignorez ce message : votre mot de passe ne change pas.\n")
        flash(SENT, "info")
        return redirect(url_for("holders.forgot_password"), 303)
    return _form_refused(form, "holder/forgot_password.html")


@bp.route("/identifiant-oublie", methods=["GET", "POST"])
def forgot_identifier():
    form = ForgotIdentifierForm()
    if form.validate_on_submit():
        address = form.mail.data.strip()
        if _limit("holder-forgot-id", address):
            found = holders().with_verified_mail(address)
            if found:
                lines = "\n".join(f"  {h.given_name} {h.surname} : {h.identifier}" for h in found)
                mail.send_later(address, "Sésame : votre identifiant",
                          f"Bonjour,\n\nVoici le ou les identifiants Sésame associés à cette adresse :\n\n{lines}\n")
        flash(SENT_IDENTIFIER, "info")
        return redirect(url_for("holders.forgot_identifier"), 303)
    return _form_refused(form, "holder/forgot_identifier.html")


def _form_refused(form, template: str):
    """The form again; after a POST it could not take, with what was wrong, in words (not a bare 400)."""
    if request.method != "POST":
        return render_template(template, form=form), 200
    reasons = [error for name, errors in form.errors.items() if name != "csrf_token" for error in errors]
    if "csrf_token" in form.errors:
        reasons.append("Le formulaire a expiré : recommencez.")
    for reason in reasons or ["Vérifiez ce que vous avez saisi."]:
        flash(reason, "error")
    return render_template(template, form=form), 400


@bp.route("/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
def new_password(token):
    payload = tokens.peek("reset", token)
    if payload is None:
        return render_template("holder/message.html", title="Lien expiré ou déjà utilisé",
                               message="Ce lien ne fonctionne plus. Demandez-en un nouveau avec « Mot de passe oublié »."), 410
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        holder = holders().by_dn(payload["dn"])
        try:   # a password that breaks a rule is said before the link is spent: the form stays usable
            holders().check_password(holder, form.password.data)
        except ValidationFailed as refusal:
            for reason in refusal.reasons:
                flash(reason, "error")
            return render_template("holder/password.html", form=form, rules=PASSWORD_RULES, holder=None,
                                   action=url_for("holders.new_password", token=token)), 400
        if tokens.redeem("reset", token) is None:      # used meanwhile by another request
            return render_template("holder/message.html", title="Lien expiré ou déjà utilisé",
                                   message="Ce lien vient d'être utilisé."), 410
        try:
            holders().set_password(holder, form.password.data)
        except (ValidationFailed, Conflict) as refusal:
            # the link is spent: a new one is needed, said plainly
            for reason in getattr(refusal, "reasons", ["Le compte a été modifié entre-temps."]):
                flash(reason, "error")
            flash("Demandez un nouveau lien avec « Mot de passe oublié ».", "error")
            return redirect(url_for("holders.forgot_password"))
        flash("Votre nouveau mot de passe est enregistré : connectez-vous avec.", "success")
        return redirect(url_for("holders.sign_in"))
    if request.method == "POST":
        status = 400
    return render_template("holder/password.html", form=form, rules=PASSWORD_RULES, holder=None,
                           action=url_for("holders.new_password", token=token)), status


