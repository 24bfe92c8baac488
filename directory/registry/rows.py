"""What a registry file says, format aside: student rows, parent rows, MEF labels, and the cleaning of values."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from ..texts import MARKUP, cleaning, formula_like, text_problem
from ..uai import normalize_uai

INE_SHAPE = re.compile(r"^[0-9A-Z]{11}$")
NAME_MAX = 64


@dataclass(frozen=True)
class StudentRow:
    source: str                   # the file's name, as uploaded
    line: int                     # where the row is in that file
    uai: str                      # as the file gives it (an own CSV's row may name an invalid one)
    ine: str
    surname: str
    given_name: str
    birth_date: date | None
    class_code: str = ""
    class_label: str = ""
    mef_code: str = ""
    mef_label: str = ""
    left_on: date | None = None   # SIECLE's DATE_SORTIE: left, or leaving on that day when it is still to come
    registry_id: str = ""         # SIECLE's ELEVE_ID (the parents' file links to it); ONDE: the row's line
    level: str = ""               # ONDE's « Niveau » (CP, CE1...): a primary school pupil's level, not a MEF
    problems: tuple[str, ...] = ()   # values that block this row (conflicts)
    notes: tuple[str, ...] = ()      # values cleaned (said in the preview)


@dataclass(frozen=True)
class ParentRow:
    source: str
    line: int
    uai: str
    person_id: str                # SIECLE's PERSONNE_ID, within the establishment's base
    surname: str
    given_name: str
    mail: str = ""
    children: tuple[str, ...] = ()   # the ELEVE_IDs of their children in the students' file
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    # ONDE names children by name and class, not by an id: (surname, given name, classes as written)
    children_named: tuple[tuple[str, str, str], ...] = ()


@dataclass
class RegistryFile:
    """One uploaded file, read. `whole_school`: an absent student has left (REGISTRY.md)."""
    name: str
    kind: str                     # students, parents, nomenclature, structures
    format: str                   # SIECLE, ONDE, Sésame
    uais: tuple[str, ...] = ()
    school_year: str = ""         # « 2027-2028 »; "" when the file does not say
    students: list[StudentRow] = field(default_factory=list)
    parents: list[ParentRow] = field(default_factory=list)
    mefs: dict[str, str] = field(default_factory=dict)       # MEF code → label (the nomenclature)
    whole_school: bool = True
    exported: datetime | None = None   # when the registry made the file (SIECLE's HORODATAGE), if it says
    classes: dict[str, str] = field(default_factory=dict)    # division code → label, for its establishment


class Cleaner:
    """Cleans one row's values and collects what it cleaned and what it refused."""

    def __init__(self):
        self.problems: list[str] = []
        self.notes: list[str] = []

    def text(self, value, label: str, *, required: bool = False, max_length: int = NAME_MAX) -> str:
        """The value cleaned as every text entering the directory is (directory.texts), then its rules: a
        formula or markup blocks the row (and is never kept), too long blocks it too."""
        cleaned = cleaning(value)
        if cleaned.removed_invisible:
            self.notes.append(f"{label} : caractères invisibles ou de contrôle retirés")
        if cleaned.recomposed:
            self.notes.append(f"{label} : accents recomposés (NFD → NFC)")
        composed = cleaned.text
        if formula_like(composed):
            self.problems.append(f"{label} : « {composed[:20]} » commence comme une formule de tableur")
            return ""
        problem = text_problem(label, composed, max_length, required)
        if problem:
            self.problems.append(problem)
            return "" if any(c in composed for c in MARKUP) else composed[:max_length]
        return composed

    def ine(self, value) -> str:
        ine = self.text(value, "INE", max_length=20).upper().replace(" ", "")
        if not ine:
            self.problems.append("Ligne sans INE")
        elif not INE_SHAPE.match(ine):
            self.problems.append(f"INE invalide : « {ine} »")
        return ine

    def day(self, value, label: str, *, required: bool) -> date | None:
        raw = self.text(value, label, max_length=20)
        if not raw:
            if required:
                self.problems.append(f"{label} manquante")
            return None
        match = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", raw)
        try:
            if not match:
                raise ValueError
            found = date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
            if not 1900 <= found.year <= 2100:
                raise ValueError
            return found
        except ValueError:
            self.problems.append(f"{label} invalide : « {raw} » (attendu jj/mm/aaaa)")
            return None

    def uai(self, value) -> str:
        raw = self.text(value, "UAI", max_length=20)
        found = normalize_uai(raw)
        if found is None:
            self.problems.append(f"UAI invalide : « {raw} »")
            return raw.upper()
        return found

    def done(self) -> dict:
        return {"problems": tuple(dict.fromkeys(self.problems)), "notes": tuple(dict.fromkeys(self.notes))}
