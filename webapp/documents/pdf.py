"""HTML to PDF with pdfkit over wkhtmltopdf: one process per document, our own HTML only, nothing fetched;
PDFs put end to end with poppler's pdfunite."""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

import pdfkit
from flask import current_app

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


def html_to_pdf(html: str, margins: str | None = None) -> bytes:
    return pdfkit.from_string(html, False, options=pdf_options(margins))


def united(documents: list[bytes]) -> bytes:
    """`documents` as one PDF, their pages in order (pdfunite copies pages, nothing is drawn again)."""
    if len(documents) == 1:
        return documents[0]
    # letters carry provisional passwords: written in memory where there is a tmpfs, readable by this
    # user alone (the folder is 0700), and gone when pdfunite is done
    memory = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with tempfile.TemporaryDirectory(prefix="sesame-pdf-", dir=memory) as folder:
        paths = [Path(folder) / f"{n:05d}.pdf" for n in range(len(documents))]
        for path, content in zip(paths, documents):
            path.write_bytes(content)
        target = Path(folder) / "united.pdf"
        subprocess.run(["pdfunite", *map(str, paths), str(target)], check=True, capture_output=True, timeout=600)
        return target.read_bytes()


def render_document(template: str, **context) -> str:
    """A document's HTML from our own template, without the page's context (no request, no user:
    documents are made by the worker)."""
    return current_app.jinja_env.get_template(template).render(**context)
