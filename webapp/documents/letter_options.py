"""How a job prints its letters: letters per sheet, the second language beneath the French, the QR code."""
from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from urllib.parse import urlencode

import zxingcpp
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from markupsafe import Markup

LOCALES = Path(__file__).with_name("locales")
DOMAIN = "letters"
PARALLEL_FROM = 200      # letters from which their QR codes are drawn on every core
SVG_SIZE = re.compile(r'width="(\d+)" height="(\d+)"')


@dataclass(frozen=True)
class Layout:
    """Letters per A4 sheet, in columns × rows, cut lines between them."""
    per_sheet: int
    columns: int
    rows: int
    label: str


LAYOUTS = {layout.per_sheet: layout for layout in (
    Layout(1, 1, 1, "Un courrier par page"),
    Layout(2, 1, 2, "Deux courriers par page"),
    Layout(4, 2, 2, "Quatre courriers par page"),
)}


@dataclass(frozen=True)
class Language:
    code: str           # BCP 47, as in the HTML's lang and the catalogue's folder
    label: str          # in French, for the staff's choice
    name: str           # in the language itself, for the letter
    rtl: bool = False


LANGUAGES = {language.code: language for language in (
    Language("en", "Anglais", "English"),
    Language("es", "Espagnol", "Español"),
    Language("pt", "Portugais", "Português"),
    Language("ar", "Arabe", "العربية", rtl=True),
)}
KEPT_ON_ACCOUNT = "compte"      # parents: the language kept on each account, if any


@dataclass(frozen=True)
class LetterOptions:
    """A job's choices for its letters, beside the establishment's texts (LetterSettings)."""
    layout: Layout = LAYOUTS[1]
    sign_in_url: str = ""        # the holders' sign-in page the QR code opens, identifier filled in


def layout_of(value) -> Layout:
    try:
        return LAYOUTS[int(value)]
    except (TypeError, ValueError, KeyError):
        return LAYOUTS[1]


def second_language(code: str | None) -> Language | None:
    return LANGUAGES.get(code or "")


def sheets(letters: list, layout: Layout) -> list[list]:
    return [letters[i:i + layout.per_sheet] for i in range(0, len(letters), layout.per_sheet)]


def qr_code(address: str, identifier: str = "") -> Markup:
    """`address`, with the identifier filled in when given — never the password — as an SVG element to
    place in the letter itself (as an image, Qt WebKit would draw each of 2,000 codes twice as slowly).
    Drawn by zxing-cpp (C++), three times faster than segno (pure Python, kept for the staff's single
    TOTP code)."""
    url = f"{address}?{urlencode({'identifiant': identifier})}" if identifier else address
    svg = zxingcpp.create_barcode(url, zxingcpp.BarcodeFormat.QRCode, ec_level="M").to_svg(add_quiet_zones=True)
    svg = svg[svg.index("<svg"):]     # no XML prolog inside HTML
    size = SVG_SIZE.search(svg)
    # drawn at the width of its cell (CSS), its modules scaled from the code's own size
    return Markup(SVG_SIZE.sub(f'viewBox="0 0 {size.group(1)} {size.group(2)}" aria-hidden="true"', svg, count=1))


def _codes_of(args: tuple[str, list[str]]) -> list[Markup]:
    sign_in_url, identifiers = args
    return [qr_code(sign_in_url, identifier) if identifier else Markup() for identifier in identifiers]


def qr_codes(sign_in_url: str, identifiers: list[str], processes: bool = True) -> list[Markup]:
    """The QR codes of many letters, over every core for a big document (`processes`): drawing them holds
    the interpreter, so threads would share one core. Forked workers that only compute; nothing is shared
    back but strings. A job's letters printed piece by piece beside its hashing draw theirs in place."""
    cores = os.cpu_count() or 1
    if not processes or len(identifiers) < PARALLEL_FROM or cores < 2:
        return _codes_of((sign_in_url, identifiers))
    size = -(-len(identifiers) // cores)
    chunks = [(sign_in_url, identifiers[i:i + size]) for i in range(0, len(identifiers), size)]
    with ProcessPoolExecutor(max_workers=cores, mp_context=multiprocessing.get_context("fork")) as pool:
        return [Markup(code) for codes in pool.map(_codes_of, chunks) for code in codes]


def valid_until(password_changed: datetime | None, days: int) -> date | None:
    """The last whole day a provisional password signs in; None when it does not expire. It stops at the
    hour it was given, `days` later: the day before is the last one a letter can promise in full."""
    if password_changed is None or days <= 0:
        return None
    return (password_changed + timedelta(days=days)).date() - timedelta(days=1)


@lru_cache(maxsize=None)
def translations(code: str) -> NullTranslations:
    """The letters' catalogue of a language, compiled from its .po when first asked: the .po files
    are the only source, no compiled .mo is kept in the repository."""
    po_file = LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.po"
    if code == "fr" or not po_file.exists():
        return NullTranslations()    # the French texts are the catalogues' message ids
    with po_file.open("rb") as source:
        catalogue = read_po(source, locale=code, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)
