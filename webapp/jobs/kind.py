"""What the runner and the report page ask of every kind of job — how it works a chunk, how it finishes and
makes its document, its outcomes, how it comes back after a crash, its report — and the kinds an app knows,
registered once by the factory: neither the runner nor the report page ever names a kind."""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app

from directory import journal

from .store import DONE, DOUBTFUL, REFUSED, UNCHANGED, Job, JobStore

_REGISTRY = "sesame.job_kinds"


@dataclass(frozen=True)
class Document:
    """What a job hands its owner at its end (kept outside any served folder, for two hours)."""
    content: bytes
    name: str
    mimetype: str


@dataclass
class Report:
    """A job's report as its page shows it: each account's (or row's) outcome, those not done as the page
    names them, and what the kind says besides."""
    outcomes: dict[str, tuple[str, str]]
    refused: list[tuple[str, str]] = field(default_factory=list)    # (who, why), in the page's order
    download: str = ""          # the link to the job's document, when it has one
    success: str = ""           # said once the job ended well
    note: str = ""              # what the counts mean, when they need it
    details: dict = field(default_factory=dict)     # the context of the kind's own part of the page
    unchecked: str = ""         # said when the directory could not be asked: the report is the workers' notes
    doubtful: list[tuple[str, str]] = field(default_factory=list)   # (who, why): done or not, the directory will tell
    left_out: list[tuple[str, str]] = field(default_factory=list)   # (who, why): done, but left out of the document

    @property
    def counts(self) -> dict[str, int]:
        return {k: sum(1 for o, _ in self.outcomes.values() if o == k) for k in (DONE, UNCHANGED, REFUSED, DOUBTFUL)}


class JobKind:
    """A kind of job. Each worker that joins a job opens `working` once and gives it every chunk it claims;
    the worker that finds every chunk done calls `finish`. The report page and its CSV ask `report` and
    `csv_rows`, « Mes opérations » asks `title`, and a job the job queue lost is rebuilt by `recover`."""

    name = ""                           # the job's kind, in its record and in its audit record
    label = ""                          # what the journal, « Mes opérations » and its page call it
    on_accounts = True                  # the journal counts it among the actions on accounts; its page and « Mes
                                        # opérations » count accounts (a search of the directory counts none)
    lost_document = ""                  # said of a finished job restored from a backup without its document
    whole = False                       # one chunk, one worker (rows in their order; nothing to share)
    pages = "jobs"                      # the blueprint whose addresses show its report
    counted = "compte(s) traité(s)"     # what its progress counts
    refused_heading = "Comptes non traités"
    left_out_heading = "Laissés hors du document"
    partial = ""                        # its own part of the report page (a template), if any
    csv_header: tuple[str, ...] = ("Nom", "Prénom", "Identifiant", "Numéro de compte", "Résultat", "Motif")

    def title(self, job: Job) -> str:
        """How « Mes opérations » names the job."""
        return self.describe(job.options, job.population)

    def describe(self, options: dict, population: str) -> str:
        """A job of this kind as people read it wherever it is shown (webapp/operations.py): its label, then its
        options in the words of the form that chose them."""
        words = self.option_words(options)
        return f"{self.label} ({', '.join(words)})" if words else self.label

    def option_words(self, options: dict) -> list[str]:
        return []

    def heading(self, job: Job) -> str:
        """The title of its report page."""
        return self.label

    def back(self, job: Job) -> tuple[str, str]:
        """The report page's way back: its label and endpoint."""
        raise NotImplementedError

    def tab(self, job: Job) -> str | None:
        """The tab its report page stands under."""
        return self.back(job)[1]

    def prepare(self, uai: str, population: str, account_ids: list[str], options: dict) -> list[str]:
        """The accounts as the job will work them, when it is asked for."""
        return list(account_ids)

    @contextmanager
    def working(self, job: Job, store: JobStore, chunks):
        """What one worker keeps while it works its chunks of `job`: `work(number, ids, done)` for each chunk it
        claims, which calls `done()` once the chunk is finished (at once, or once its letters are printed)."""
        def work(number: int, ids: list[str], done):
            self.work(job, store, chunks, number, ids)
            done()
        yield work

    def work(self, job: Job, store: JobStore, chunks, number: int, ids: list[str]) -> None:
        """Chunk `number`: its accounts (or rows) `ids` done, each outcome noted in `store`; what it gives the
        job's document kept with `chunks`."""
        raise NotImplementedError

    def finish(self, job: Job, store: JobStore, chunks) -> Document | None:
        """Once every chunk is done, by one worker: the job's audit record closed, and its document."""
        return None

    def outcomes(self, job: Job, store: JobStore) -> dict[str, tuple[str, str]]:
        """Per account (or row): what the workers noted, corrected by what the directory keeps."""
        return store.outcomes(job.id)

    def recover(self, trace, store: JobStore) -> Job | None:
        """A job the directory knows and the job queue lost (`trace`: its audit record), rebuilt; None
        when it cannot be."""
        return None

    def report(self, job: Job, store: JobStore) -> Report:
        raise NotImplementedError

    def csv_rows(self, job: Job, report: Report) -> list[tuple]:
        """The report account by account (or row by row), under `csv_header`."""
        raise NotImplementedError


def register(app, kinds) -> None:
    """The kinds of job this app runs and shows (the factory's one list), named in the journal."""
    app.extensions[_REGISTRY] = {kind.name: kind for kind in kinds}
    journal.name_actions({kind.name: kind.label for kind in kinds}, [kind.name for kind in kinds if kind.on_accounts])


def known_kinds(app) -> list[str]:
    """The names of the kinds of job this app runs."""
    return sorted(app.extensions[_REGISTRY])


def kind_of(job: Job | str) -> JobKind | None:
    """The kind of a job (or of that name); None for a kind this version does not know."""
    return current_app.extensions[_REGISTRY].get(job if isinstance(job, str) else job.kind)
