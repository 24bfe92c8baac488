"""Following a job: its live progress and report, my recent jobs, and the files they made."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_login import login_required


from ..access import staff
from ..accounts import student_accounts
from ..documents.files import FileStore
from ..extensions import redis
from ..rendering import page_or_fragment
from ..students.population import of_job
from .store import DONE, FAILED, OUTCOME_LABELS, REFUSED, RUNNING, UNCHANGED, job_store
from .worker import queue

bp = Blueprint("jobs", __name__)

TITLES = {"notify": "(Re)notification des comptes", "reset": "Réinitialisation des mots de passe",
          "list": "Liste des comptes"}


def enqueue(job) -> None:
    from .tasks import run_job
    queue(redis.current).enqueue(run_job, job.id, job_timeout=3 * 3600)


def _my_job(job_id: str):
    """The job if it is the signed-in person's, for an establishment they still act on; else 404."""
    job = job_store().get(job_id) if job_id.isalnum() else None
    member = staff()
    if job is None or job.owner != member.uid or not member.may_act_on(job.uai):
        abort(404)
    return job


def _report(job, store):
    outcomes = store.outcomes(job.id)
    counts = {k: sum(1 for o, _ in outcomes.values() if o == k) for k in (DONE, UNCHANGED, REFUSED)}
    refused = []
    if counts[REFUSED]:
        ids = [i for i, (o, _) in outcomes.items() if o == REFUSED]
        population = of_job(job.population)
        accounts = student_accounts(external=population.external, guardians=population.guardians)
        names = {r.account_id: f"{r.surname.upper()} {r.given_name}" for r in accounts.read(job.uai, ids).values()}
        refused = sorted((names.get(i, i), outcomes[i][1]) for i in ids)
    return outcomes, counts, refused


@bp.route("/travaux")
@login_required
def index():
    jobs = [j for j in job_store().recent(staff().uid) if staff().may_act_on(j.uai)]
    store = job_store()
    return render_template("jobs/index.html", jobs=jobs, titles=TITLES,
                           progress={j.id: store.progress(j.id) for j in jobs})


@bp.route("/travaux/<job_id>")
@login_required
def show(job_id):
    job = _my_job(job_id)
    store = job_store()
    outcomes, counts, refused = _report(job, store)
    return page_or_fragment("jobs/show.html", "jobs/partial/progress.html", job=job, title=TITLES[job.kind],
                            done=len(outcomes), counts=counts, refused=refused, labels=OUTCOME_LABELS,
                            running=job.status not in ("finished", FAILED),
                            current_tab=f"{of_job(job.population).name}.index")


@bp.route("/travaux/<job_id>/relancer", methods=["POST"])
@login_required
def restart(job_id):
    job = _my_job(job_id)
    store = job_store()
    if job.status != FAILED or store.held(job.id):
        flash("Cette opération n'est pas interrompue : rien à relancer.", "error")
        return redirect(url_for("jobs.show", job_id=job.id), 303)
    job.status = RUNNING
    store.save(job)
    enqueue(job)
    flash("L'opération reprend là où elle s'était arrêtée.", "info")
    return redirect(url_for("jobs.show", job_id=job.id), 303)


@bp.route("/fichiers/<token>")
@login_required
def download(token):
    config = current_app.config
    files = FileStore(config["SESAME_FILES_DIR"], redis.current, config["SESAME_FILE_MINUTES"] * 60)
    stored = files.get(token, staff().uid)
    if stored is None:
        abort(404)
    response = send_file(stored.path, mimetype=stored.mimetype, as_attachment=True,
                         download_name=stored.download_name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response
