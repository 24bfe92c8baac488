"""« Réimprimer »: a past job's letters made again, for its accounts still « Notifié et non activé », as a job of
its own (one worker, nothing written to any account); the form under the report of the jobs it reprints."""
from __future__ import annotations

import hashlib

from flask import Blueprint, abort, flash, redirect
from flask_login import login_required

from directory.lifecycle import Action

from ..access import staff
from ..extensions import directory
from ..jobs.kind import Document, kind_of
from ..jobs.launch import launch
from ..jobs.store import DONE, FINISHED, UNCHANGED, Job, JobStore, job_store
from ..jobs.views import my_job, page_of
from ..rights import Right, requires
from ..students.forms import ConfirmationForm, NotifyForm, letter_choices
from ..students.population import of_job
from .base import AccountsKind
from .letters import letter_words, letters_document, reprinted

bp = Blueprint("reprint", __name__)


class ReprintForm(ConfirmationForm):
    layout = NotifyForm.layout
    language = NotifyForm.language


class Reprint(AccountsKind):
    action = Action.REPRINT
    label = "Réimpression des courriers"
    whole = True            # no hashing: nothing to share

    lost_document = ("Le courrier de cette opération n'est pas dans la sauvegarde (il contenait des mots de passe) : "
                     "« Réimprimer » le refait.")

    def option_words(self, options: dict) -> list[str]:
        return letter_words(options)

    def has_document(self, job: Job) -> bool:
        return True

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        """Nothing to write: the letters are made at the end, from the accounts as they then are."""

    def finish(self, job: Job, store: JobStore, chunks) -> Document:
        letters = reprinted(job, store, self.accounts(job))
        document = Document(letters_document(job, directory.current.establishment(job.uai), letters),
                            f"courriers-{job.uai}.pdf", "application/pdf")
        self.close(job, store)
        return document

    def report(self, job: Job, store: JobStore):
        found = super().report(job, store)
        found.download = "Télécharger le courrier au format PDF"
        return found


def reprintable(job: Job) -> bool:
    """A finished job that gave provisional passwords (notify, reset) can have its letters again."""
    return job.status == FINISHED and getattr(kind_of(job), "gives_passwords", False)


def reprint_context(job: Job) -> dict:
    """« Réimprimer » under the report of a job it reprints, its choices starting from that job's."""
    if not reprintable(job):
        return {"reprint_form": None}
    return {"reprint_form": ReprintForm(formdata=None, data={"layout": str(job.options.get("layout", 1)),
                                                              "language": job.options.get("language", "")}),
            "pop": of_job(job.population)}      # its languages: a parent's own one too


@bp.route("/travaux/<job_id>/reimprimer", methods=["POST"])
@login_required
@requires(Right.NOTIFY)
def reprint(job_id):
    source = my_job(job_id)
    form = ReprintForm()
    if not reprintable(source):
        flash("Seule une opération terminée qui a donné des mots de passe provisoires peut être réimprimée.", "error")
        return redirect(page_of(source), 303)
    if not form.validate_on_submit():
        abort(400, "Le formulaire n'est pas valide : vérifiez vos choix, puis « Réimprimer » de nouveau.")
    owner = staff().uid
    store = job_store()
    job_id = hashlib.sha256(f"{owner}:{form.confirmation.data}".encode()).hexdigest()[:32]
    if store.get(job_id) is None:
        # the accounts the past job gave a letter or a password; the worker keeps those still notified
        found = kind_of(source).outcomes(source, store)
        accounts = [i for i in source.account_ids if found.get(i, ("",))[0] in (DONE, UNCHANGED)]
        launch(Action.REPRINT.value, job_id, owner, source.uai, source.population, accounts,
               {"letters": True, "source": source.id, **letter_choices(form)})
    return redirect(page_of(store.get(job_id)), 303)
