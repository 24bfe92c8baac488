"""Individual letters (« Courrier individuel »): one per account, as SPEC §4 and the guide show."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from babel.dates import format_date
from markupsafe import Markup, escape

from directory.letter_settings import StoredLetterSettings
from directory.model import Establishment

from .letter_options import LetterOptions, layout_of, qr_code, qr_codes, second_language, sheets, translations
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
    language: str = ""          # the second language beneath the French ("": French only)
    valid_until: date | None = None    # the provisional password's last day, when it expires


def letter_settings(config, stored: StoredLetterSettings | None = None) -> LetterSettings:
    """The establishment's own settings (`stored`, kept on its entry), each empty one taking the
    deployment's default from SESAME_LETTER_*."""
    stored = stored or StoredLetterSettings()
    default = config["SESAME_PUBLIC_URL"].rstrip("/") + "/compte/connexion"
    return LetterSettings(activation_url=stored.activation_url or config["SESAME_LETTER_ACTIVATION_URL"] or default,
                          contact=stored.contact or config["SESAME_LETTER_CONTACT"],
                          signature=stored.signature_title or config["SESAME_LETTER_SIGNATURE"],
                          signature_name=stored.signature_name, paragraph=stored.paragraph)


def letter_options(config, layout=None) -> LetterOptions:
    """The job's layout, with the holders' sign-in page of this Sésame (where the QR code fills the identifier
    in, when the letter's activation address is that page)."""
    return LetterOptions(layout=layout_of(layout),
                         sign_in_url=config["SESAME_PUBLIC_URL"].rstrip("/") + "/compte/connexion")


PLACEHOLDER = re.compile(r"%\((\w+)\)s")
ARABIC = re.compile(r"[\u0600-\u06ff]")
CLOSING = set(".,:;!?،»)")
TOKEN = re.compile(r"%\(\w+\)s|[^\s.,:;!?«»()،]+|\S")


def _right_to_left(text: str, values: dict) -> Markup:
    """Qt WebKit (wkhtmltopdf) breaks lines of shaped Arabic wrongly: each word is put in a box of its
    own, which it measures right and lines up right to left; a value (a name, an address) stays one
    left-to-right box."""
    def box(token: str) -> str:
        name = PLACEHOLDER.fullmatch(token)
        if name:
            value = str(values[name.group(1)])
            direction = "rtl" if ARABIC.search(value) else "ltr"      # a date in Arabic is Arabic
            return f'<span class="word" dir="{direction}">{escape(value)}</span>'
        return f'<span class="word">{escape(token)}</span>'
    tokens = TOKEN.findall(text)
    # no space before closing punctuation, nor after opening
    return Markup("".join(("" if i == 0 or token in CLOSING or tokens[i - 1] in "«(" else " ") + box(token)
                          for i, token in enumerate(tokens)))


def _texts(code: str):
    """What the letter's body macro asks for one language: its texts (message id → translated, with
    its values), its dates, its direction."""
    language = second_language(code)
    locale = language.code if language else "fr"
    rtl = bool(language and language.rtl)
    gettext = translations(locale).gettext

    def say(message: str, **values) -> Markup | str:
        text = gettext(message)
        return _right_to_left(text, values) if rtl else text % values if values else text
    return {"gettext": say, "lang": locale, "rtl": rtl,
            "date": lambda day: format_date(day, format="long", locale=locale)}


def letters_html(establishment: Establishment, settings: LetterSettings, letters: list[Letter],
                 options: LetterOptions | None = None, processes: bool = True) -> str:
    """The letters' HTML; `processes`: their QR codes drawn by forked processes (qr_codes)."""
    options = options or LetterOptions()
    fills_identifier = qr_fills_identifier(settings, options)
    if fills_identifier:
        codes = dict(zip(map(id, letters), qr_codes(options.sign_in_url, [l.identifier for l in letters], processes)))
    else:       # the establishment's own address, as the letter prints it: one code for every letter
        shared = qr_code(settings.activation_url) if settings.activation_url else ""
        codes = {id(letter): shared for letter in letters}
    return render_document("documents/letters.html", establishment=establishment, settings=settings,
                           options=options, sheets=sheets(letters, options.layout), texts=_texts,
                           qr_code=lambda letter: codes[id(letter)], qr_fills_identifier=fills_identifier)


def qr_fills_identifier(settings: LetterSettings, options: LetterOptions) -> bool:
    """The QR code opens the address the letter prints. When that is this Sésame's own sign-in page, the code
    also fills the holder's identifier in; any other address (the ENT's, the académie's portal) is opened as
    it is, for Sésame knows nothing of what it takes."""
    return bool(options.sign_in_url) and settings.activation_url.rstrip("/") == options.sign_in_url.rstrip("/")


MARGINS = "0"       # the sheets place the letters themselves, cut lines to the paper's edge


def letters_pdf(establishment: Establishment, settings: LetterSettings, letters: list[Letter],
                options: LetterOptions | None = None, processes: bool = True) -> bytes:
    return html_to_pdf(letters_html(establishment, settings, letters, options, processes), margins=MARGINS,
                       items=len(letters))
