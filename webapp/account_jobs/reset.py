"""« Réinitialiser les mots de passe » as a job: a new provisional password for each account, chunk by chunk, each
with the job's mark; no letter (« Réimprimer » gives them afterwards)."""
from __future__ import annotations

from directory.lifecycle import Action

from ..jobs.kind import Report
from ..jobs.store import REFUSED, Job, JobStore
from ..operations import ROW
from .base import AccountsKind
from .reprint import reprint_context
from .writing import change


class Reset(AccountsKind):
    action = Action.RESET
    label = "Réinitialisation des mots de passe"
    gives_passwords = True
    partial = "jobs/partial/reprint.html"

    def option_words(self, options: dict) -> list[str]:
        return ["un compte, depuis sa ligne de la liste"] if options.get(ROW) else []

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        change(job, store, self.accounts(job), self.action, ids)

    def finish(self, job: Job, store: JobStore, chunks) -> None:
        self.close(job, store)

    def report(self, job: Job, store: JobStore) -> Report:
        found = super().report(job, store)
        if not any(outcome == REFUSED for outcome, _ in found.outcomes.values()):
            found.success = (f"Le mot de passe a bien été réinitialisé pour les {self.population(job).noun} "
                             "sélectionné(s)")
        found.details = reprint_context(job)
        return found
