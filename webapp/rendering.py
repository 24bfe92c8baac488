"""One helper that answers a whole page, or only its fragment to an HTMX request, and says so in Vary."""
from __future__ import annotations

from flask import make_response, render_template

from .extensions import htmx


def page_or_fragment(page: str, fragment: str, status: int = 200, **context):
    template = fragment if htmx else page
    response = make_response(render_template(template, **context), status)
    response.headers.add("Vary", "HX-Request")
    return response
