"""The three actions of the guide on selected students: (re)notify, reset passwords, list accounts."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from directory.actions import Refusal, change_accounts
from directory.audit import record_action
from directory.errors import NotFound, WriteOutcomeUnknown
from directory.lifecycle import Action
from directory.model import AccountState

from ..access import current_uai, staff
from ..figures import forget as forget_figures
from .. import once
from ..accounts import accounts_of
from ..errors import render_error
from ..holders import tokens
from ..rendering import wants_fragment
from ..extensions import directory
from ..jobs.launch import launch
from ..jobs.store import job_store
from ..jobs.views import page_of
from ..operations import ROW, summary as operation_summary
from .forms import LETTER, ListForm, NotifyForm, ResetForm, letter_choices
from .query import ACCOUNT_ID
from .population import current, ep
from ..rights import Right, requires
from .views import _children_here, _query, _reference, _repo, _selection, route

@dataclass(frozen=True)
class Screen:
    """One action's form and the route it posts to, with what happens to the accounts of each state."""
    action: Action
    title: str
    right: Right
    form: type
    options: Callable          # the job's options, from the posted form
    routes: tuple[str, str, str, str]   # the form's URL and view, the post's URL and view
    effects: dict
    options_partial: str                # the form's own choices (templates/students/partial/options_<kind>.html)
    effects_heading: str = "Ce qui leur arrivera"


SCREENS = {screen.action.value: screen for screen in (
    Screen(Action.NOTIFY, "(Re)Notifier les comptes", Right.NOTIFY, NotifyForm,
           lambda form: {"letters": form.notification.data == LETTER, "reset": bool(form.reset_password.data),
                         **letter_choices(form)},
           ("/notifier", "notify_form", "/notifications", "notify"), {
        "NOT_NOTIFIED": "Reçoivent un identifiant et un mot de passe provisoire, et passent à « Notifié et non activé ».",
        "NOTIFIED": "Conservent leur mot de passe provisoire (un nouveau si « Réinitialiser le mot de passe » est coché, "
                    "ou s'il a expiré).",
        "ACTIVE": "Gardent le mot de passe qu'ils ont choisi ; leur courrier ne montre que l'identifiant. Si "
                  "« Réinitialiser le mot de passe » est coché : nouveau mot de passe provisoire, retour à "
                  "« Notifié et non activé »."}, "students/partial/options_notify.html"),
    Screen(Action.RESET, "Réinitialiser les mots de passe", Right.RESET, ResetForm, lambda form: {},
           ("/reinitialiser", "reset_form", "/reinitialisations", "reset"), {
        "NOT_NOTIFIED": "Reçoivent un mot de passe provisoire et passent à « Notifié et non activé ».",
        "NOTIFIED": "Reçoivent un nouveau mot de passe provisoire ; l'ancien ne fonctionne plus.",
        "ACTIVE": "Perdent le mot de passe qu'ils ont choisi : nouveau mot de passe provisoire, retour à "
                  "« Notifié et non activé » (à changer à la prochaine connexion)."}, "students/partial/options_reset.html"),
    Screen(Action.LIST, "Lister les comptes", Right.LIST, ListForm, lambda form: {"format": form.format.data},
           ("/lister", "list_form", "/listes", "make_list"), {
        "NOT_NOTIFIED": "Mot de passe vide : notifiez-les pour qu'un mot de passe provisoire figure dans la liste.",
        "NOTIFIED": "Leur mot de passe provisoire figure dans la liste.",
        "ACTIVE": "Mot de passe remplacé par des astérisques (*****)."}, "students/partial/options_list.html",
           "Dans la liste"),
)}


def _selected(uai: str):
    """The selection and its accounts per state; refusals (empty, or not all of this establishment)
    are said in French and nothing is done."""
    selected = sorted(_selection(uai).members())
    by_state = _repo().count_by_state(uai, selected)
    outside = len(selected) - sum(by_state.values())
    problems = []
    if not selected:
        problems.append(f"Aucun {current().noun_one} n'est sélectionné : cochez des {current().nouns} dans la liste, "
                        "puis choisissez l'action.")
    elif outside:
        problems.append(f"La sélection contient {outside} {current().noun} qui ne sont pas de votre établissement : "
                        "rien n'a été fait. Videz la sélection et recommencez.")
    return selected, by_state, problems


def _form_page(kind: str, form, uai: str, status: int = 200, problems=()):
    selected, by_state, found = _selected(uai)
    for problem in list(problems) or found:
        flash(problem, "error")
    screen = SCREENS[kind]
    return render_template("students/action.html", options=screen.options_partial, title=screen.title, post_endpoint=ep(screen.routes[3]),
                           effects=screen.effects, form=form,
                           effects_heading=screen.effects_heading, selected_count=len(selected), by_state=by_state,
                           states=list(AccountState)), status


def _start(kind: str, options_of: Callable, form):
    uai = current_uai()
    if not form.validate_on_submit():
        return _form_page(kind, form, uai, 400, ["Le formulaire n'est pas valide : vérifiez vos choix."])
    options = options_of(form)     # from a form found valid only: a layout « 0001-01-01 » is never read
    owner = staff().uid
    job_id = hashlib.sha256(f"{owner}:{form.confirmation.data}".encode()).hexdigest()[:32]
    store = job_store()
    existing = store.get(job_id)
    if existing is not None:     # this confirmation was posted already: its job, not a second one
        return redirect(page_of(existing), 303)
    selected, by_state, problems = _selected(uai)
    if problems:
        return _form_page(kind, form, uai, 400, problems)
    job = launch(kind, job_id, owner, uai, current().name, selected, options)
    return redirect(page_of(job), 303)


def _register(screen: Screen) -> None:
    """The action's form page and the post that starts its job, for every population."""
    form_url, form_view, post_url, post_view = screen.routes

    @login_required
    @requires(screen.right)
    def show_form():
        return _form_page(screen.action.value, screen.form(), current_uai())

    @login_required
    @requires(screen.right)
    def start():
        return _start(screen.action.value, screen.options, screen.form())

    route(form_url, endpoint=form_view)(show_form)
    route(post_url, methods=["POST"], endpoint=post_view)(start)


for _screen in SCREENS.values():
    _register(_screen)


@route("/<account_id>/reinitialisation", methods=["POST"])
@login_required
@requires(Right.RESET)
def reset_one(account_id):
    """One row's « Réinitialiser le mot de passe »: done at once, the row comes back showing the new
    provisional password to read out or write down (answered no-store, as every page)."""
    uai = current_uai()
    if not ACCOUNT_ID.match(account_id):
        abort(404)
    # the same service as the job's: the FranceConnect refusal, the recovery links, the lifecycle's rule
    try:
        result, = change_accounts(accounts_of(current().accounts), uai, [account_id], Action.RESET,
                                  f"row-{secrets.token_hex(8)}",
                                  revoke_recovery=lambda ids: tokens.revoke("reset", ids))
    except WriteOutcomeUnknown:
        return render_error(503, "L'annuaire a cessé de répondre pendant la réinitialisation et n'a pas pu dire si "
                                 "elle a été faite. Rechargez la page dans quelques instants : la ligne montrera "
                                 "l'état du compte.")
    if result.refusal is Refusal.GONE:
        raise NotFound(account_id)                        # → 404 for another establishment
    if result.refusal is Refusal.FRANCECONNECT:
        return render_error(409, "Ce responsable se connecte avec FranceConnect : il n'a pas de mot de passe "
                                 "Sésame à réinitialiser.")
    if result.refusal is Refusal.CHANGED_MEANWHILE:
        return render_error(409, "Le compte vient d'être modifié par quelqu'un d'autre : rechargez la page.")
    record_action(directory.current, f"row-{secrets.token_hex(12)}", staff().uid, Action.RESET.value, uai, [account_id],
                  operation_summary(Action.RESET.value, {ROW: True}, current().name, 1, 0, 0, 1))
    forget_figures(uai)      # « Accueil » shows it at once
    _, student = _repo().get(uai, account_id)
    done = {"student": student, "password": result.password}
    if wants_fragment():
        classes, mefs, attachments = _reference(uai)
        return render_template("students/partial/reset_row.html", s=student, done=done,
                               selected=_selection(uai).which([account_id]), classes=classes, mefs=mefs,
                               attachments=attachments, support=current().shows_passwords(staff().role),
                               children_of=_children_here(uai, [student]) if current().searches_children else {},
                               passwords={account_id: result.password}, just_reset=True)
    # without JavaScript: back (post, then redirect) to the list the button was pressed in, its row
    # showing the new password and the confirmation above it, once; a reload never resets again
    query, _, _ = _query(request.form, uai)
    if query.errors:
        query, _, _ = _query({}, uai)
    once.keep("just_reset", {"account_id": account_id, "password": result.password})
    return redirect(query.url(url_for(ep("index"))), 303)
