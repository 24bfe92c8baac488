"""« (Re)Notifier les comptes » as a job: identifiers and provisional passwords written chunk by chunk, each account
with the job's mark; with letters, the accounts in letter order and the letters printed piece by piece beside
the hashing, then put end to end (or printed whole when the pieces would not make the document)."""
from __future__ import annotations

from contextlib import contextmanager

from directory.lifecycle import Action

from ..extensions import directory
from ..documents.letter_options import layout_of
from ..jobs.kind import Document, Report
from ..jobs.store import REFUSED, Job, JobStore
from ..students.population import of_job
from .base import AccountsKind
from .letters import keep_languages, letter_items, letter_words, letters_document
from .pieces import Printer, assembled, end_to_end, letters_of_items
from .reprint import reprint_context
from .writing import change

NOT_RESET = ("Sans « Réinitialiser le mot de passe » : un compte déjà « Notifié et non activé » compté « Fait » a "
             "gardé son mot de passe provisoire (seule sa date de notification change, et son courrier le redonne), "
             "sauf s'il avait expiré : il en a reçu un nouveau ; un compte « Activé » garde le mot de passe qu'il a "
             "choisi.")


class Notify(AccountsKind):
    action = Action.NOTIFY
    label = "(Re)notification des comptes"
    gives_passwords = True
    partial = "jobs/partial/reprint.html"
    lost_document = ("Le courrier de cette opération n'est pas dans la sauvegarde (il contenait des mots de passe) : "
                     "« Réimprimer » le refait.")

    @staticmethod
    def letters(job: Job) -> bool:
        return bool(job.options.get("letters"))

    def option_words(self, options: dict) -> list[str]:
        words = ["avec courrier" if options.get("letters") else "sans courrier"]
        if options.get("letters"):
            words += letter_words(options)
        return words + (["mots de passe réinitialisés"] if options.get("reset") else [])

    def has_document(self, job: Job) -> bool:
        return self.letters(job)

    def prepare(self, uai: str, population: str, account_ids: list[str], options: dict) -> list[str]:
        """With letters, the accounts in the order of their letters: each chunk's letters a stretch of the whole."""
        if not options.get("letters"):
            return account_ids
        return directory.current.population(of_job(population).accounts).in_letter_order(uai, account_ids)

    # --- the work -----------------------------------------------------------------------------------

    @contextmanager
    def working(self, job: Job, store: JobStore, chunks):
        """With letters, a printer for every chunk this worker works: each chunk is done once the last piece of its
        letters is kept, while the worker goes on with the next chunk."""
        if not self.letters(job):
            with super().working(job, store, chunks) as work:
                yield work
            return
        classes, _, _ = self.population(job).read_reference(job.uai)
        accounts = self.accounts(job)
        printer = Printer(job, lambda results: letter_items(
            job, accounts, {r.account_id: r.applied.after for r in results if r.refusal is None and r.applied},
            classes))

        def work(number, ids, done):
            if store.outcomes_of(job.id, ids):      # taken up after a crash: its letters printed whole at the end
                self.work(job, store, chunks, number, ids)
                return done()
            pieces = []
            change(job, store, accounts, self.action, ids, lambda written: pieces.append(printer.print(written)))

            def keep(printed):
                chunks.keep_printed(number, printed)
                done()
            printer.close_chunk(pieces, keep)
        try:
            yield work
        finally:
            printer.finish()     # the chunks whose letters were still printing, kept and done

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        change(job, store, self.accounts(job), self.action, ids)
        if self.letters(job):
            chunks.keep_part(number, self.part(job, store, ids))

    def part(self, job: Job, store: JobStore, ids: list[str]) -> list:
        """The letters of the chunk's accounts as they now are (passwords opened from their seal)."""
        accounts = self.accounts(job)
        found = store.outcomes_of(job.id, ids)
        records = accounts.read(job.uai, [i for i in ids if found.get(i, ("",))[0] != REFUSED])
        classes, _, _ = self.population(job).read_reference(job.uai)
        return letter_items(job, accounts, records, classes)

    # --- the end ------------------------------------------------------------------------------------

    def finish(self, job: Job, store: JobStore, chunks) -> Document | None:
        keep_languages(job, self.accounts(job), store)      # parents: the letters' language kept on their account
        document = self.document(job, store, chunks) if self.letters(job) else None
        self.close(job, store)
        return document

    def document(self, job: Job, store: JobStore, chunks) -> Document:
        """The letters: every piece put end to end when they make the document (printed beside the hashing, in the
        letters' order, whole sheets), else printed whole from every chunk's letters."""
        name = f"courriers-{job.uai}.pdf"
        parts = chunks.parts()
        printed = chunks.printed(parts)
        if printed is not None and end_to_end(printed, layout_of(job.options.get("layout", 1)).per_sheet):
            return Document(assembled(printed), name, "application/pdf")
        letters = letters_of_items(self.gathered(job, store, chunks, parts))
        return Document(letters_document(job, directory.current.establishment(job.uai), letters), name,
                        "application/pdf")

    def report(self, job: Job, store: JobStore) -> Report:
        found = super().report(job, store)
        found.download = "Télécharger le courrier au format PDF"
        found.success = "" if job.message else "Les comptes sélectionnés ont bien été notifiés."
        found.note = "" if job.options.get("reset") else NOT_RESET
        found.details = reprint_context(job)
        return found
