"""A notify's letters printed piece by piece beside the hashing: each piece's PDF made as soon as its accounts
are written, kept with its chunk, and the pieces put end to end once every chunk is done."""
from __future__ import annotations

import logging
import os
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date

from flask import current_app

from directory.letter_settings import LetterSettingsStore

from ..documents.letters import Letter, letter_options, letter_settings, letters_pdf
from ..documents.pdf import united
from ..extensions import directory

log = logging.getLogger(__name__)
PIECE = 120      # letters a piece: little is left to print after the last write; whole sheets of 1, 2 or 4


def letter_values(letter: Letter) -> list:
    """A letter as plain values (kept sealed in Redis between a chunk and the assembly)."""
    return [letter.surname, letter.given_name, letter.identifier, letter.password, letter.class_label,
            letter.children, letter.language, letter.valid_until.isoformat() if letter.valid_until else None]


def letter_of_values(values: list) -> Letter:
    *fields, valid_until = values
    return Letter(*fields, date.fromisoformat(valid_until) if valid_until else None)


def letters_of_items(items: list) -> list[Letter]:
    """Items are [class code, sort name, *letter values]: the letters in their printing order."""
    return [letter_of_values(item[2:]) for item in sorted(items, key=lambda item: (item[0], item[1]))]


class Printer:
    """Prints a job's pieces on a pool of its own — wkhtmltopdf runs outside the interpreter: as many
    pieces at once as cores, beside the hashing threads — and closes each chunk once its pieces are made."""

    def __init__(self, job, items_of):
        """`items_of(results)`: the items of the letters of those accounts, from the outcomes of their writes."""
        self.app = current_app._get_current_object()
        self.items_of = items_of
        self.establishment = directory.current.establishment(job.uai)
        self.settings = letter_settings(self.app.config, LetterSettingsStore(directory.current).read(job.uai))
        self.options = letter_options(self.app.config, job.options.get("layout", 1))
        self.pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="letters")
        self.closing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chunks")
        self.closed: list[Future] = []

    def _piece(self, results: list) -> tuple[list, bytes | None]:
        """(the piece's items; its PDF, None when none of its accounts has a letter or when it could not
        be printed: the letters are then printed whole at the end)."""
        with self.app.app_context():
            items = self.items_of(results)
            if not items:
                return items, None
            try:
                # drawn here: forking for the QR codes would copy a process whose other threads hold locks
                return items, letters_pdf(self.establishment, self.settings, letters_of_items(items), self.options,
                                          processes=False)
            except Exception:   # noqa: BLE001 - a piece that fails costs time, never the letters
                log.exception("a piece of %s letters could not be printed: the whole document will be", len(items))
                return items, None

    def print(self, results: list) -> Future:
        """The piece of these accounts (each written and noted already), printed in the background."""
        return self.pool.submit(self._piece, results)

    def close_chunk(self, pieces: list[Future], keep) -> None:
        """Once every piece of a chunk is printed, `keep` is given their (items, pdf) in order."""
        self.closed.append(self.closing.submit(lambda: keep([piece.result() for piece in pieces])))

    def finish(self) -> None:
        """Waits until every chunk handed over is kept (the first error is raised); the pools go."""
        try:
            for closed in self.closed:
                closed.result()
        finally:
            self.pool.shutdown(wait=True)
            self.closing.shutdown(wait=True)


def end_to_end(pieces: list[tuple[list, bytes | None]], per_sheet: int) -> bool:
    """Whether the pieces make the document put end to end: each printed, in the letters' order, and each
    but the last a whole number of sheets (no sheet with empty places inside the document)."""
    with_letters = [(items, pdf) for items, pdf in pieces if items]
    return (bool(with_letters) and all(pdf is not None for _, pdf in with_letters) and in_order(with_letters)
            and all(len(items) % per_sheet == 0 for items, _ in with_letters[:-1]))


def in_order(pieces: list[tuple[list, bytes | None]]) -> bool:
    """Whether the pieces, end to end, keep the letters' order (each begins where the one before ended or
    after): a job's accounts are put in that order when it is confirmed."""
    ranges = [(min(keys), max(keys)) for keys in ([tuple(item[:2]) for item in items] for items, _ in pieces) if keys]
    return all(before[1] <= after[0] for before, after in zip(ranges, ranges[1:]))


def assembled(pieces: list[tuple[list, bytes | None]]) -> bytes:
    """The letters PDF from the pieces' own, page for page."""
    return united([pdf for _, pdf in pieces if pdf is not None])
