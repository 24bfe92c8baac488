"""Why a job's document could not be made, in words for the person who asked: the runner says it on the job."""
from __future__ import annotations


class DocumentFailed(RuntimeError):
    """A document that could not be made or kept; `said` is the job's message (French), the rest is for the log."""

    def __init__(self, said: str, detail: str = ""):
        self.said = said
        super().__init__(detail or said)


class PrintingFailed(DocumentFailed):
    """wkhtmltopdf or pdfunite failed, or did not end within its bound."""


class FilesUnwritable(DocumentFailed):
    """The folder of generated files refused the document (full, read-only): what was begun is deleted."""
