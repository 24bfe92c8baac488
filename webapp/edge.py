"""What a field or a link may carry, read at the edge before anything reaches the directory: days, short
texts, one of a few values. Anything else is refused with a French reason, which the views answer with a
4xx and the page; nothing is truncated or guessed silently."""
from __future__ import annotations

import re
from datetime import date, datetime

FIRST_YEAR, LAST_YEAR = 1900, 2100
_ISO = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")          # ASCII digits only: "٢".isdigit() is True
_FRENCH = re.compile(r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}")


def parse_day(text: str | None) -> date | None:
    """A day as a date field sends it (aaaa-mm-jj) or as people type it (jj/mm/aaaa), between 1900 and 2100;
    None for anything else (year 1, year 9999, digits of another script, 10,000 characters)."""
    text = (text or "").strip()
    if len(text) > 10:
        return None
    try:
        if _ISO.fullmatch(text):
            found = date.fromisoformat(text)
        elif _FRENCH.fullmatch(text):
            found = datetime.strptime(text, "%d/%m/%Y").date()
        else:
            return None
    except ValueError:
        return None
    return found if FIRST_YEAR <= found.year <= LAST_YEAR else None


def short_text(args, name: str, limit: int, label: str, problems: list[str]) -> str:
    """A criterion typed in a field, at most `limit` characters; longer, it is refused and said."""
    value = (args.get(name) or "").strip()
    if len(value) > limit:
        problems.append(f"« {label} » ne peut pas dépasser {limit} caractères (il en a {len(value)}).")
        return ""
    return value


def one_of(args, name: str, allowed, problems: list[str], message: str, default: str = "") -> str:
    """A value a link or a list offers (a sort order, a choice): any other is refused with `message`."""
    value = args.get(name, default)
    if value not in allowed:
        problems.append(message)
        return default
    return value


SORT_ORDERS = ("", "desc")
SORT_ORDER_REFUSED = "Cet ordre de tri n'est pas possible."
