"""Individual letters (« Courrier individuel »): one page per account, as SPEC §4 and the guide show."""
from __future__ import annotations

from dataclasses import dataclass

from directory.letter_settings import StoredLetterSettings
from directory.model import Establishment

from .pdf import html_to_pdf, render_document


@dataclass(frozen=True)
class LetterSettings:
    activation_url: str
    contact: str
    signature: str
    signature_name: str = ""     # empty: the establishment's head (issue 16: the establishment's own settings)
    paragraph: str = ""          # an optional short paragraph of the establishment's


@dataclass(frozen=True)
class Letter:
    surname: str
    given_name: str
    identifier: str
    password: str | None        # None: an activated account, whose letter shows no password
    class_label: str = ""
    children: str = ""          # a parent's letter names their children in the establishment


def letter_settings(config, stored: StoredLetterSettings | None = None) -> LetterSettings:
    """The establishment's own settings (`stored`, kept on its entry), each empty one taking the
    deployment's default from SESAME_LETTER_*."""
    stored = stored or StoredLetterSettings()
    default = config["SESAME_PUBLIC_URL"].rstrip("/") + "/compte/connexion"
    return LetterSettings(activation_url=stored.activation_url or config["SESAME_LETTER_ACTIVATION_URL"] or default,
                          contact=stored.contact or config["SESAME_LETTER_CONTACT"],
                          signature=stored.signature_title or config["SESAME_LETTER_SIGNATURE"],
                          signature_name=stored.signature_name, paragraph=stored.paragraph)


def letters_html(establishment: Establishment, settings: LetterSettings, letters: list[Letter]) -> str:
    return render_document("documents/letters.html", establishment=establishment, settings=settings,
                           letters=letters)


def letters_pdf(establishment: Establishment, settings: LetterSettings, letters: list[Letter]) -> bytes:
    return html_to_pdf(letters_html(establishment, settings, letters))
