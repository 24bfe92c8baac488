"""Individual letters (« Courrier individuel »): one page per account, as SPEC §4 and the guide show."""
from __future__ import annotations

from dataclasses import dataclass

from directory.model import Establishment

from .pdf import html_to_pdf, render_document


@dataclass(frozen=True)
class LetterSettings:
    activation_url: str
    contact: str
    signature: str


@dataclass(frozen=True)
class Letter:
    surname: str
    given_name: str
    identifier: str
    password: str | None        # None: an activated account, whose letter shows no password
    class_label: str = ""
    children: str = ""          # a parent's letter names their children in the establishment


def letter_settings(config) -> LetterSettings:
    default = config["SESAME_PUBLIC_URL"].rstrip("/") + "/compte/connexion"
    return LetterSettings(activation_url=config["SESAME_LETTER_ACTIVATION_URL"] or default,
                          contact=config["SESAME_LETTER_CONTACT"], signature=config["SESAME_LETTER_SIGNATURE"])


def letters_html(establishment: Establishment, settings: LetterSettings, letters: list[Letter]) -> str:
    return render_document("documents/letters.html", establishment=establishment, settings=settings,
                           letters=letters)


def letters_pdf(establishment: Establishment, settings: LetterSettings, letters: list[Letter]) -> bytes:
    return html_to_pdf(letters_html(establishment, settings, letters))
