"""« Doublons » as kinds of job: the search of the whole directory (its pairs kept in the directory with its date),
the merge of a pair (the kept account's, the parents' and the set-aside account's writes, each found done again
after a crash), and the undo of a merge. Each writes the journal's record naming both accounts and who asked."""
from __future__ import annotations

import logging

from directory import audit
from directory.duplicates import merge as merging
from directory.duplicates import pairs, scan

from ..extensions import directory
from ..jobs.kind import JobKind, Report
from ..jobs.store import DONE, FAILED, FINISHED, REFUSED, Job, JobStore, outcome_label

SCAN, MERGE, UNDO = "duplicates-scan", merging.MERGE, merging.UNDO
EVERYTHING = ("eleves", "responsables")         # the scan's two steps, as its progress counts them
log = logging.getLogger(__name__)


class _Doublons(JobKind):
    pages = "doublons"
    whole = True
    csv_header = ("Compte", "Numéro de compte", "Résultat", "Motif")

    def back(self, job: Job) -> tuple[str, str]:
        return "Doublons", "doublons.index"

    def tab(self, job: Job) -> str:
        return "doublons.index"


class Scan(_Doublons):
    """The whole directory read once; the pairs found written (what changed only); the date is its record's."""
    name = SCAN
    label = "Recherche des doublons"
    on_accounts = False
    counted = "partie(s) de l'annuaire lue(s) (élèves, responsables)"
    partial = "doublons/partial/scan_report.html"
    csv_header = ("Partie de l'annuaire", "Résultat", "Détail")

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        findings = scan.find(directory.current, say=lambda text: log.info("duplicates search %s: %s", job.id, text))
        counts = pairs.keep(directory.current, findings, job.id)
        found = {kind: sum(1 for f in findings.found if f.verdict.kind == kind) for kind in ("duplicate", "siblings")}
        job.options.update(found=found, kept=counts, streamed=findings.streamed)
        store.update(job.id, lambda current: current.options.update(job.options))
        store.record_many(job.id, [("eleves", DONE, f"{findings.streamed.get('student', 0)} comptes lus"),
                                   ("responsables", DONE, f"{findings.streamed.get('parent', 0)} comptes lus")])

    def finish(self, job: Job, store: JobStore, chunks) -> None:
        options = (store.get(job.id) or job).options
        found = options.get("found", {})
        audit.close_job(directory.current, job.id, job.owner, SCAN, "", [],
                        f"{self.label} : {found.get('duplicate', 0)} doublon(s) probable(s), "
                        f"{found.get('siblings', 0)} paire(s) de frères et sœurs probables")

    def recover(self, trace: audit.JobTrace, store: JobStore) -> Job | None:
        job = Job(trace.id, SCAN, trace.actor, "", trace.population, list(EVERYTHING), dict(trace.options),
                  FINISHED if trace.state == audit.CLOSED else FAILED,
                  trace.created.timestamp() if trace.created else 0.0)
        store.restore(job)
        return job

    def report(self, job: Job, store: JobStore) -> Report:
        found = Report(self.outcomes(job, store))
        options = job.options
        if job.status == FINISHED:
            counts = options.get("found", {})
            found.success = (f"{counts.get('duplicate', 0)} doublon(s) probable(s) et {counts.get('siblings', 0)} "
                             "paire(s) de frères et sœurs probables dans l'annuaire.")
        found.details = {"scan": options}
        return found

    def csv_rows(self, job: Job, report: Report) -> list[tuple]:
        labels = {"eleves": "Élèves", "responsables": "Responsables"}
        return [(labels.get(i, i), outcome_label(job, report.outcomes.get(i, ("", ""))[0]),
                 report.outcomes.get(i, ("", ""))[1]) for i in job.account_ids]


class Merge(_Doublons):
    """One pair merged: the account the identity team keeps and the one set aside (its identifier kept)."""
    name = MERGE
    label = "Fusion de doublons"
    counted = "compte(s) traité(s)"
    partial = "doublons/partial/merge_report.html"

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        options = job.options
        outcome = merging.merge(directory.current, job.id, options["kind"], options["kept"], options["dropped"],
                                options["shown"], job.owner, options.get("pair", ""))
        if outcome.done:
            from ..holders import tokens
            tokens.revoke("reset", [options["dropped"]])      # its recovery and confirmation links end
            tokens.revoke("mail", [options["dropped"]])
            store.record_many(job.id, [(options["kept"], DONE, "gardé"), (options["dropped"], DONE, "mis de côté")])
        else:
            store.record_many(job.id, [(i, REFUSED, outcome.reason) for i in (options["kept"], options["dropped"])])

    def finish(self, job: Job, store: JobStore, chunks) -> None:
        record = merging.read_record(directory.current, job.id)
        done = all(o == DONE for o, _ in store.outcomes(job.id).values())
        summary = merging.journal_summary(record.plan) if record and done else \
            f"{self.label} : non faite ({next(iter(store.outcomes(job.id).values()), ('', ''))[1]})"
        audit.close_job(directory.current, job.id, job.owner, MERGE, job.uai,
                        job.account_ids if done else [], summary)

    def recover(self, trace: audit.JobTrace, store: JobStore) -> Job | None:
        record = merging.read_record(directory.current, trace.id)
        ids = [trace.options.get("kept", ""), trace.options.get("dropped", "")]
        job = Job(trace.id, MERGE, trace.actor, trace.uai, trace.population, ids, dict(trace.options),
                  FINISHED if trace.state == audit.CLOSED else FAILED,
                  trace.created.timestamp() if trace.created else 0.0)
        store.restore(job)
        if record is not None and record.state in (merging.MERGED, merging.UNDOING, merging.UNDONE):
            store.record_many(job.id, [(ids[0], DONE, "gardé"), (ids[1], DONE, "mis de côté")])
        return job

    def report(self, job: Job, store: JobStore) -> Report:
        found = Report(self.outcomes(job, store))
        names = job.options.get("names", {})
        found.refused = sorted({(names.get(i, i), why) for i, (o, why) in found.outcomes.items() if o == REFUSED})
        record = merging.read_record(directory.current, job.id) if job.status == FINISHED else None
        if record is not None and found.counts[DONE] == 2:
            found.success = ("Les deux comptes sont fusionnés : le compte gardé garde son identifiant, son mot de passe "
                             "et son statut ; aucun courrier n'est nécessaire.")
        found.details = {"merge": record, "names": names}
        return found

    def csv_rows(self, job: Job, report: Report) -> list[tuple]:
        return _account_rows(job, report)


class Undo(_Doublons):
    """A merge undone: both accounts back as they were, except what the kept one changed since (said)."""
    name = UNDO
    label = "Annulation d'une fusion"
    counted = "compte(s) traité(s)"
    partial = "doublons/partial/merge_report.html"

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        outcome = merging.undo(directory.current, job.options["merge"], job.owner)
        if outcome.done:
            kept = "ce qu'il a changé depuis la fusion reste : " + ", ".join(outcome.notes) if outcome.notes else "rendu"
            store.record_many(job.id, [(job.options["kept"], DONE, kept), (job.options["dropped"], DONE, "rendu")])
        else:
            store.record_many(job.id, [(i, REFUSED, outcome.reason) for i in job.account_ids])

    def finish(self, job: Job, store: JobStore, chunks) -> None:
        found = store.outcomes(job.id)
        names = job.options.get("names", {})
        done = all(o == DONE for o, _ in found.values())
        kept_note = found.get(job.options["kept"], ("", ""))[1]
        summary = (f"Annulation de la fusion : {names.get(job.options['dropped'], '')} et "
                   f"{names.get(job.options['kept'], '')} séparés"
                   + (f" ; {kept_note}" if kept_note not in ("", "rendu") else "")) if done else \
            f"{self.label} : non faite ({next(iter(found.values()), ('', ''))[1]})"
        audit.close_job(directory.current, job.id, job.owner, UNDO, job.uai, job.account_ids if done else [], summary)

    def recover(self, trace: audit.JobTrace, store: JobStore) -> Job | None:
        ids = [trace.options.get("kept", ""), trace.options.get("dropped", "")]
        job = Job(trace.id, UNDO, trace.actor, trace.uai, trace.population, ids, dict(trace.options),
                  FINISHED if trace.state == audit.CLOSED else FAILED,
                  trace.created.timestamp() if trace.created else 0.0)
        store.restore(job)
        return job

    def report(self, job: Job, store: JobStore) -> Report:
        found = Report(self.outcomes(job, store))
        names = job.options.get("names", {})
        found.refused = sorted({(names.get(i, i), why) for i, (o, why) in found.outcomes.items() if o == REFUSED})
        if job.status == FINISHED and found.counts[DONE] == 2:
            found.success = "La fusion est annulée : les deux comptes sont de nouveau comme avant la fusion."
        found.details = {"merge": merging.read_record(directory.current, job.options["merge"]), "names": names,
                         "undone": True}
        return found

    def csv_rows(self, job: Job, report: Report) -> list[tuple]:
        return _account_rows(job, report)


def _account_rows(job: Job, report: Report) -> list[tuple]:
    names = job.options.get("names", {})
    return [(names.get(i, i), i, outcome_label(job, report.outcomes.get(i, ("", ""))[0]),
             report.outcomes.get(i, ("", ""))[1]) for i in job.account_ids]
