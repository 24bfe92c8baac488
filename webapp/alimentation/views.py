"""The « Alimentation » screens: upload, preview (counts, rows, filters, CSV), apply with the brake (a job whose
report the jobs' one report page shows here), and the identity team's search across establishments with each
account's history."""
from __future__ import annotations

import hashlib
import time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from directory.registry import leavers
from directory.registry import lookup as history
from directory.registry.files import FileRefused, read_upload
from directory.registry.preview import CATEGORIES, CATEGORY_LABELS, CREATED, MATCHED, make_preview

from ..access import staff
from ..documents.lists import csv_document
from ..edge import short_text
from ..extensions import directory
from ..jobs.launch import launch
from ..jobs.views import page_of, serve_reports
from ..rendering import csv_download, page_or_fragment
from ..rights import Right, guard
from . import previews
from directory.registry.report import ReportRow, keep_rows

from .job import IMPORT, KINDS
from .removal import last_day

bp = Blueprint("alimentation", __name__, url_prefix="/alimentation")
guard(bp, Right.IMPORT)         # every URL, fragments included: the identity team only (403 for anyone else)
serve_reports(bp)               # its jobs' reports (imports, removals) at its own addresses
MAX_FILES = 12


def _page(**context):
    return dict(current_tab="alimentation.index", **context)


@bp.route("")
def index():
    return render_template("alimentation/index.html", **_page(
        removable=len(leavers.removable(directory.current, last_day()))))


@bp.route("/apercu", methods=["POST"])
def upload():
    uploads = [f for f in request.files.getlist("fichiers") if f and f.filename]
    refusals, files = [], []
    if not uploads:
        refusals.append("Choisissez au moins un fichier (export SIECLE, extraction ONDE ou CSV Sésame).")
    if len(uploads) > MAX_FILES:
        refusals.append(f"{len(uploads)} fichiers : {MAX_FILES} au plus par envoi.")
        uploads = []
    for upload_ in uploads:
        try:
            files += read_upload(upload_.filename, upload_.read())
        except FileRefused as refusal:
            refusals.append(refusal.message)
    preview = None
    if not refusals:
        try:
            preview = make_preview(directory.current, files, decisions=previews.decisions())
        except FileRefused as refusal:
            refusals.append(refusal.message)
    if refusals:
        for message in refusals:
            flash(message + " Rien n'a été modifié.", "error")
        return render_template("alimentation/index.html", **_page(removable=None)), 400
    return redirect(url_for("alimentation.preview", preview_id=previews.save(preview, staff().uid)), 303)


def _mine(preview_id: str):
    found = previews.load(preview_id, staff().uid)
    if found is None:
        abort(404)
    return found


def _filtered(preview):
    uai, category, kind = (request.args.get(k, "") for k in ("etablissement", "categorie", "type"))
    if uai not in {"", *(e.uai for e in preview.establishments)} or category not in ("", *CATEGORIES) \
            or kind not in ("", *KINDS):
        abort(400, "Ce filtre n'existe pas dans l'aperçu : choisissez-le dans les listes.")
    return [r for r in preview.rows()
            if (not uai or r.uai == uai) and (not category or r.category == category) and (not kind or r.kind == kind)
            and r.plan.get("counted", True)]


REGISTRIES = {"SIECLE": "SIECLE (second degré)", "ONDE": "ONDE (premier degré)", "Sésame": "CSV Sésame"}


@bp.route("/apercu/<preview_id>")
def preview(preview_id):
    found = _mine(preview_id)
    rows = _filtered(found)
    shown = rows[:1000]
    sent = previews.sent(preview_id)
    # an establishment is applied once every row of it went to a job (the brake may have held it back)
    applied = {e.uai: sent[e.rows[0].key] for e in found.establishments
               if e.uai and e.rows and all(r.key in sent for r in e.rows)}
    counted = [r.key for r in found.rows() if r.plan.get("counted", True)]
    return page_or_fragment("alimentation/preview.html", "alimentation/partial/rows.html",
                            **_page(preview=found, preview_id=preview_id, rows=shown, total=len(rows),
                                    categories=CATEGORIES, labels=CATEGORY_LABELS, kinds=KINDS,
                                    registries=REGISTRIES, applied=applied,
                                    everything_sent=bool(counted) and all(k in sent for k in counted),
                                    chosen={k: request.args.get(k, "") for k in ("etablissement", "categorie", "type")}))


def _csv(header, table, filename: str):
    return csv_download(csv_document(header, table), filename)


@bp.route("/apercu/<preview_id>/lignes.csv")
def preview_csv(preview_id):
    found = _mine(preview_id)
    table = [(r.uai, KINDS[r.kind], r.category_label, r.name, r.ine, r.identifier,
              " ; ".join(f"{label} : {old or '—'} → {new}" for label, old, new in r.changes), r.reason,
              r.source, r.line or "") for r in _filtered(found)]
    return _csv(["UAI", "Type", "Catégorie", "Nom", "INE", "Identifiant", "Changements", "Motif", "Fichier", "Ligne"],
                table, f"apercu-{preview_id[:8]}.csv")


CHOICES = {"rattacher": MATCHED, "creer": CREATED}


@bp.route("/apercu/<preview_id>/choix", methods=["POST"])
def choose(preview_id):
    """A probable duplicate decided on the preview: the row matched to the account it names (its INE written on
    it) or created all the same; the choice is remembered a day, so that a new preview makes it by itself."""
    found = _mine(preview_id)
    key, choice = request.form.get("ligne", ""), CHOICES.get(request.form.get("choix", ""))
    row = next((r for r in found.rows() if r.key == key and r.plan.get("op") == "choose"), None)
    if row is None or choice is None or key in previews.sent(preview_id):
        flash("Cette ligne n'attend pas de choix (déjà choisie, ou déjà appliquée) : rien n'a changé.", "error")
        return redirect(url_for("alimentation.preview", preview_id=preview_id, categorie="conflict"), 303)
    chosen = row.plan["choices"][choice]
    row.key, row.category, row.identifier, row.changes = chosen["key"], chosen["category"], chosen["identifier"], \
        chosen["changes"]
    row.reason = "; ".join(r for r in (("Rattaché au compte existant" if choice == MATCHED
                                        else "Créé malgré un doublon probable"), chosen["reason"]) if r)
    account = row.plan["account"]
    row.plan = chosen["plan"]
    previews.replace(preview_id, found)
    previews.remember(row.ine, [MATCHED, account] if choice == MATCHED else [CREATED])
    flash(f"{row.name} : {row.reason}. Ses responsables, s'il en a dans cet envoi, seront rattachés par un nouvel "
          f"aperçu des mêmes fichiers, qui reprendra ce choix.", "info")
    return redirect(url_for("alimentation.preview", preview_id=preview_id, categorie=row.category), 303)


@bp.route("/apercu/<preview_id>/appliquer", methods=["POST"])
def apply(preview_id):
    """The preview's rows applied as a job, except those of an establishment the brake holds (its leavers and
    the moves out of it wait for its box): the others go, and the page says which wait."""
    found = _mine(preview_id)
    confirmed = set(request.form.getlist("confirmer"))
    already = previews.sent(preview_id)
    held = [e for e in found.establishments if e.brake and e.uai not in confirmed
            and any(r.key not in already for r in e.rows)]
    held_uais = {e.uai for e in held}
    rows = [r for r in found.rows() if r.plan.get("counted", True) and r.key not in already
            and r.uai not in held_uais and r.plan.get("from") not in held_uais]
    for establishment in held:
        flash(f"{establishment.uai} {establishment.name} : l'import attend votre confirmation explicite "
              f"({establishment.brake}). Cochez la case qui le dit, puis appliquez l'import. "
              f"Rien n'a été modifié pour cet établissement.", "error")
    if not rows:
        if held or not already:
            return redirect(url_for("alimentation.preview", preview_id=preview_id), 303)
        return redirect(url_for("alimentation.show", job_id=previews.last_job(preview_id)), 303)
    uais = list(dict.fromkeys(r.uai for r in rows if r.uai))
    keys = [r.key for r in rows]
    # named after its preview and its rows: a confirmation posted twice makes one job
    job_id = hashlib.sha256(f"{preview_id}:{','.join(keys)}".encode()).hexdigest()[:32]
    job = launch(IMPORT, job_id, staff().uid, uais[0] if uais else "", "students", keys,
                 {"preview": preview_id, "uais": uais},
                 # its record names the accounts it will write (rows unchanged or in conflict touch none)
                 audited=[r.key for r in rows if len(r.key) == 32 and r.plan.get("op") in ("create", "modify")],
                 kept=lambda: keep_rows(directory.current, job_id, [ReportRow.of(r) for r in rows]))
    previews.mark_sent(preview_id, keys, job.id)
    if held:
        flash(f"Import lancé pour {', '.join(u for u in uais)} ; "
              f"{', '.join(e.uai for e in held)} attend votre confirmation sur l'aperçu.", "info")
    return redirect(page_of(job), 303)


@bp.route("/recherche")
def search():
    problems = []
    query = short_text(request.args, "q", 100, "Nom, INE ou identifiant", problems)
    for problem in problems:
        flash(problem, "error")
    found = history.find_accounts(directory.current, query) if len(query) >= 2 else []
    names = {e.uai: e.name for e in directory.current.establishments()}
    return page_or_fragment("alimentation/search.html", "alimentation/partial/search_results.html",
                            400 if problems else 200,
                            **_page(query=query, found=found, names=names, started=time.monotonic()))


@bp.route("/compte/<account_id>")
def account(account_id):
    found = history.account(directory.current, account_id) if account_id.isalnum() else None
    if found is None:
        abort(404)
    names = {e.uai: e.name for e in directory.current.establishments()}
    return render_template("alimentation/account.html", **_page(account=found, names=names,
                                                                events=history.events(directory.current, account_id)))

