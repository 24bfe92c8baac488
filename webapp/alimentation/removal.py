"""The removal of the « Comptes supprimables » as a kind of job: each leaver still removable removed on a worker
(its record first, then the entry, then the reservation of its identifier), each one reported; after a crash
the report comes from the removal records the directory keeps, and « Relancer » removes the rest."""
from __future__ import annotations

from datetime import date

from flask import current_app

from directory import audit
from directory.registry import leavers

from ..extensions import directory
from ..jobs.kind import JobKind, Report
from ..jobs.store import DONE, FAILED, FINISHED, QUEUED, REFUSED, RUNNING, Job, JobStore, outcome_label

REMOVAL = "leavers-removal"
BATCH = 50
LOST = ("Le suivi de cette suppression a été perdu (panne du serveur de travaux). Les comptes supprimés ont été "
        "retrouvés dans l'annuaire ; ")


def last_day() -> date:
    """The last day of leaving whose accounts are removable today (both periods of the settings past)."""
    config = current_app.config
    return leavers.removable_since(config["SESAME_LEAVER_TOLERANCE_DAYS"], config["SESAME_LEAVER_REMOVAL_DAYS"])


def asked(found: list[leavers.Leaver]) -> dict:
    """The job's options: the day it removes up to, and each leaver as the report names them (their entries go)."""
    return {"last_day": last_day().isoformat(),
            "leavers": {s.account_id: [s.name, s.identifier, s.ine, s.left_uai, f"{s.left_on:%d/%m/%Y}"]
                        for s in found}}


class Removal(JobKind):
    name = REMOVAL
    label = "Suppression des comptes supprimables"
    pages = "alimentation"
    refused_heading = "Comptes non supprimés"
    csv_header = ("Nom", "Identifiant", "INE", "Parti de", "Parti le", "Numéro de compte", "Résultat", "Motif")

    def back(self, job: Job) -> tuple[str, str]:
        return "Comptes supprimables", "leavers.removable"

    def tab(self, job: Job) -> str:
        return "alimentation.index"

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        """The chunk's leavers not yet noted, each removed if it still is removable (one who came back is kept)."""
        until = date.fromisoformat(job.options["last_day"])
        done = store.outcomes_of(job.id, ids)
        todo = [i for i in ids if i not in done]
        for start in range(0, len(todo), BATCH):
            notes = []
            for account_id in todo[start:start + BATCH]:
                removed, why = leavers.remove(directory.current, account_id, until, job.owner)
                notes.append((account_id, DONE, "") if removed else (account_id, REFUSED, why))
            store.record_many(job.id, notes)

    def finish(self, job: Job, store: JobStore, chunks) -> None:
        """The identifiers of removals stopped between the delete and the reservation reserved; the job's audit
        record closed with the accounts it removed."""
        leavers.reserve_pending(directory.current, job.owner)
        found = self.outcomes(job, store)
        removed = [i for i, (o, _) in found.items() if o == DONE]
        audit.close_job(directory.current, job.id, job.owner, REMOVAL, job.uai, removed,
                        f"{self.label} : {len(removed)} compte(s) supprimé(s), "
                        f"{job.total - len(removed)} gardé(s) sur {job.total}")

    def outcomes(self, job: Job, store: JobStore) -> dict[str, tuple[str, str]]:
        """What the workers noted; once the job stopped, every account the directory says was removed counts
        as done, noted or not (a worker may die between a removal and its note)."""
        noted = store.outcomes(job.id)
        if job.status in (QUEUED, RUNNING) or len(noted) == job.total:
            return noted
        for account_id in leavers.removed(directory.current, job.account_ids):
            noted[account_id] = (DONE, "")
        return noted

    def recover(self, trace: audit.JobTrace, store: JobStore) -> Job | None:
        """Rebuilt from its audit record: « Relancer » removes the rest; a removal that had ended is shown ended."""
        job = Job(trace.id, REMOVAL, trace.actor, trace.uai, trace.population, sorted(trace.options.get("leavers", {})),
                  dict(trace.options), FINISHED if trace.state == audit.CLOSED else FAILED,
                  trace.created.timestamp() if trace.created else 0.0)
        job.message = LOST + ("elle était terminée." if job.status == FINISHED else "relancez-la pour terminer.")
        store.restore(job)
        store.record_many(job.id, [(i, DONE, "") for i in leavers.removed(directory.current, job.account_ids)])
        return job

    def _names(self, job: Job) -> dict[str, list[str]]:
        return job.options.get("leavers", {})

    def report(self, job: Job, store: JobStore) -> Report:
        found = Report(self.outcomes(job, store))
        names = self._names(job)
        found.refused = sorted((names.get(i, [i])[0], why) for i, (o, why) in found.outcomes.items() if o == REFUSED)
        if job.status == FINISHED:
            found.success = (f"{found.counts[DONE]} compte(s) supprimé(s) ; leurs identifiants sont réservés et ne "
                             "seront jamais redonnés.")
        return found

    def csv_rows(self, job: Job, report: Report) -> list[tuple]:
        names = self._names(job)
        rows = []
        for account_id in job.account_ids:
            name, identifier, ine, left_uai, left_on = names.get(account_id, [account_id, "", "", "", ""])
            outcome, why = report.outcomes.get(account_id, ("", ""))
            rows.append((name, identifier, ine, left_uai, left_on, account_id, outcome_label(job, outcome),
                         why if outcome == REFUSED else ""))
        return sorted(rows)
