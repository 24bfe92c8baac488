"""« Doublons » as kinds of job: the search of the whole directory (its pairs kept in the directory with its date),
the merge of a pair (the kept account's, the parents' and the set-aside account's writes, each found done again
after a crash), and the undo of a merge. Each writes the journal's record naming both accounts and who asked."""
from __future__ import annotations

import logging

from directory import audit
from directory.duplicates import merge as merging
from directory.duplicates import pairs, scan
from directory.duplicates.rules import DUPLICATE, SIBLINGS

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

    def ids_of(self, trace: audit.JobTrace) -> list[str]:
        """What the job works, as its audit record says it."""
        raise NotImplementedError

    def recover(self, trace: audit.JobTrace, store: JobStore) -> Job | None:
        """The job rebuilt from its audit record (ended, or interrupted: « Relancer » goes on from the directory)."""
        job = Job(trace.id, self.name, trace.actor, trace.uai, trace.population, self.ids_of(trace),
                  dict(trace.options), FINISHED if trace.state == audit.CLOSED else FAILED,
                  trace.created.timestamp() if trace.created else 0.0)
        store.restore(job)
        return job


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
        found = {kind: sum(1 for f in findings.found if f.verdict.kind == kind) for kind in (DUPLICATE, SIBLINGS)}
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

    def ids_of(self, trace: audit.JobTrace) -> list[str]:
        return list(EVERYTHING)

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


class _OnePair(_Doublons):
    """A merge, or its undo: the two accounts of one pair, done together or not at all."""
    counted = "compte(s) traité(s)"
    partial = "doublons/partial/merge_report.html"
    done_words = ("", "")           # what each account's line says once done: the kept one's, the other's
    success = ""

    def outcome(self, job: Job):
        raise NotImplementedError

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        outcome = self.outcome(job)
        options = job.options
        if outcome.done:
            kept = self.done_words[0] + (" ; ce qu'il a changé depuis la fusion reste : " + ", ".join(outcome.notes)
                                         if outcome.notes else "")
            store.record_many(job.id, [(options["kept"], DONE, kept), (options["dropped"], DONE, self.done_words[1])])
        else:
            store.record_many(job.id, [(i, REFUSED, outcome.reason) for i in (options["kept"], options["dropped"])])

    def record(self, job: Job):
        return merging.read_record(directory.current, job.options.get("merge", job.id))

    def finish(self, job: Job, store: JobStore, chunks) -> None:
        found = store.outcomes(job.id)
        done = bool(found) and all(o == DONE for o, _ in found.values())
        summary = self.summary(job, found) if done else \
            f"{self.label} : non faite ({next(iter(found.values()), ('', ''))[1]})"
        audit.close_job(directory.current, job.id, job.owner, self.name, job.uai, job.account_ids if done else [],
                        summary)

    def summary(self, job: Job, found: dict) -> str:
        raise NotImplementedError

    def ids_of(self, trace: audit.JobTrace) -> list[str]:
        return [trace.options.get("kept", ""), trace.options.get("dropped", "")]

    def report(self, job: Job, store: JobStore) -> Report:
        found = Report(self.outcomes(job, store))
        names = job.options.get("names", {})
        found.refused = sorted({(names.get(i, i), why) for i, (o, why) in found.outcomes.items() if o == REFUSED})
        if job.status == FINISHED and found.counts[DONE] == 2:
            found.success = self.success
        found.details = {"merge": self.record(job), "names": names, "undone": self.name == UNDO}
        return found

    def csv_rows(self, job: Job, report: Report) -> list[tuple]:
        names = job.options.get("names", {})
        return [(names.get(i, i), i, outcome_label(job, report.outcomes.get(i, ("", ""))[0]),
                 report.outcomes.get(i, ("", ""))[1]) for i in job.account_ids]


class Merge(_OnePair):
    """One pair merged: the account the identity team keeps and the one set aside (its identifier kept)."""
    name = MERGE
    label = "Fusion de doublons"
    done_words = ("gardé", "mis de côté")
    success = ("Les deux comptes sont fusionnés : le compte gardé garde son identifiant, son mot de passe et son "
               "statut ; aucun courrier n'est nécessaire.")

    def outcome(self, job: Job):
        options = job.options
        outcome = merging.merge(directory.current, job.id, options["kind"], options["kept"], options["dropped"],
                                options["shown"], job.owner, options.get("pair", ""))
        if outcome.done:
            from ..holders import tokens
            tokens.revoke("reset", [options["dropped"]])      # its recovery and confirmation links end
            tokens.revoke("mail", [options["dropped"]])
        return outcome

    def summary(self, job: Job, found: dict) -> str:
        record = self.record(job)
        return merging.journal_summary(record.plan) if record else self.label

    def recover(self, trace: audit.JobTrace, store: JobStore) -> Job | None:
        job = super().recover(trace, store)
        record = self.record(job)
        if record is not None and record.state in (merging.MERGED, merging.UNDOING, merging.UNDONE):
            store.record_many(job.id, [(job.account_ids[0], DONE, "gardé"), (job.account_ids[1], DONE, "mis de côté")])
        return job


class Undo(_OnePair):
    """A merge undone: both accounts back as they were, except what the kept one changed since (said)."""
    name = UNDO
    label = "Annulation d'une fusion"
    done_words = ("rendu", "rendu")
    success = "La fusion est annulée : les deux comptes sont de nouveau comme avant la fusion."

    def outcome(self, job: Job):
        return merging.undo(directory.current, job.options["merge"], job.owner)

    def summary(self, job: Job, found: dict) -> str:
        names, options = job.options.get("names", {}), job.options
        kept_note = found.get(options["kept"], ("", ""))[1]
        return (f"Annulation de la fusion : {names.get(options['dropped'], '')} et {names.get(options['kept'], '')} "
                f"séparés" + (f" ({kept_note.split(' ; ', 1)[1]})" if " ; " in kept_note else ""))
