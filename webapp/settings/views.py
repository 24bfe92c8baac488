"""« Paramétrage »: the delegations of the establishment (grant, list, end) and its letter settings
(change, preview). A view parses, calls one service, records the operation, renders or redirects."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from flask import Blueprint, current_app, flash, make_response, redirect, render_template, request, url_for
from flask_login import login_required

from directory import journal
from directory.delegations import PARIS, Delegations, Grant, Kind, school_year_end
from directory.errors import ChangedMeanwhile, FieldsRefused, NotFound
from directory.letter_settings import LABELS, LetterSettingsStore, StoredLetterSettings
from directory.model import Establishment, Role

from ..access import current_uai, staff
from ..documents.letter_options import valid_until
from ..documents.letters import Letter, letter_options, letter_settings, letters_pdf
from ..extensions import directory
from ..replicas import rights_changed
from ..rights import Right, requires
from ..edge import parse_day, short_text
from .forms import EndForm, GrantForm, LettersForm

bp = Blueprint("settings", __name__, url_prefix="/parametrage")

SAMPLE = Letter("EXEMPLE", "Camille", "camille.exemple", "PT4HUMM2", "1ère année BTS")   # fictitious
CHANGED_MEANWHILE = ("Les réglages des courriers viennent d'être modifiés par quelqu'un d'autre : "
                     "voici les réglages enregistrés. Refaites votre modification si elle est toujours utile.")


def _today():
    return datetime.now(PARIS).date()


def _delegations() -> Delegations:
    return Delegations(directory.current)


def _letters() -> LetterSettingsStore:
    return LetterSettingsStore(directory.current)


def _letters_form(uai: str, form: LettersForm | None = None) -> LettersForm:
    """The letter settings as stored, or the form as posted (to show its errors)."""
    if form is not None:
        return form
    raw = _letters().raw(uai)
    stored = StoredLetterSettings.from_json(raw)
    return LettersForm(formdata=None, shown=raw, **{name: getattr(stored, name) for name in LABELS})


def _page(uai: str, status: int = 200, grant_form: GrantForm | None = None, letters_form: LettersForm | None = None,
          grant_errors: dict | None = None, letters_errors: dict | None = None, candidates=None):
    now = datetime.now(timezone.utc)
    everything = _delegations().of_establishment(uai)
    problems = []
    search = short_text(request.args, "personnel", 64, "Rechercher un personnel", problems) \
        if request.method == "GET" else ""
    chosen = short_text(request.args, "choisi", 64, "Personnel (nom ou identifiant)", problems)
    for problem in problems:
        flash(problem, "error")
    status = 400 if problems else status
    if candidates is None and search:
        candidates = _delegations().find_staff(search, _staff_scope(uai))
    today = _today()
    grant_form = grant_form or GrantForm(formdata=None, start=today.isoformat(), delegate=chosen)
    defaults = letter_settings(current_app.config)
    return make_response(render_template(
        "settings/index.html", now=now, current=[d for d in everything if d.valid_until > now],
        past=[d for d in everything if d.valid_until <= now][:20], grant_form=grant_form,
        letters_form=_letters_form(uai, letters_form), grant_errors=grant_errors or {},
        letters_errors=letters_errors or {}, candidates=candidates, search=search, defaults=defaults,
        last_day=school_year_end(today), kinds=list(Kind)), status)


def _expired(uai: str, **forms):
    """A form posted without its token (or after it expired): the page again, as it was, with the reason."""
    flash("Le formulaire a expiré : rechargez la page et recommencez.", "error")
    return _page(uai, 400, **forms)


@bp.route("")
@login_required
@requires(Right.SEE_SETTINGS)
def index():
    return _page(current_uai())


def _staff_scope(uai: str) -> str | None:
    """Whose staff a search lists: a head's, only their establishment's; the identity team's, everyone."""
    return None if staff().role is Role.ADMIN else uai


def _chosen_delegate(text: str, uai: str):
    """The staff member the head meant: the one with that identifier, or the only one of that name, among
    those the head may choose (uid or None, the candidates to show when the name is shared)."""
    text = text.strip()
    found = _delegations().find_staff(text, _staff_scope(uai))
    exact = [m for m in found if m.uid.lower() == text.lower()]
    if exact:
        return exact[0].uid, None
    if len(found) == 1:
        return found[0].uid, None
    if len(found) > 1:
        return None, found
    return text, None


def _is_admin(uid: str) -> bool:
    try:
        return directory.current.staff(uid).role is Role.ADMIN
    except NotFound:
        return False


@bp.route("/delegations", methods=["POST"])
@login_required
@requires(Right.DELEGATE)
def grant():
    uai = current_uai()
    form = GrantForm()
    if not form.validate_on_submit():
        return _expired(uai, grant_form=form)
    errors = {}
    try:
        kind = Kind(form.kind.data)
    except ValueError:
        errors["kind"] = "Choisissez « Droits du chef d'établissement » ou « Dépannage »."
    start, end = parse_day(form.start.data), parse_day(form.end.data)
    if start is None:
        errors["start"] = "Indiquez la date de début (jj/mm/aaaa)."
    if end is None:
        errors["end"] = "Indiquez la date de fin (jj/mm/aaaa)."
    delegate, candidates = _chosen_delegate(form.delegate.data or "", uai)
    if candidates:
        errors["delegate"] = "Plusieurs personnels correspondent : choisissez-en un dans la liste (son identifiant)."
    elif not delegate:
        errors["delegate"] = "Indiquez le personnel : son nom ou son identifiant."
    member = staff()
    if not errors:
        try:
            delegation = _delegations().grant(
                Grant(uai, delegate, kind, start, end, form.reason.data or "", member.uid), _today(),
                granter_is_admin=member.role is Role.ADMIN, delegate_is_admin=_is_admin(delegate))
        except FieldsRefused as refused:
            errors = refused.fields
    if errors:
        flash("La délégation n'a pas été accordée : corrigez les champs signalés.", "error")
        return _page(uai, 400, grant_form=form, grant_errors=errors, candidates=candidates)
    summary = (f"« {delegation.kind.label} » à {delegation.delegate} du {delegation.first_day:%d/%m/%Y} "
               f"au {delegation.last_day:%d/%m/%Y}" + (f" ; motif : {delegation.reason}" if delegation.reason else ""))
    journal.record(directory.current, member.uid, journal.DELEGATION_GRANTED, uai, summary)
    rights_changed(delegation.delegate)
    flash(f"Délégation accordée : {summary}.", "info")
    return redirect(url_for("settings.index"), 303)


@bp.route("/delegations/<delegation_id>/fin")
@login_required
@requires(Right.DELEGATE)
def confirm_end(delegation_id):
    """« Mettre fin à la délégation » asks first: who loses which rights, from now."""
    uai = current_uai()
    delegation = _delegations().get(uai, delegation_id)      # another establishment's: 404
    if delegation.valid_until <= datetime.now(timezone.utc):
        flash("Cette délégation est déjà terminée.", "info")
        return redirect(url_for("settings.index"), 303)
    return render_template("settings/end.html", delegation=delegation, form=EndForm(), current_tab="settings.index")


@bp.route("/delegations/<delegation_id>/fin", methods=["POST"])
@login_required
@requires(Right.DELEGATE)
def end(delegation_id):
    uai = current_uai()
    if not EndForm().validate_on_submit():
        return _expired(uai)
    try:
        ended = _delegations().end(uai, delegation_id, staff().uid)   # NotFound (another establishment's): 404
    except FieldsRefused as refused:
        flash(" ".join(refused.fields.values()), "error")
        return _page(uai, 409)
    rights_changed(ended.delegate)     # every web node refuses the delegate's next request, replicas or not
    journal.record(directory.current, staff().uid, journal.DELEGATION_ENDED, uai,
                   f"« {ended.kind.label} » de {ended.delegate} terminée")
    flash(f"La délégation « {ended.kind.label} » de {ended.delegate} est terminée : ses droits ont pris fin.",
          "info")
    return redirect(url_for("settings.index"), 303)


@bp.route("/courriers", methods=["POST"])
@login_required
@requires(Right.CHANGE_LETTERS)
def change_letters():
    uai = current_uai()
    form = LettersForm()
    if not form.validate_on_submit():
        return _expired(uai, letters_form=form)
    shown = form.shown.data or ""
    before = StoredLetterSettings.from_json(shown)
    wanted = StoredLetterSettings(**{name: getattr(form, name).data or "" for name in LABELS})
    try:
        stored = _letters().change(uai, shown, wanted)
    except FieldsRefused as refused:
        flash("Les réglages n'ont pas été enregistrés : corrigez les champs signalés.", "error")
        return _page(uai, 400, letters_form=form, letters_errors=refused.fields)
    except ChangedMeanwhile:
        flash(CHANGED_MEANWHILE, "error")
        return _page(uai, 409)
    changed = [f"{LABELS[name]} : « {getattr(stored, name)} »" for name in LABELS
               if getattr(stored, name) != getattr(before, name)]
    journal.record(directory.current, staff().uid, journal.LETTER_SETTINGS, uai,
                   "; ".join(changed) or "aucun changement")
    flash("Les réglages des courriers sont enregistrés.", "info")
    return redirect(url_for("settings.index"), 303)


@bp.route("/courriers/apercu")
@login_required
@requires(Right.SEE_SETTINGS)
def preview():
    """A sample letter with the establishment's settings, for a fictitious student."""
    uai = current_uai()
    establishment: Establishment = directory.current.establishment(uai)
    settings = letter_settings(current_app.config, _letters().read(uai))
    # the sample's password as if given now: the preview says « valable jusqu'au » as real letters do
    sample = replace(SAMPLE, valid_until=valid_until(datetime.now(timezone.utc),
                                                     current_app.config["SESAME_PROVISIONAL_DAYS"]))
    response = make_response(letters_pdf(establishment, settings, [sample], letter_options(current_app.config)))
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="apercu-courrier-{uai}.pdf"'
    return response
