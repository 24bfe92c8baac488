"""What free text may hold before it enters the directory, from any screen or file (a reason, a contact line, a
signature, a name or a class label of a registry export): one cleaning — Unicode composed (NFC), invisible and
control characters removed, runs of spaces made one — then one set of rules, checked on what was cleaned, so
that nothing hidden in front of a character slips past them."""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass

# After cleaning, a value a spreadsheet would run (the journal's and lists' CSV, any other tool reading the
# directory), or that looks like markup, is refused, never silently changed: what is stored is what was meant.
FORMULA_STARTS = ("=", "+", "-", "@", "|")
MARKUP = ("<", ">")
# control (Cc: whitespace ones become a space), format — zero-width and bidirectional marks — (Cf), private use
# (Co), surrogates (Cs), unassigned (Cn)
INVISIBLE = ("Cc", "Cf", "Co", "Cs", "Cn")


@dataclass(frozen=True)
class Cleaned:
    text: str
    removed_invisible: bool = False      # an invisible or control character was taken out
    recomposed: bool = False             # decomposed accents (NFD) were composed (NFC)


def cleaning(value: str | None) -> Cleaned:
    """The one cleaning of every text entering the directory, saying what it changed."""
    raw = "" if value is None else str(value)
    if raw.isprintable() and "  " not in raw and raw == raw.strip() and unicodedata.is_normalized("NFC", raw):
        # nothing to change (most values of a registry export): no control, format or private character, no
        # space but single ones between words, composed already
        return Cleaned(raw)
    kept = "".join(" " if c.isspace() else c for c in raw if c.isspace() or unicodedata.category(c) not in INVISIBLE)
    composed = unicodedata.normalize("NFC", kept)
    return Cleaned(" ".join(composed.split()), removed_invisible=len(kept) != len(raw),
                   recomposed=composed != kept)


def clean(value: str | None) -> str:
    return cleaning(value).text


def formula_like(value: str) -> bool:
    """A spreadsheet would run it (a lone "-" or "=" is only text)."""
    return len(value) > 1 and value.startswith(FORMULA_STARTS)


def text_problem(label: str, value: str, limit: int, required: bool = False) -> str | None:
    """The French reason why `value` cannot be stored as `label`, or None when it can. The rules are checked
    on the cleaned value: an invisible character in front of `=` does not hide the formula."""
    value = clean(value)
    if not value:
        return f"« {label} » est obligatoire." if required else None
    if len(value) > limit:
        return f"« {label} » ne peut pas dépasser {limit} caractères (il en a {len(value)})."
    if any(c in value for c in MARKUP):
        return f"« {label} » ne peut pas contenir les caractères < et >."
    if formula_like(value):
        return f"« {label} » ne peut pas commencer par =, +, -, @ ou | (une formule de tableur)."
    return None
