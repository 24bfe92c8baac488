"""Registry files as the registries write them (SIECLE's XML exports, ONDE's CSV extractions), built by the tests
from the public formats and the directory's own students — never from Sésame's demo generator."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from xml.sax.saxutils import escape, quoteattr

import ldap3

from directory import attributes as A


@dataclass(frozen=True)
class Pupil:
    """A registry row: the student as the registry names them."""
    ine: str
    surname: str
    given_name: str
    born: date
    class_code: str = ""
    mef: str = ""
    left_on: date | None = None
    level: str = ""

    def moved(self, **changes) -> "Pupil":
        return replace(self, **changes)


def students_of(directory, uai: str) -> list[Pupil]:
    """Every student of the establishment now, as its registry would list them."""
    found = directory.search(directory.base(A.STUDENTS), f"({A.UAI}={uai})",
                             [A.INE, A.SURNAME, A.GIVEN_NAME, A.BIRTH_DATE, A.CLASS_CODE, A.MEF_CODE], ldap3.LEVEL)
    pupils = []
    for _, entry in found:
        one = lambda name: (entry.get(name) or [""])[0]   # noqa: E731
        born = one(A.BIRTH_DATE)
        if not one(A.INE) or not born:
            continue
        pupils.append(Pupil(one(A.INE), one(A.SURNAME), one(A.GIVEN_NAME),
                            date(int(born[:4]), int(born[4:6]), int(born[6:8])), one(A.CLASS_CODE), one(A.MEF_CODE)))
    return sorted(pupils, key=lambda p: p.ine)


def _parameters(uai: str, year: int, exported: str) -> str:
    return (f"<PARAMETRES><UAJ>{uai}</UAJ><ANNEE_SCOLAIRE>{year}</ANNEE_SCOLAIRE>"
            f"<DATE_EXPORT>{exported[:10]}</DATE_EXPORT><HORODATAGE>{exported}</HORODATAGE></PARAMETRES>")


def _xml(root: str, body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="ISO-8859-15"?>\n<{root} VERSION="3.1">{body}</{root}>\n'
            ).encode("iso-8859-15", "xmlcharrefreplace")     # as an XML writer does beyond Latin-9


def siecle_students(uai: str, pupils: list[Pupil], year: int = 2026, exported: str = "01/09/2026 08:15:00") -> bytes:
    """SIECLE's students' export (ElevesSansAdresses.xml): ELEVES, then each one's division in STRUCTURES."""
    eleves, structures = [], []
    for number, pupil in enumerate(pupils, start=1):
        left = f"<DATE_SORTIE>{pupil.left_on:%d/%m/%Y}</DATE_SORTIE>" if pupil.left_on else ""
        eleves.append(f'<ELEVE ELEVE_ID="{number}"><ID_NATIONAL>{pupil.ine}</ID_NATIONAL>'
                      f"<NOM_DE_FAMILLE>{escape(pupil.surname)}</NOM_DE_FAMILLE><PRENOM>{escape(pupil.given_name)}</PRENOM>"
                      f"<DATE_NAISS>{pupil.born:%d/%m/%Y}</DATE_NAISS><CODE_SEXE>1</CODE_SEXE>"
                      f"<CODE_MEF>{pupil.mef}</CODE_MEF><CODE_STATUT>ST</CODE_STATUT>{left}</ELEVE>")
        structures.append(f'<STRUCTURES_ELEVE ELEVE_ID="{number}"><STRUCTURE><CODE_STRUCTURE>{escape(pupil.class_code)}'
                          f"</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>")
    return _xml("BEE_ELEVES", _parameters(uai, year, exported) +
                f"<DONNEES><ELEVES>{''.join(eleves)}</ELEVES><STRUCTURES>{''.join(structures)}</STRUCTURES></DONNEES>")


def siecle_structures(uai: str, divisions: dict[str, str], year: int = 2026,
                      exported: str = "01/09/2026 08:15:00") -> bytes:
    """SIECLE's structures' export (Structures.xml): each division with its label."""
    body = "".join(f"<DIVISION CODE_STRUCTURE={quoteattr(code)}><LIBELLE_LONG>{escape(label)}</LIBELLE_LONG></DIVISION>"
                   for code, label in divisions.items())
    return _xml("BEE_STRUCTURES", _parameters(uai, year, exported) + f"<DONNEES><DIVISIONS>{body}</DIVISIONS></DONNEES>")


def siecle_nomenclature(uai: str, mefs: dict[str, str], year: int = 2026) -> bytes:
    """SIECLE's nomenclature (Nomenclature.xml): the MEF codes' labels."""
    body = "".join(f"<MEF CODE_MEF={quoteattr(code)}><FORMATION>{escape(label[:20])}</FORMATION>"
                   f"<LIBELLE_LONG>{escape(label)}</LIBELLE_LONG></MEF>" for code, label in mefs.items())
    return _xml("BEE_NOMENCLATURES", _parameters(uai, year, "01/09/2026 08:15:00") +
                f"<DONNEES><MEFS>{body}</MEFS></DONNEES>")


ONDE_PUPILS = ("Nom élève;Nom d'usage élève;Prénom élève;Date naissance;Sexe;INE;Adresse1;Cp1;Commune1;Pays1;"
               " Cycle;Niveau;Libellé classe;Identifiant classe")
ONDE_PARENTS = ("Civilité Responsable;Nom usage responsable;Nom responsable;Prénom responsable;Adresse responsable;"
                "CP responsable;Commune responsable;Pays;Courriel;Téléphone domicile;Téléphone travail;"
                "Téléphone portable" + ";Nom d'usage enfant;Nom de famille enfant;Prénom enfant;Classes enfants" * 3)


def onde_pupils(pupils: list[Pupil]) -> bytes:
    """ONDE's pupils' extraction (CSVExtraction.csv, Windows-1252, `;`): a level, a class label, no MEF."""
    lines = [ONDE_PUPILS] + [";".join([p.surname.upper(), "", p.given_name, f"{p.born:%d/%m/%Y}", "M", p.ine,
                                       "1 rue de l'École", "99000", "Sésame", "FRANCE", "CYCLE II", p.level,
                                       p.class_code, str(4000 + n)]) for n, p in enumerate(pupils)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def onde_parents(parents: list[tuple[str, str, str, list[Pupil]]]) -> bytes:
    """ONDE's parents' extraction: a row per parent (surname, given name, mail) with up to three children,
    named by name and classes."""
    lines = [ONDE_PARENTS]
    for surname, given, mail, children in parents:
        cells = ["Mme", "", surname.upper(), given, "1 rue de l'École", "99000", "Sésame", "FRANCE", mail, "", "", ""]
        for child in (children + [None] * 3)[:3]:
            cells += ["", child.surname.upper(), child.given_name, child.class_code] if child else ["", "", "", ""]
        lines.append(";".join(cells))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")
