"""The INE (identifiant national élève): its shape, and its check key — what tells an INE typed wrong from a
real one, and two real INEs (two pupils) from one pupil entered twice."""
from __future__ import annotations

import re

# The 23 letters of the UAI's check letter (directory/uai.py): the INE's key is drawn from the same table.
KEY_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_SHAPE = re.compile(r"^[0-9A-Z]{10}[A-Z]$")


def normalize(value) -> str:
    """An INE as it is compared: upper case, without spaces (`1234567890a ` and `1234567890A` are one)."""
    return "".join(str(value or "").split()).upper()


def check_key(body: str) -> str:
    """The key letter of the ten characters before it: their number modulo 23 in KEY_LETTERS. A body of digits
    is read in base 10 (the INE-BEA, as the UAI's number); one with letters (INE-RNIE, apprentices) with its
    letters as base-36 digits (A = 10 … Z = 35)."""
    number = int(body) if body.isdigit() else int(body, 36)
    return KEY_LETTERS[number % 23]


def is_valid(value) -> bool:
    """Ten digits or capital letters and the key letter that checks them."""
    ine = normalize(value)
    return bool(_SHAPE.match(ine)) and ine[10] == check_key(ine[:10])


def with_key(body: str) -> str:
    """A valid INE from its ten first characters (the demo's and the benchmarks' INEs)."""
    return body + check_key(body)
