"""HTML to PDF with pdfkit over wkhtmltopdf: one process per document, our own HTML only, nothing fetched;
PDFs put end to end with poppler's pdfunite; each program within its bound (SESAME_PRINT_SECONDS)."""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import pdfkit
from flask import current_app

from directory.processes import Overdue, run

from .failures import PrintingFailed

log = logging.getLogger(__name__)
PER_BOUND = 120         # letters (or list rows) a bound of SESAME_PRINT_SECONDS is given for; a bigger document gets more
STUCK = ("L'impression du document n'a pas abouti : le programme d'impression ne répondait plus et a été arrêté. "
         "Les comptes marqués « Fait » sont traités ; relancez l'opération pour refaire le document.")
BROKEN = ("L'impression du document a échoué. Les comptes marqués « Fait » sont traités ; relancez l'opération pour "
          "refaire le document.")

OPTIONS = {
    "encoding": "UTF-8",
    "page-size": "A4",
    "margin-top": "15mm", "margin-bottom": "15mm", "margin-left": "15mm", "margin-right": "15mm",
    "disable-local-file-access": None,
    "disable-javascript": None,
    "disable-external-links": None,
    # nothing in our templates is fetched; a proxy that does not exist makes sure nothing can be
    "proxy": "http://127.0.0.1:9",
    "quiet": None,
}


def pdf_options(margins: str | None = None) -> dict:
    """wkhtmltopdf's options, with other page margins (letters place themselves on the sheet)."""
    if margins is None:
        return OPTIONS
    return {**OPTIONS, **{f"margin-{side}": margins for side in ("top", "bottom", "left", "right")}}


def bound(items: int) -> float:
    """Seconds a document of `items` letters or rows may take to print: SESAME_PRINT_SECONDS for each PER_BOUND."""
    return current_app.config["SESAME_PRINT_SECONDS"] * max(1.0, items / PER_BOUND)


def _printed(command: list[str], items: int, input: bytes | None = None):
    """The program's outputs once it ended well; `PrintingFailed` (in French) if it failed or overran its bound."""
    try:
        finished = run(command, bound(items), input=input)
    except Overdue as overdue:
        log.error("%s: %d item(s)", overdue, items)
        raise PrintingFailed(STUCK, str(overdue)) from overdue
    except OSError as error:
        raise PrintingFailed(BROKEN, f"{command[0]}: {error}") from error
    return finished


def html_to_pdf(html: str, margins: str | None = None, items: int = 1) -> bytes:
    """The PDF of our own HTML; `items`: how many letters or rows it holds (its bound grows with them)."""
    kit = pdfkit.PDFKit(html, "string", options=pdf_options(margins))
    finished = _printed(kit.command(), items, input=html.encode("utf-8"))
    try:
        kit.handle_error(finished.returncode, (finished.stderr or b"").decode("utf-8", "replace"))
    except OSError as error:
        raise PrintingFailed(BROKEN, f"wkhtmltopdf: {error}") from error
    if not finished.stdout.startswith(b"%PDF"):
        raise PrintingFailed(BROKEN, "wkhtmltopdf gave no PDF")
    return finished.stdout


def united(documents: list[bytes], items: int = 1) -> bytes:
    """`documents` as one PDF, their pages in order (pdfunite copies pages, nothing is drawn again)."""
    if len(documents) == 1:
        return documents[0]
    # letters carry provisional passwords: written in memory where there is a tmpfs, readable by this
    # user alone (the folder is 0700), and gone when pdfunite is done
    memory = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="sesame-pdf-", dir=memory) as folder:
        paths = [Path(folder) / f"{n:05d}.pdf" for n in range(len(documents))]
        target = Path(folder) / "united.pdf"
        try:
            for path, content in zip(paths, documents):
                path.write_bytes(content)
        except OSError as error:
            raise PrintingFailed(BROKEN, f"the pieces could not be written in {folder}: {error}") from error
        finished = _printed(["pdfunite", *map(str, paths), str(target)], items)
        if finished.returncode != 0:
            raise PrintingFailed(BROKEN, "pdfunite: " + finished.stderr.decode("utf-8", "replace")[-500:])
        return target.read_bytes()


def render_document(template: str, **context) -> str:
    """A document's HTML from our own template, without the page's context (no request, no user:
    documents are made by the worker)."""
    return current_app.jinja_env.get_template(template).render(**context)
