"""A job's letters: each account's letter with its layout, language and validity, as the items a chunk keeps for
the document; the parents' children named; « Réimprimer » a past job's."""
from __future__ import annotations

from flask import current_app

from directory.letter_settings import LetterSettingsStore
from directory.lifecycle import ShownPassword, shown_password
from directory.model import AccountState
from directory.names import letter_order

from ..extensions import directory
from ..documents.letter_options import KEPT_ON_ACCOUNT, LANGUAGES, layout_of, valid_until
from ..documents.letters import Letter, letter_options, letter_settings, letters_pdf
from ..students.population import of_job
from ..jobs.store import DONE, REFUSED, UNCHANGED, Job, JobStore
from .pieces import letter_values

NOT_NOTIFIED_NOW = "Ce compte n'est plus « Notifié et non activé » : pas de nouveau courrier (il a été activé ou changé depuis)."
EXPIRED_NOW = "Son mot de passe provisoire a expiré : pas de courrier. Notifiez-le avec « Réinitialiser le mot de passe »."
GONE_NOW = "Ce compte n'est plus dans l'établissement : pas de courrier."


def letter_of(record, password, class_label: str, children: str, job: Job) -> Letter:
    days = current_app.config["SESAME_PROVISIONAL_DAYS"]
    language = job.options.get("language", "")
    if language == KEPT_ON_ACCOUNT:
        language = getattr(record, "language", "") or ""
    return Letter(record.surname, record.given_name, record.identifier or "", password, class_label, children,
                  language, valid_until(record.password_changed, days) if password else None)


def letter_words(options: dict) -> list[str]:
    """A job's letters as the form chose them: per sheet, language, language kept."""
    words = [layout_of(options.get("layout", 1)).label.lower()]
    language = options.get("language") or ""
    if language == KEPT_ON_ACCOUNT:
        words.append("dans la langue enregistrée de chaque responsable")
    elif language in LANGUAGES:
        words.append(f"en français et en {LANGUAGES[language].label.lower()}")
    else:
        words.append("en français seulement")
    if options.get("keep_language"):
        words.append("langue retenue pour ces responsables")
    return words


def class_label(classes: dict, record) -> str:
    return classes[record.class_code].label if record.class_code in classes else ""


def children_named(job: Job, records: dict) -> dict[str, str]:
    """For parents: « Zoé MARTIN (6A), ... », their children attached to the job's establishment (others: none)."""
    if not of_job(job.population).searches_children:
        return {}
    found = directory.current.students.children_here(job.uai, {r.account_id: r.child_ids for r in records.values()})
    return {account_id: ", ".join(sorted(f"{c.given_name} {c.surname.upper()} ({c.class_code})" for c in children))
            for account_id, children in found.items()}


def letter_items(job: Job, accounts, records: dict, classes: dict) -> list:
    """The letters of `records` (accounts as the directory has them), each as [its sort key, its values]."""
    children = children_named(job, records)
    return [[*letter_order(r.class_code, r.given_name, r.surname),
             *letter_values(letter_of(r, accounts.shown_password(r), class_label(classes, r),
                                      children.get(r.account_id, ""), job))]
            for r in records.values()]


def keep_languages(job: Job, worker_accounts, store: JobStore) -> None:
    """Parents notified with « Retenir cette langue pour ces responsables »: the job's language kept on
    each account it notified (the accounts it refused are left as they are)."""
    if not job.options.get("keep_language") or not of_job(job.population).searches_children:
        return
    done = [i for i, (outcome, _) in store.outcomes(job.id).items() if outcome in (DONE, UNCHANGED)]
    worker_accounts.keep_language(worker_accounts.read(job.uai, done).values(), job.options.get("language", ""))


def letters_document(job: Job, establishment, letters: list[Letter]) -> bytes:
    config = current_app.config
    stored = LetterSettingsStore(directory.current).read(job.uai)      # the establishment's own (« Paramétrage »)
    return letters_pdf(establishment, letter_settings(config, stored), letters,
                       letter_options(config, job.options.get("layout", 1)))


def reprinted(job: Job, store: JobStore, worker_accounts) -> list[Letter]:
    """« Réimprimer »: every account of the past job read again, the letters made again from their seal for
    those still « Notifié et non activé »; nothing is written to any account. The others are noted with the
    reason."""
    days = current_app.config["SESAME_PROVISIONAL_DAYS"]
    records = worker_accounts.read(job.uai, job.account_ids)
    classes, _, _ = of_job(job.population).read_reference(job.uai)
    children = children_named(job, records)
    ordered = sorted(records.values(), key=lambda r: letter_order(r.class_code, r.given_name, r.surname))
    letters, notes = [], []
    for record in ordered:
        if record.state is not AccountState.NOTIFIED or not record.sealed:
            notes.append((record.account_id, REFUSED, NOT_NOTIFIED_NOW))
        elif shown_password(record.state, record.password_changed, days) is ShownPassword.EXPIRED:
            notes.append((record.account_id, REFUSED, EXPIRED_NOW))
        else:
            letters.append(letter_of(record, worker_accounts.provisional_password(record), class_label(classes, record),
                                     children.get(record.account_id, ""), job))
            notes.append((record.account_id, DONE, ""))
    notes += [(i, REFUSED, GONE_NOW) for i in job.account_ids if i not in records]
    store.record_many(job.id, notes)
    return letters
