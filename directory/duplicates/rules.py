"""What makes two accounts one person entered twice, and what makes them two people — twins, siblings, namesakes
born the same day with two real INEs: the rules, as pure functions; each verdict scored and said in French."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .. import ine as ines
from ..names import fold

STUDENT, PARENT = "student", "parent"
DUPLICATE, SIBLINGS = "duplicate", "siblings"
KIND_LABELS = {DUPLICATE: "Doublons probables", SIBLINGS: "Frères et sœurs probables"}

# The keys that nominate candidates (a pair must share one); the verdict is then the rules' own, on both whole.
INE, NAME_BIRTH, FAMILY_BIRTH_SCHOOL = "ine", "name-birth", "family-birth-school"
NAME_MAIL, NAME_PHONE, NAME_CHILD = "name-mail", "name-phone", "name-child"
STUDENT_KEYS = (INE, NAME_BIRTH, FAMILY_BIRTH_SCHOOL)
PARENT_KEYS = (NAME_MAIL, NAME_PHONE, NAME_CHILD)
_NOT_DIGIT = re.compile(r"[^0-9]")
# names repeat (a few thousand given names and surnames make an académie): each is folded once
_fold = lru_cache(maxsize=1 << 16)(fold)


@dataclass(frozen=True)
class Person:
    """An account as the rules read it (values as the directory keeps them)."""
    kind: str                       # STUDENT or PARENT
    account_id: str
    surname: str = ""
    given_name: str = ""
    birth: str = ""                 # YYYYMMDD, "" when unknown
    ine: str = ""
    uais: tuple[str, ...] = ()      # its establishment(s); a leaver's: the one it left
    left: bool = False              # a leaver (no establishment now)
    mails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    children: tuple[str, ...] = ()  # a parent's children, by account id
    identifier: str = ""
    state: str = ""
    origin: str = ""
    created: str = ""               # createTimestamp, generalized time
    class_code: str = ""

    @property
    def family(self) -> str:
        return fold(self.surname)

    @property
    def given(self) -> str:
        return fold(self.given_name)

    @property
    def full(self) -> str:
        """Surname and given names folded (`N'Diaye` `Zoé` and `NDIAYE` `Zoe` are one name)."""
        return f"{self.family} {self.given}" if self.family and self.given else ""

    @property
    def ine_key(self) -> str:
        return ines.normalize(self.ine)

    @property
    def ine_valid(self) -> bool:
        return ines.is_valid(self.ine)

    @property
    def name(self) -> str:
        return f"{self.surname.upper()} {self.given_name}".strip()


def phone_key(value: str) -> str:
    """A phone number's last nine digits: `06 12 34 56 78` and `+33 6 12 34 56 78` are one number."""
    digits = _NOT_DIGIT.sub("", str(value or ""))
    return digits[-9:] if len(digits) >= 9 else ""


def keys(person: Person) -> list[tuple[str, str]]:
    """(kind of key, key) that nominate this account's candidates. (Each name folded once: the scan asks this of
    every account of the directory.)"""
    family, given = _fold(person.surname), _fold(person.given_name)
    full = f"{family} {given}" if family and given else ""
    found: list[tuple[str, str]] = []
    if person.kind == STUDENT:
        ine = ines.normalize(person.ine) if person.ine else ""
        if ine:
            found.append((INE, ine))
        if person.birth:
            if full:
                found.append((NAME_BIRTH, f"{full}|{person.birth}"))
            if family:
                found += [(FAMILY_BIRTH_SCHOOL, f"{family}|{person.birth}|{uai}") for uai in person.uais]
        return found
    if full:
        found += [(NAME_MAIL, f"{full}|{m.lower()}") for m in dict.fromkeys(person.mails) if m]
        found += [(NAME_PHONE, f"{full}|{p}") for p in dict.fromkeys(map(phone_key, person.phones)) if p]
        found += [(NAME_CHILD, f"{full}|{c}") for c in dict.fromkeys(person.children) if c]
    return found


@dataclass(frozen=True)
class Verdict:
    kind: str                       # DUPLICATE, or SIBLINGS: two people, listed apart for information
    score: int                      # 0-100: how sure (duplicates); siblings are not scored as duplicates
    reasons: tuple[str, ...]        # in French, the strongest first
    same: tuple[str, ...] = ()      # the fields both hold alike (shown side by side, highlighted)


def _where(a: Person, b: Person) -> str:
    return "même établissement" if set(a.uais) & set(b.uais) else "établissements différents"


def judge(a: Person, b: Person) -> Verdict | None:
    """Whether `a` and `b` are one person entered twice (DUPLICATE), two people that look alike and are listed
    apart (SIBLINGS), or nothing to say (None)."""
    if a.kind != b.kind or a.account_id == b.account_id:
        return None
    return _students(a, b) if a.kind == STUDENT else _parents(a, b)


def _students(a: Person, b: Person) -> Verdict | None:
    same_ine = bool(a.ine_key) and a.ine_key == b.ine_key
    same_name = bool(a.full) and a.full == b.full
    same_birth = bool(a.birth) and a.birth == b.birth
    same = tuple(f for f, alike in (("ine", same_ine), ("name", same_name), ("birth", same_birth),
                                    ("uai", bool(set(a.uais) & set(b.uais)))) if alike)
    if same_ine:
        said = ["même INE", "même nom" if same_name else "noms différents",
                "même date de naissance" if same_birth else "dates de naissance différentes"]
        return Verdict(DUPLICATE, 100 if same_name and same_birth else 90 if same_name or same_birth else 80,
                       tuple(said) + (_where(a, b),), same)
    if same_name and same_birth:
        if a.ine_key and b.ine_key and a.ine_valid and b.ine_valid:
            # two INEs that both check are two pupils the registry numbered apart: never one person
            return Verdict(SIBLINGS, 0, ("même nom et même date de naissance, mais deux INE valides différents : "
                                         "deux élèves distincts",), same)
        said, score = [f"même nom et même date de naissance, {_where(a, b)}"], 75
        if not a.ine_key or not b.ine_key:
            said.append("un élève sans INE" if a.ine_key or b.ine_key else "aucun des deux n'a d'INE")
            score += 10 if a.ine_key or b.ine_key else 5
        else:
            wrong = [p.ine_key for p in (a, b) if not p.ine_valid]
            said.append(f"INE {' et '.join(wrong)} invalide (clé de contrôle fausse)")
            score += 5
        return Verdict(DUPLICATE, score, tuple(said), same)
    if a.family and a.family == b.family and same_birth and a.given != b.given and "uai" in same:
        # twins share a surname, a birth date and their parents, never a given name
        return Verdict(SIBLINGS, 0, ("même nom de famille et même date de naissance, prénoms différents : "
                                     "jumeaux probables",), same)
    return None


def _parents(a: Person, b: Person) -> Verdict | None:
    if not a.full or a.full != b.full:
        return None
    mails = {m.lower() for m in a.mails if m} & {m.lower() for m in b.mails if m}
    phones = {phone_key(p) for p in a.phones} & {phone_key(p) for p in b.phones} - {""}
    children = set(a.children) & set(b.children)
    evidence = [(90, "même nom et même enfant", children, "children"), (85, "même nom et même adresse mail", mails, "mail"),
                (80, "même nom et même téléphone", phones, "phone")]
    held = [(score, said, field) for score, said, shared, field in evidence if shared]
    if not held:
        return None
    score = min(99, held[0][0] + 5 * (len(held) - 1))
    return Verdict(DUPLICATE, score, tuple(said for _, said, _ in held), ("name",) + tuple(f for _, _, f in held))


def keeper(a: Person, b: Person) -> Person:
    """The account that stays by default: the one « Activé » (the person uses it), else the one with an
    identifier (its letter may be in a schoolbag), else the older one."""
    for wanted in (lambda p: p.state == "ACTIVE", lambda p: bool(p.identifier)):
        chosen = [p for p in (a, b) if wanted(p)]
        if len(chosen) == 1:
            return chosen[0]
    return min((a, b), key=lambda p: (p.created or "99999999999999Z", p.account_id))
