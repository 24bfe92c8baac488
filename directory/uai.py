"""UAI (establishment numbers): seven digits and a check letter, `ABCDEFGHJKLMNPRSTUVWXYZ[n % 23]`."""
from __future__ import annotations

import re

CHECK_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"
_SHAPE = re.compile(r"^[0-9]{7}[A-Z]$")


def check_letter(number: str) -> str:
    return CHECK_LETTERS[int(number) % 23]


def is_valid_uai(value: str) -> bool:
    """`0450750W` (the guide's) is valid; so are the demo's `0990001N`, `0990002P`, `0990003R`."""
    if not isinstance(value, str) or not _SHAPE.match(value):
        return False
    return value[7] == check_letter(value[:7])


def normalize_uai(value: str) -> str | None:
    """The UAI in canonical form (upper case, no spaces), or None if it is not a valid one."""
    candidate = (value or "").strip().upper()
    return candidate if is_valid_uai(candidate) else None
