"""What every job on a population's accounts shares (notify, reset, list, reprint): the population's writer, the
report corrected by the marks the directory keeps, the record rebuilt from the directory when the job queue
lost it, and its audit record closed with its counts."""
from __future__ import annotations

import time

from directory import audit
from directory.lifecycle import Action

from ..accounts import accounts_of
from ..extensions import directory
from ..figures import forget
from ..jobs.chunks import forget as forget_chunks
from ..jobs.kind import JobKind, Report
from ..jobs.store import DONE, FINISHED, FAILED, QUEUED, REFUSED, RUNNING, UNCHANGED, Job, JobStore, outcome_label
from ..operations import summary as said
from ..students.population import Population, of_job

LOST = ("Le suivi de cette opération a été perdu (panne du serveur de travaux). Les comptes qu'elle a "
        "traités ont été retrouvés dans l'annuaire ; ")


class AccountsKind(JobKind):
    """A job on accounts of one population at one establishment, kind by kind an `Action` of the lifecycle."""

    action: Action
    gives_passwords = False     # its accounts' letters can be printed again (« Réimprimer »)

    @property
    def name(self) -> str:
        return self.action.value

    @property
    def changes_accounts(self) -> bool:
        return self.action.changes_accounts

    @staticmethod
    def population(job: Job) -> Population:
        return of_job(job.population)

    def accounts(self, job: Job):
        """The writer for the accounts of the job's population."""
        return accounts_of(self.population(job).accounts)

    def describe(self, options: dict, population: str) -> str:
        """Its label, the population when it is not the students, then its options."""
        words = self.option_words(options)
        said = f"{self.label}{of_job(population).in_job_titles}"
        return f"{said} ({', '.join(words)})" if words else said

    def back(self, job: Job) -> tuple[str, str]:
        return "Retour à la liste", f"{self.population(job).name}.index"

    def has_document(self, job: Job) -> bool:
        return False

    # --- the report --------------------------------------------------------------------------------

    def outcomes(self, job: Job, store: JobStore) -> dict[str, tuple[str, str]]:
        """Per account: what the worker noted, corrected by the directory. An account carrying the job's
        mark was changed by it, noted or not (a worker may die between a write and its note); the others
        were not changed by it. While the job runs, its notes alone tell the progress."""
        noted = store.outcomes(job.id)
        if not self.changes_accounts or job.status in (QUEUED, RUNNING):
            return noted
        if job.status == FINISHED and len(noted) == job.total:
            return noted     # a job that ended normally noted every account after its write
        asked = set(job.account_ids)
        for account_id in self.accounts(job).marked(job.id) & asked:
            if noted.get(account_id, ("",))[0] != DONE:
                noted[account_id] = (DONE, "")
        for account_id, (outcome, _) in list(noted.items()):
            if outcome == DONE and account_id not in asked:
                del noted[account_id]
        return noted

    def _names(self, job: Job, ids) -> dict[str, tuple[str, str, str]]:
        return {r.account_id: (r.surname.upper(), r.given_name, r.identifier or "")
                for r in self.accounts(job).read(job.uai, ids).values()}

    def report(self, job: Job, store: JobStore) -> Report:
        found = Report(self.outcomes(job, store))
        ids = [i for i, (o, _) in found.outcomes.items() if o == REFUSED]
        if ids:
            names = self._names(job, ids)
            found.refused = sorted((f"{names[i][0]} {names[i][1]}" if i in names else i, found.outcomes[i][1])
                                   for i in ids)
        return found

    def csv_rows(self, job: Job, report: Report) -> list[tuple]:
        names = self._names(job, job.account_ids)
        rows = []
        for account_id in job.account_ids:
            surname, given_name, identifier = names.get(account_id, ("", "", ""))
            outcome, detail = report.outcomes.get(account_id, ("", ""))
            rows.append((surname, given_name, identifier, account_id, outcome_label(job, outcome),
                         detail if outcome == REFUSED else ""))
        return sorted(rows, key=lambda r: (r[0], r[1], r[3]))

    # --- a document made of every chunk's part ---------------------------------------------------------

    def part(self, job: Job, store: JobStore, ids: list[str]) -> list:
        """What a chunk's accounts give the document (a letter or a list row each), as plain values."""
        raise NotImplementedError

    def gathered(self, job: Job, store: JobStore, chunks, parts: dict) -> list:
        """Every chunk's items in chunk order: what it kept, or (Redis lost it) what the directory gives again."""
        for number in range(chunks.count):
            if number not in parts:
                parts[number] = self.part(job, store, job.account_ids[chunks.bounds(number)])
        return [item for number in sorted(parts) for item in _items(parts[number])]

    # --- the end, and after a crash -----------------------------------------------------------------

    def close(self, job: Job, store: JobStore) -> None:
        """The job's audit record completed with its counts and the accounts it changed; « Accueil » and
        « Statistiques » show it at once."""
        found = self.outcomes(job, store)
        total = Report(found).counts
        summary = said(job.kind, job.options, job.population, total[DONE], total[UNCHANGED], total[REFUSED], job.total)
        targets = [i for i, (o, _) in found.items() if o == DONE]
        audit.close_job(directory.current, job.id, job.owner, job.kind, job.uai, targets, summary)
        forget(job.uai)

    def recover(self, trace: audit.JobTrace, store: JobStore) -> Job | None:
        """Rebuilt as « Interrompu »: « Relancer » finishes what was asked (its record still names every
        account asked for) or, for a job that had ended, makes its document again from the accounts that
        still carry its mark."""
        created = trace.created.timestamp() if trace.created else time.time()
        job = Job(trace.id, trace.action, trace.actor, trace.uai, trace.population, list(trace.targets),
                  dict(trace.options), FAILED, created)
        marked = self.accounts(job).marked(job.id) if self.changes_accounts else set()
        if trace.state == audit.CLOSED:
            if self.changes_accounts:
                job.account_ids = sorted(set(job.account_ids) & marked)
            has_document = self.has_document(job)
            if not has_document:
                job.status = FINISHED
            job.message = LOST + ("relancez-la pour refaire le document." if has_document else "elle était terminée.")
        else:
            job.message = LOST + "relancez-la pour terminer les autres."
        store.restore(job)
        forget_chunks(store.redis, job.id)
        asked = set(job.account_ids)
        store.record_many(job.id, [(i, DONE, "") for i in marked if i in asked])
        return job


def _items(part: list | dict) -> list:
    """A chunk's items, whether kept whole or piece by piece."""
    return [item for items in part["pieces"] for item in items] if isinstance(part, dict) else part
