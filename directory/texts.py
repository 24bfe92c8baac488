"""What free text typed by staff (a reason, a contact line, a signature) may hold before it is stored."""
from __future__ import annotations

import unicodedata

# A value that a spreadsheet would run (CSV exports of the journal), or that looks like markup: refused,
# not silently changed, so that what is stored is what the person typed and saw.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_problem(label: str, value: str, limit: int, required: bool = False) -> str | None:
    """The French reason why `value` cannot be stored as `label`, or None when it can."""
    if not value:
        return f"« {label} » est obligatoire." if required else None
    if len(value) > limit:
        return f"« {label} » ne peut pas dépasser {limit} caractères (il en a {len(value)})."
    if "<" in value or ">" in value:
        return f"« {label} » ne peut pas contenir les caractères < et >."
    if value.startswith(FORMULA_STARTS):
        return f"« {label} » ne peut pas commencer par =, +, - ou @ (une formule de tableur)."
    if any(unicodedata.category(c) in ("Cc", "Cf", "Co", "Cs") for c in value):
        return f"« {label} » contient un caractère invisible ou de contrôle."
    return None


def clean(value: str | None) -> str:
    """Spaces at either end and runs of spaces are not part of what was meant."""
    return " ".join((value or "").split())
