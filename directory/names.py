"""Folding people's names: search keys that ignore case, accents and punctuation, and identifier stems."""
from __future__ import annotations

import re
import unicodedata

# Letters that do not decompose into ASCII under NFKD.
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "ø": "o", "Ø": "O",
                          "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ı": "i"})
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


def ascii_lower(text: str) -> str:
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text.translate(_SPECIAL))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold(text: str) -> str:
    """`N'Diaye` → `ndiaye`, `Le Goff` → `legoff`, `Zoé` → `zoe`: letters and digits only."""
    return _NOT_ALNUM.sub("", ascii_lower(text))


def search_keys(given_name: str, surname: str) -> list[str]:
    """Both orders, so that `zoe martin` and `martin zoe` each match as one folded substring."""
    given, family = fold(given_name), fold(surname)
    return sorted({given + family, family + given} - {""})


def sort_name(given_name: str, surname: str) -> str:
    """`AÏT OUALI` `Mohamed` → `aitouali mohamed`: sorts as a French reader expects, accents ignored."""
    return f"{fold(surname)} {fold(given_name)}".strip()


def letter_order(class_code: str | None, given_name: str, surname: str) -> tuple[str, str]:
    """Letters are printed class by class, then by name (parents have no class: by name)."""
    return class_code or "", sort_name(given_name, surname)


def identifier_stem(given_name: str, surname: str) -> str:
    """`Zoé` `N'Diaye` → `zoe.ndiaye`; hyphens and spaces inside a name are dropped too."""
    given = fold(given_name) or "x"
    family = fold(surname) or "x"
    return f"{given}.{family}"
