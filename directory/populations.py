"""The populations of accounts an establishment acts on: which branch, which establishment attribute,
what a search reads and returns. A new population is one more object here."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from . import attributes as A
from .escaping import equals
from .mapping import GUARDIAN, STUDENT


@dataclass(frozen=True)
class Population:
    name: str                          # also the name a job and a selection keep
    branch: str                        # the directory branch its accounts live in
    establishment_attribute: str       # the attribute that ties an account to the establishment acting
    attributes: tuple[str, ...]        # what a search reads
    decode: Callable[[dict], object]   # entry → record (Student, Guardian)
    decode_raw: Callable[[dict], object]   # the same from an entry read lean (directory.entries)
    found_by_children: bool = False    # parents: a child's name or class is looked up among the students
    figured: bool = True               # counted in the establishment's figures (« Accueil », « Statistiques »)

    def in_establishment(self, uai: str) -> str:
        return equals(self.establishment_attribute, uai)


STUDENTS = Population("students", A.STUDENTS, A.UAI, tuple(STUDENT.attributes), STUDENT.decode, STUDENT.decode_raw)
# « Élèves extérieurs »: students of other establishments following a shared course at this one
EXTERNAL = Population("external", A.STUDENTS, A.EXTERNAL_UAI, tuple(STUDENT.attributes), STUDENT.decode,
                      STUDENT.decode_raw, figured=False)     # counted by their establishment of attachment
# a parent belongs to every establishment one of their children is attached to
GUARDIANS = Population("guardians", A.GUARDIANS, A.UAI, tuple(GUARDIAN.attributes), GUARDIAN.decode,
                       GUARDIAN.decode_raw, found_by_children=True)
ALL = (STUDENTS, EXTERNAL, GUARDIANS)
BY_NAME = {p.name: p for p in ALL}
FIGURED = tuple(p for p in ALL if p.figured)


def branches(populations=ALL) -> tuple[str, ...]:
    """The branches these populations' accounts live in, each once."""
    return tuple(dict.fromkeys(p.branch for p in populations))
