"""Following a job: its live progress and report, my recent jobs, and the files they made."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import login_required

from directory.journal import ACTION_LABELS


from ..access import staff
from ..documents.files import FileStore
from ..documents.lists import csv_document
from ..extensions import redis
from ..rendering import csv_download, page_or_fragment
from ..students.population import of_job
from . import report
from .store import FAILED, OUTCOME_LABELS, QUEUED, REFUSED, RUNNING, job_store
from .worker import queue

bp = Blueprint("jobs", __name__)



def enqueue(job) -> None:
    """The job on the queue once per chunk (up to SESAME_JOB_SPREAD): every idle worker takes a share."""
    from .tasks import run_job, spread
    jobs_queue = queue(redis.current)
    for _ in range(spread(job)):
        jobs_queue.enqueue(run_job, job.id, job_timeout=3 * 3600)


def _my_job(job_id: str):
    """The job if it is the signed-in person's, for an establishment they still act on; else 404."""
    member = staff()
    job = report.find(job_id, member.uid, job_store()) if job_id.isalnum() else None
    if job is None or job.owner != member.uid or not member.may_act_on(job.uai):
        abort(404)
    return job


def _resumable(job, held: bool) -> bool:
    """Interrupted, or left « En cours » by a worker that no longer holds it."""
    return job.status == FAILED or (job.status in (QUEUED, RUNNING) and not held)


def resume(job, store) -> bool:
    """An interrupted job back on the queue, where it goes on from where it stopped; False if it is not one."""
    if not _resumable(job, store.held(job.id)):
        return False
    job.status, job.message = RUNNING, ""
    store.save(job)
    enqueue(job)
    return True


def _names(job, ids) -> dict[str, tuple[str, str, str]]:
    return {r.account_id: (r.surname.upper(), r.given_name, r.identifier or "")
            for r in report.job_accounts(job).read(job.uai, ids).values()}


def _report(job, store):
    outcomes = report.outcomes(job, store)
    counts = report.counts(outcomes)
    refused = []
    if counts[REFUSED]:
        ids = [i for i, (o, _) in outcomes.items() if o == REFUSED]
        names = _names(job, ids)
        refused = sorted((f"{names[i][0]} {names[i][1]}" if i in names else i, outcomes[i][1]) for i in ids)
    return outcomes, counts, refused


@bp.route("/travaux")
@login_required
def index():
    store = job_store()
    report.recover_lost(staff().uid, store)
    jobs = [j for j in store.recent(staff().uid) if staff().may_act_on(j.uai)]
    return render_template("jobs/index.html", jobs=jobs,
                           progress={j.id: store.progress(j.id) for j in jobs})


@bp.route("/travaux/<job_id>")
@login_required
def show(job_id):
    job = _my_job(job_id)
    if job.kind == "import":     # « Alimentation » shows its rows on its own page
        return redirect(url_for("alimentation.job", job_id=job.id))
    store = job_store()
    outcomes, counts, refused = _report(job, store)
    running, held = job.status in (QUEUED, RUNNING), store.held(job.id)
    return page_or_fragment("jobs/show.html", "jobs/partial/progress.html", job=job, title=ACTION_LABELS[job.kind],
                            done=len(outcomes), counts=counts, refused=refused, labels=OUTCOME_LABELS,
                            running=running, resumable=_resumable(job, held), waiting=running and not held,
                            current_tab=f"{of_job(job.population).name}.index", pop=of_job(job.population),
                            **_reprint_context(job))


def _reprint_context(job) -> dict:
    """« Réimprimer » under a finished job that gave provisional passwords (webapp/jobs/reprint.py)."""
    from .reprint import reprint_form, reprintable
    return {"reprint_form": reprint_form(job) if reprintable(job) else None}


@bp.route("/travaux/<job_id>/compte-rendu.csv")
@login_required
def report_csv(job_id):
    """The report account by account: who was done, left unchanged or not touched, and why."""
    job = _my_job(job_id)
    store = job_store()
    outcomes = report.outcomes(job, store)
    names = _names(job, job.account_ids)
    rows = []
    for account_id in job.account_ids:
        surname, given_name, identifier = names.get(account_id, ("", "", ""))
        outcome, detail = outcomes.get(account_id, ("", ""))
        label = OUTCOME_LABELS.get(outcome, "Pas encore traité" if job.status in (QUEUED, RUNNING)
                                   else "Non traité")
        rows.append((surname, given_name, identifier, account_id, label, detail if outcome == REFUSED else ""))
    rows.sort(key=lambda r: (r[0], r[1], r[3]))
    content = csv_document(["Nom", "Prénom", "Identifiant", "Numéro de compte", "Résultat", "Motif"], rows)
    return csv_download(content, f"compte-rendu-{job.id[:8]}.csv")


@bp.route("/travaux/<job_id>/relancer", methods=["POST"])
@login_required
def restart(job_id):
    return restarted(_my_job(job_id), "jobs.show", "Cette opération n'est pas interrompue : rien à relancer.",
                     "L'opération reprend là où elle s'était arrêtée.")


def restarted(job, page: str, not_stopped: str, resumed: str):
    """« Relancer »: the job resumed if it was interrupted, said in French either way, back to its `page`."""
    if resume(job, job_store()):
        flash(resumed, "info")
    else:
        flash(not_stopped, "error")
    return redirect(url_for(page, job_id=job.id), 303)


@bp.route("/fichiers/<token>")
@login_required
def download(token):
    config = current_app.config
    files = FileStore(config["SESAME_FILES_DIR"], redis.current, config["SESAME_FILE_MINUTES"] * 60)
    stored = files.get(token, staff().uid)
    if stored is None:
        abort(404)
    # the type alone: send_file adds the charset of a text type (files of older jobs named it already)
    response = send_file(stored.path, mimetype=stored.mimetype.split(";")[0].strip(), as_attachment=True,
                         download_name=stored.download_name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
