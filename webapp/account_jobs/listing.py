"""« Lister les comptes » as a job: each chunk reads its accounts as they are (passwords opened from their seal)
into list rows, kept sealed until the one worker that finds every chunk done makes the PDF or the CSV."""
from __future__ import annotations

from datetime import datetime

from flask import current_app

from directory.lifecycle import Action
from directory.model import AccountState

from ..documents.lists import ListRow
from ..extensions import directory
from ..jobs.kind import Document, Report
from ..jobs.store import DONE, REFUSED, Job, JobStore
from .base import AccountsKind
from .letters import children_named, class_label


class Listing(AccountsKind):
    action = Action.LIST
    label = "Liste des comptes"

    @staticmethod
    def as_csv(job: Job) -> bool:
        return job.options.get("format") == "csv"

    lost_document = "La liste de cette opération n'est pas dans la sauvegarde : demandez-la à nouveau (« Lister les comptes »)."

    def option_words(self, options: dict) -> list[str]:
        return ["au format CSV" if str(options.get("format", "pdf")).lower() == "csv" else "au format PDF"]

    def has_document(self, job: Job) -> bool:
        return True

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        chunks.keep_part(number, self.part(job, store, ids))

    def part(self, job: Job, store: JobStore, ids: list[str]) -> list:
        """The chunk's accounts as list rows, with the labels the population's page shows (external students:
        their schools' MEFs); each account noted done."""
        accounts = self.accounts(job)
        found = store.outcomes_of(job.id, ids)
        records = accounts.read(job.uai, [i for i in ids if found.get(i, ("",))[0] != REFUSED])
        classes, mefs, _ = self.population(job).read_reference(job.uai)
        children = children_named(job, records)
        store.record_many(job.id, [(account_id, DONE, "") for account_id in records])
        when = lambda moment: moment.isoformat() if moment else None   # noqa: E731
        return [[r.surname, r.given_name, r.state.value, r.identifier or "", accounts.provisional_password(r),
                 r.class_code, class_label(classes, r), mefs[r.mef_code].label if r.mef_code in mefs else r.mef_code,
                 when(r.notification_date), when(r.last_login), children.get(r.account_id, ""),
                 when(r.password_changed)]
                for r in records.values()]

    def finish(self, job: Job, store: JobStore, chunks) -> Document:
        rows = [_list_row(item) for item in self.gathered(job, store, chunks, chunks.parts())]
        establishment = directory.current.establishment(job.uai)
        listing = self.population(job).listing
        days = current_app.config["SESAME_PROVISIONAL_DAYS"]   # the lists ask whether each password still signs in
        if self.as_csv(job):
            document = Document(listing.csv(establishment, rows, days), f"comptes-{job.uai}.csv", "text/csv")
        else:
            document = Document(listing.pdf(establishment, rows, days), f"comptes-{job.uai}.pdf", "application/pdf")
        self.close(job, store)
        return document

    def report(self, job: Job, store: JobStore) -> Report:
        found = super().report(job, store)
        found.download = f"Télécharger la liste au format {'CSV' if self.as_csv(job) else 'PDF'}"
        return found


def _list_row(item: list) -> ListRow:
    surname, given_name, state, identifier, password, class_code, class_label_, mef, notified, last, children, \
        given = item
    when = lambda text: datetime.fromisoformat(text) if text else None   # noqa: E731
    return ListRow(surname, given_name, AccountState(state), identifier, password, class_code, class_label_, mef,
                   when(notified), when(last), children, when(given))
