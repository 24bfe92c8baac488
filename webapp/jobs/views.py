"""Following a job, whatever its kind: my recent jobs, one report page (its live progress), one report CSV,
one « Relancer », and the files jobs made. A kind whose report stands under another area (« Alimentation »)
has that area's blueprint give these same views its own addresses."""
from __future__ import annotations

import functools

from flask import Blueprint, abort, flash, redirect, request, render_template, send_file, url_for
from flask_login import login_required

from ..access import staff
from ..documents.lists import csv_document
from ..rendering import csv_download, page_or_fragment
from . import report
from .kind import kind_of
from .launch import resumable, resume
from .store import OUTCOME_LABELS, job_store
from .tasks import file_store
from .waiting import alive_workers, wait_of

bp = Blueprint("jobs", __name__)
SHOW, CSV, RESTART = "show", "report_csv", "restart"     # the endpoints every blueprint that shows reports names


def my_job(job_id: str):
    """The signed-in person's job, of a kind this version knows, for an establishment they still act on;
    else 404."""
    member = staff()
    job = report.find(job_id, member.uid, job_store()) if job_id.isalnum() else None
    if job is None or kind_of(job) is None or job.owner != member.uid or not member.may_act_on(job.uai):
        abort(404)
    return job


def page_of(job, endpoint: str = SHOW) -> str:
    """The address of the job's report page (or of its CSV, of its « Relancer »), under its kind's area."""
    return url_for(f"{kind_of(job).pages}.{endpoint}", job_id=job.id)


@bp.route("/travaux")
@login_required
def index():
    store = job_store()
    report.recover_lost(staff().uid, store)
    jobs = [j for j in store.recent(staff().uid) if staff().may_act_on(j.uai) and kind_of(j) is not None]
    alive = functools.cache(alive_workers)       # asked once, if a job waits
    waits = {j.id: wait_of(j, store, alive) for j in jobs}
    return render_template("jobs/index.html", jobs=jobs, titles={j.id: kind_of(j).title(j) for j in jobs},
                           progress={j.id: store.progress(j.id) for j in jobs}, page_of=page_of,
                           on_accounts={j.id: kind_of(j).on_accounts for j in jobs},
                           statuses={j.id: waits[j.id].label if waits[j.id] else j.status_label for j in jobs})


@bp.route("/travaux/<job_id>")
@login_required
def show(job_id):
    job = my_job(job_id)
    kind = kind_of(job)
    if kind.pages != request.blueprint:
        return redirect(page_of(job))
    store = job_store()
    found = kind.report(job, store)
    wait = wait_of(job, store)
    back_label, back = kind.back(job)
    return page_or_fragment("jobs/show.html", "jobs/partial/progress.html", job=job, kind=kind, report=found,
                            title=kind.heading(job), done=len(found.outcomes), counts=found.counts,
                            labels=OUTCOME_LABELS, running=wait is not None, resumable=resumable(job, wait),
                            wait=wait, current_tab=kind.tab(job), back=(back_label, url_for(back)),
                            page_url=page_of(job), csv_url=page_of(job, CSV), restart_url=page_of(job, RESTART),
                            **found.details)


@bp.route("/travaux/<job_id>/compte-rendu.csv")
@login_required
def report_csv(job_id):
    """The report account by account (or row by row): who was done, left unchanged or not touched, and why."""
    job = my_job(job_id)
    kind = kind_of(job)
    content = csv_document(list(kind.csv_header), kind.csv_rows(job, kind.report(job, job_store())))
    return csv_download(content, f"compte-rendu-{job.id[:8]}.csv")


@bp.route("/travaux/<job_id>/relancer", methods=["POST"])
@login_required
def restart(job_id):
    """« Relancer »: the job resumed if it was interrupted, said in French either way, back to its page."""
    job = my_job(job_id)
    if resume(job, job_store()):
        flash("L'opération reprend là où elle s'était arrêtée.", "info")
    else:
        flash("Cette opération n'est pas interrompue : rien à relancer.", "error")
    return redirect(page_of(job), 303)


@bp.route("/fichiers/<token>")
@login_required
def download(token):
    stored = file_store().get(token, staff().uid)
    if stored is None:
        abort(404)
    # the type alone: send_file adds the charset of a text type (files of older jobs named it already)
    response = send_file(stored.path, mimetype=stored.mimetype.split(";")[0].strip(), as_attachment=True,
                         download_name=stored.download_name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


def serve_reports(blueprint: Blueprint, prefix: str = "/travaux") -> None:
    """The report page, its CSV and « Relancer », at `blueprint`'s addresses too (its guards apply)."""
    blueprint.add_url_rule(f"{prefix}/<job_id>", SHOW, show)
    blueprint.add_url_rule(f"{prefix}/<job_id>/compte-rendu.csv", CSV, report_csv)
    blueprint.add_url_rule(f"{prefix}/<job_id>/relancer", RESTART, restart, methods=["POST"])
