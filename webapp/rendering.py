"""One helper that answers a whole page, or only its fragment to an HTMX request, and says so in Vary."""
from __future__ import annotations

from flask import current_app, make_response, render_template

from .extensions import htmx


def wants_fragment() -> bool:
    """An HTMX request, except htmx restoring history: that one needs the whole page."""
    return bool(htmx) and not htmx.history_restore_request


def page_or_fragment(page_template: str, fragment_template: str, status: int = 200, **context):
    template = fragment_template if wants_fragment() else page_template
    # as_fragment: a fragment may bring out-of-band parts (a live region's new words) that the page has already
    response = make_response(render_template(template, as_fragment=template == fragment_template, **context), status)
    response.headers.add("Vary", "HX-Request")
    response.headers.add("Vary", "HX-History-Restore-Request")
    return response


def csv_download(content: bytes, filename: str):
    """A CSV file to download: `text/csv`, to which Werkzeug adds `charset=utf-8` once (given with the charset
    already, it said it twice)."""
    response = current_app.response_class(content, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response
