"""The two populations the « Élèves » screens serve: the establishment's own students, and the
« Élèves extérieurs » who follow a shared course there (guide §4), with what differs between them."""
from __future__ import annotations

from dataclasses import dataclass

from flask import request


@dataclass(frozen=True)
class Population:
    name: str          # blueprint, selection and job population
    prefix: str        # URL
    external: bool
    title: str


STUDENTS = Population("students", "/eleves", False, "Gestion des comptes élèves")
EXTERNAL = Population("external", "/eleves-exterieurs", True, "Gestion des comptes élèves extérieurs")
BY_NAME = {p.name: p for p in (STUDENTS, EXTERNAL)}


def current() -> Population:
    return BY_NAME.get(request.blueprint or "", STUDENTS)


def ep(view: str) -> str:
    """The endpoint of `view` for the population of the page being answered."""
    return f"{current().name}.{view}"


def of_job(name: str) -> Population:
    return BY_NAME.get(name, STUDENTS)
