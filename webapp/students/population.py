"""The populations the account screens serve: the establishment's own students, the « Élèves
extérieurs » who follow a shared course there (guide §4), and the « Responsables » (parents) of its
students, with what differs between them."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request


@dataclass(frozen=True)
class Population:
    name: str          # blueprint, selection and job population
    prefix: str        # URL
    external: bool
    title: str
    guardians: bool = False
    noun: str = "élève(s)"


STUDENTS = Population("students", "/eleves", False, "Gestion des comptes élèves")
EXTERNAL = Population("external", "/eleves-exterieurs", True, "Gestion des comptes élèves extérieurs")
GUARDIANS = Population("guardians", "/responsables", False, "Gestion des comptes responsables", True,
                       "responsable(s)")
BY_NAME = {p.name: p for p in (STUDENTS, EXTERNAL, GUARDIANS)}


def current() -> Population:
    return BY_NAME.get(request.blueprint or "", STUDENTS)


def ep(view: str) -> str:
    """The endpoint of `view` for the population of the page being answered."""
    return f"{current().name}.{view}"


def of_job(name: str) -> Population:
    return BY_NAME.get(name, STUDENTS)
