"""The import as a kind of job: the preview's rows applied on a worker, noted row by row; its report agrees with
the directory after a crash, since every entry it changed carries its mark (sesameLastJob), and outlives the
preview and the job queue's records, kept with the job's audit record (directory/registry/report.py)."""
from __future__ import annotations

from directory import audit, marks
from directory.registry.apply import RowOutcome, apply_rows, journal_movements, prepare
from directory.registry.preview import CREATE, PARENT, STUDENT
from directory.registry.report import ReportRow, keep_outcomes, kept

from ..extensions import directory
from ..figures import forget
from ..jobs import stopping
from ..jobs.kind import JobKind, Report
from ..jobs.store import FINISHED, QUEUED, REFUSED, RUNNING, Job, JobStore, outcome_label
from ..operations import summary as said
from . import previews

IMPORT = "import"
BATCH = 50
# connections the rows are written with at once: slapd works on one while the worker prepares the next (bench/rentree)
WRITERS = 4
SHOWN_REFUSED = 500         # rows not done named on the page (the CSV names them all)
KINDS = {STUDENT: "Élèves", PARENT: "Responsables"}
LOST_PREVIEW = "L'aperçu de cet import n'existe plus (plus de 24 heures) : refaites l'aperçu puis appliquez-le."


def report_rows(job: Job) -> dict[str, ReportRow]:
    """The job's rows as its report names them: from its preview while it is kept, else from its record."""
    preview = previews.load(job.options["preview"])
    if preview is not None:
        return {r.key: ReportRow.of(r) for r in preview.rows()}
    rows, _ = kept(directory.current, job.id)
    return {r.key: r for r in rows}


class Import(JobKind):
    name = IMPORT
    label = "Alimentation de l'annuaire"
    whole = True                # its rows in the order of the preview: students before their parents
    pages = "alimentation"
    counted = "ligne(s) traitée(s)"
    refused_heading = "Lignes non traitées"
    partial = "alimentation/partial/categories.html"
    csv_header = ("UAI", "Type", "Catégorie", "Nom", "INE", "Identifiant", "Résultat", "Motif")

    def option_words(self, options: dict) -> list[str]:
        return [", ".join(options["uais"])] if options.get("uais") else []

    def heading(self, job: Job) -> str:
        return "Import de la base élèves"

    def back(self, job: Job) -> tuple[str, str]:
        return "Alimentation", "alimentation.index"

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        """The chunk's rows not yet noted, each one write, complete or not done, conditional on what the preview
        read; a parent whose children could not be created is not created either."""
        preview = previews.load(job.options["preview"])
        if preview is None:
            raise RuntimeError(LOST_PREVIEW)
        rows = {row.key: row for row in preview.rows() if row.plan.get("counted", True)}
        prepare(directory.current, preview, job.options.get("uais", []), job.id)     # divisions and MEFs first
        done = store.outcomes(job.id)
        missing = {rows[k].plan["dn"] for k, (o, _) in done.items()
                   if k in rows and o == RowOutcome.REFUSED.value and rows[k].plan.get("op") == CREATE}
        # students first, then parents (a parent's children must exist before the parent is linked to them), each
        # row one write complete or not done, WRITERS at once; a worker asked to stop hands the rest back between
        # batches (each batch's outcomes kept first)

        def note(results):
            store.record_many(job.id, results)
            stopping.check()
        apply_rows(directory.current, [rows[k] for k in ids if k not in done and k in rows], job.id, job.owner,
                   note, missing, WRITERS, BATCH)
        # then the journal's departures and changes of establishment, those done before a crash included
        journal_movements(directory.current, [rows[k] for k in ids if k in rows],
                          {k for k, (o, _) in store.outcomes(job.id).items() if o == RowOutcome.DONE.value}, job.id,
                          job.owner)

    def finish(self, job: Job, store: JobStore, chunks) -> None:
        """Each row's outcome kept with the job's audit record, which is closed with the counts; « Accueil » and
        « Statistiques » show the new divisions at once."""
        found = self.outcomes(job, store)
        total = Report(found).counts
        summary = said(IMPORT, job.options, "students", total["done"], total["unchanged"], total["refused"], job.total)
        targets = [k for k, (o, _) in found.items() if o == RowOutcome.DONE.value and len(k) == 32]
        keep_outcomes(directory.current, job.id, {k: found[k] for k in job.account_ids if k in found})
        audit.close_job(directory.current, job.id, job.owner, IMPORT, job.uai, targets, summary)
        for uai in job.options.get("uais", []):
            forget(uai)

    def outcomes(self, job: Job, store: JobStore) -> dict[str, tuple[str, str]]:
        """Per row: what the worker noted; once the job has ended, what its audit record kept if the job queue
        lost the notes; else the notes corrected by the marks."""
        noted = store.outcomes(job.id)
        if job.status in (QUEUED, RUNNING) or (job.status == FINISHED and len(noted) == job.total):
            return noted
        if job.status == FINISHED:
            _, found = kept(directory.current, job.id)
            if len(found) == job.total:
                return found
        for key in marks.marked(directory.current, job.id) & set(job.account_ids):
            noted[key] = (RowOutcome.DONE.value, "")
        return noted

    def recover(self, trace: audit.JobTrace, store: JobStore) -> Job | None:
        """A finished import whose job queue record is gone, rebuilt from its audit record (its rows and their
        outcomes); one that had not ended is not (its rows live with its preview)."""
        if trace.state != audit.CLOSED:
            return None
        rows, found = kept(directory.current, trace.id)
        if not rows or len(found) != len(rows):
            return None
        created = trace.created.timestamp() if trace.created else 0.0
        job = Job(trace.id, IMPORT, trace.actor, trace.uai, trace.population, [r.key for r in rows],
                  dict(trace.options), FINISHED, created)
        store.restore(job)
        store.record_many(job.id, [(key, outcome, detail) for key, (outcome, detail) in found.items()])
        return job

    def report(self, job: Job, store: JobStore) -> Report:
        """The counts, per category of the preview too, and the rows not done with their establishment."""
        found = Report(self.outcomes(job, store))
        rows = report_rows(job) if job.status not in (QUEUED, RUNNING) else {}
        per_category: dict[str, dict[str, int]] = {}
        for key, (outcome, _) in found.outcomes.items():
            row = rows.get(key)
            if row:
                counts = per_category.setdefault(f"{KINDS[row.kind]} — {row.category_label}", {})
                counts[outcome] = counts.get(outcome, 0) + 1
        found.refused = sorted((f"{rows[k].uai} {rows[k].name}", detail) for k, (o, detail) in found.outcomes.items()
                               if o == REFUSED and k in rows)[:SHOWN_REFUSED]
        found.details = {"per_category": per_category}
        return found

    def csv_rows(self, job: Job, report: Report) -> list[tuple]:
        rows = report_rows(job)
        table = []
        for key in job.account_ids:
            row = rows.get(key)
            outcome, detail = report.outcomes.get(key, ("", ""))
            table.append((row.uai if row else "", KINDS[row.kind] if row else "", row.category_label if row else "",
                          row.name if row else key, row.ine if row else "", row.identifier if row else "",
                          outcome_label(job, outcome), detail))
        return table
