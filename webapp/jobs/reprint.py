"""« Réimprimer »: a past job's letters made again, for its accounts still « Notifié et non activé »."""
from __future__ import annotations

import hashlib

from flask import abort, flash, redirect, url_for
from flask_login import login_required

from directory.audit import open_job
from directory.lifecycle import Action

from ..access import staff
from ..extensions import directory
from ..rights import Right, requires
from ..students.forms import ConfirmationForm, NotifyForm, letter_choices
from . import report
from .store import DONE, FINISHED, UNCHANGED, job_store
from .views import _my_job, bp, enqueue


class ReprintForm(ConfirmationForm):
    layout = NotifyForm.layout
    language = NotifyForm.language


def reprintable(job) -> bool:
    """A finished job that gave provisional passwords (notify, reset) can have its letters again."""
    return job.status == FINISHED and job.action in (Action.NOTIFY, Action.RESET)


def reprint_form(job) -> ReprintForm:
    """Its choices start from the past job's."""
    return ReprintForm(formdata=None, data={"layout": str(job.options.get("layout", 1)),
                                            "language": job.options.get("language", "")})


@bp.route("/travaux/<job_id>/reimprimer", methods=["POST"])
@login_required
@requires(Right.NOTIFY)
def reprint(job_id):
    source = _my_job(job_id)
    form = ReprintForm()
    if not reprintable(source):
        flash("Seule une opération terminée qui a donné des mots de passe provisoires peut être réimprimée.", "error")
        return redirect(url_for("jobs.show", job_id=source.id), 303)
    if not form.validate_on_submit():
        abort(400, "Le formulaire n'est pas valide : vérifiez vos choix, puis « Réimprimer » de nouveau.")
    owner = staff().uid
    job_id = hashlib.sha256(f"{owner}:{form.confirmation.data}".encode()).hexdigest()[:32]
    store = job_store()
    if store.get(job_id) is None:
        # the accounts the past job gave a letter or a password; the worker keeps those still notified
        found = report.outcomes(source, store)
        accounts = [i for i in source.account_ids if found.get(i, ("",))[0] in (DONE, UNCHANGED)]
        options = {"letters": True, "source": source.id, **letter_choices(form)}
        open_job(directory.current, job_id, owner, Action.REPRINT.value, source.uai, source.population, options,
                 accounts)
        job, created = store.create(Action.REPRINT.value, owner, source.uai, source.population, accounts, options,
                                    job_id=job_id)
        if created:
            enqueue(job)
    return redirect(url_for("jobs.show", job_id=job_id), 303)

