"""The populations the account screens serve, as they are shown: the establishment's own students,
the « Élèves extérieurs » who follow a shared course there (guide §4), and the « Responsables »
(parents) of its students. Which accounts each one is belongs to `directory.populations`; how it is
shown (title, nouns, columns by role, the cells of its rows, its list, the reference data its
criteria offer) is here, and every view, template and job asks the population instead of a flag."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import request

from directory import populations as directory_populations
from directory.model import LEVELS, Mef, Role
from directory.search import AccountSort

from ..documents.lists import GUARDIAN_LIST, STUDENT_LIST, ListLayout
from ..extensions import directory
from ..rights import Right, may

HEAD_COLUMNS = [(AccountSort.NAME, "Élève"), (AccountSort.CLASS, "Classe"), (AccountSort.MEF, "MEF"),
                (AccountSort.IDENTIFIER, "Identifiant"), (AccountSort.STATE, "Statut du compte"),
                (AccountSort.ORIGIN, "Origine du compte"), (AccountSort.NOTIFIED, "Date de notification"),
                (AccountSort.LAST_LOGIN, "Date de dernière connexion")]
# the dépannage table (SPEC §6): the provisional password and the e-mail instead of origin and dates
SUPPORT_COLUMNS = [(AccountSort.NAME, "Élève"), (AccountSort.CLASS, "Classe"), (AccountSort.MEF, "MEF"),
                   (AccountSort.IDENTIFIER, "Identifiant"), (None, "Mot de passe"),
                   (AccountSort.STATE, "Statut du compte"), (None, "Email")]
# external students: their establishment of attachment instead of a class of ours
EXTERNAL_COLUMNS = [(AccountSort.NAME, "Élève"), (AccountSort.MEF, "MEF"), (None, "Établissement de rattachement"),
                    (AccountSort.IDENTIFIER, "Identifiant"), (AccountSort.STATE, "Statut du compte"),
                    (AccountSort.ORIGIN, "Origine du compte"), (AccountSort.NOTIFIED, "Date de notification"),
                    (AccountSort.LAST_LOGIN, "Date de dernière connexion")]
GUARDIAN_COLUMNS = [(AccountSort.NAME, "Responsable"), (None, "Enfant(s) dans l'établissement"),
                    (AccountSort.IDENTIFIER, "Identifiant"), (AccountSort.STATE, "Statut du compte"),
                    (AccountSort.ORIGIN, "Origine du compte"), (AccountSort.NOTIFIED, "Date de notification"),
                    (AccountSort.LAST_LOGIN, "Date de dernière connexion")]


def _own_reference(uai: str):
    classes = {c.code: c for c in directory.current.classes(uai)}
    if is_primary(uai):        # a primary school's pupils have a level (« Niveau »), not a MEF
        return classes, {code: Mef(uai, code, code) for code in LEVELS}, {}
    mefs = {m.code: m for m in directory.current.mefs(uai)}
    return classes, mefs, {}


def is_primary(uai: str) -> bool:
    found = directory.current.establishments([uai]) if uai else []
    return bool(found) and found[0].primary


def mef_word(uai: str) -> str:
    """What the MEF column and criterion are called: « Niveau » for a primary school."""
    return "Niveau" if is_primary(uai) else "MEF"


def _external_reference(uai: str):
    attachments = {e.uai: e for e in directory.current.establishments(
        directory.current.students.attachments_of_externals(uai))}
    mefs = {m.code: m for a in attachments for m in directory.current.mefs(a)}
    return {}, mefs, attachments


def _guardian_reference(uai: str):
    return {c.code: c for c in directory.current.classes(uai)}, {}, {}


@dataclass(frozen=True)
class Population:
    accounts: directory_populations.Population   # which accounts (the directory's)
    right: Right                                 # who may see and act on it
    prefix: str                                  # URL
    title: str
    caption: str                                 # its tab, and its figures' headings (« Accueil », « Statistiques »)
    head_columns: list
    cells: str                                   # the partial with the cells that differ by population
    listing: ListLayout
    read_reference: Callable                     # uai → (classes, mefs, attachments) by code
    noun: str = "élève(s)"                       # nouns, as the screens say them
    noun_one: str = "élève"
    nouns: str = "élèves"
    noun_apart: str = "élève(s)"                 # where the page does not say which population (« Accueil »)
    in_job_titles: str = ""                      # after a job's title in « Mes opérations »
    troubleshoot_columns: list | None = None     # the dépannage table, for those with that right
    has_profile: bool = False
    filters_by_attachment: bool = False          # criteria: the establishments of attachment

    @property
    def name(self) -> str:          # blueprint, selection and job population
        return self.accounts.name

    @property
    def searches_children(self) -> bool:
        return self.accounts.found_by_children

    @property
    def code(self) -> str:          # in the URLs of other screens (« Statistiques »)
        return self.prefix.strip("/")

    @property
    def search_screen(self) -> str:
        return f"{self.name}.index"

    @property
    def figured(self) -> bool:
        """Counted in the establishment's figures (« Accueil », « Statistiques »)."""
        return self.accounts.figured

    @property
    def searched_by_mef(self) -> bool:
        """Its search has a MEF criterion (a parent's has their children's classes instead)."""
        return not self.searches_children

    def columns(self, role: Role) -> list:
        return self.troubleshoot_columns if self.shows_passwords(role) else self.head_columns

    def shows_passwords(self, role: Role) -> bool:
        """The dépannage table (SPEC §6): provisional passwords and e-mails instead of origin and dates."""
        return self.troubleshoot_columns is not None and may(role, Right.TROUBLESHOOT)


STUDENTS = Population(directory_populations.STUDENTS, Right.SEE_STUDENTS, "/eleves", "Gestion des comptes élèves", "Élèves",
                      HEAD_COLUMNS, "students/partial/cells_students.html", STUDENT_LIST, _own_reference,
                      troubleshoot_columns=SUPPORT_COLUMNS, has_profile=True)
EXTERNAL = Population(directory_populations.EXTERNAL, Right.SEE_EXTERNAL, "/eleves-exterieurs", "Gestion des comptes élèves extérieurs",
                      "Élèves extérieurs", EXTERNAL_COLUMNS, "students/partial/cells_external.html", STUDENT_LIST, _external_reference,
                      filters_by_attachment=True, noun_apart="élève(s) extérieur(s)", in_job_titles=" — élèves extérieurs")
GUARDIANS = Population(directory_populations.GUARDIANS, Right.SEE_GUARDIANS, "/responsables", "Gestion des comptes responsables",
                       "Responsables", GUARDIAN_COLUMNS, "students/partial/cells_guardians.html", GUARDIAN_LIST, _guardian_reference,
                       noun="responsable(s)", noun_one="responsable", nouns="responsables",
                       noun_apart="responsable(s)", in_job_titles=" — responsables")
ALL = (STUDENTS, EXTERNAL, GUARDIANS)
BY_NAME = {p.name: p for p in ALL}
FIGURED = tuple(p for p in ALL if p.figured)


def current() -> Population:
    return BY_NAME.get(request.blueprint or "", STUDENTS)


def ep(view: str) -> str:
    """The endpoint of `view` for the population of the page being answered."""
    return f"{current().name}.{view}"


def of_job(name: str) -> Population:
    return BY_NAME.get(name, STUDENTS)
