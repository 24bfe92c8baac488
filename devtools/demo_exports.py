"""The demo's registry exports « for next school year » (rentrée 2027), generated from the demo directory's
own seed: new 6e students, leavers (the whole 3e of the collège: the brake), a move from the lycée to the
LP, a renamed student, a changed class, new parents; and a set of files with one of each conflict. Each
comes with what its preview must count (`expected`)."""
from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree as XMLWriter    # writing only: every file read goes through defusedxml

from directory import attributes as A
from directory.registry.files import OWN_HEADER

from .demo import CLG, LP, LYC, SCHOOLS, build_demo, new_ine

SEED = 2027
YEAR = "2027"
FOLDER = Path("demo") / "alimentation"
NEXT_YEAR, CONFLICTS = "rentree-2027", "conflits"
_FIRSTS = ("Léonie", "Ambroise", "Maïwenn", "Ilyan", "Soën", "Joséphine", "Nahil", "Éléonore", "Kaïs", "Anouk")
_SURNAMES = ("Le Floch", "Benyahia", "Nguyen-Van", "D'Almeida", "Ollivier", "Sørensen", "Barré", "Ouédraogo")


@dataclass
class ExportStudent:
    eleve_id: str
    ine: str
    surname: str
    given_name: str
    born: date
    class_code: str
    mef: str
    dn: str = ""
    left_on: date | None = None
    born_text: str = ""          # as the file writes it, when it is not a real date
    state: str = ""


@dataclass
class ExportParent:
    person_id: str
    surname: str
    given_name: str
    mail: str
    children: list = field(default_factory=list)     # ELEVE_IDs
    dn: str = ""                                      # an existing guardian's, or ''
    legal: str = "1"


@dataclass
class Exports:
    files: dict[str, bytes]                           # relative path → content
    expected: dict                                    # what the preview of these files counts


def _first(entry, name, default=""):
    values = entry.attributes.get(name) or [default]
    return values[0]


def _birth(value: str) -> date:
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


class _Generator:
    def __init__(self):
        data = build_demo("dc=demo", hash_password=lambda p: "x", seal=lambda p, i: b"x")
        self.rng = random.Random(SEED)
        self.students: dict[str, list[ExportStudent]] = {CLG: [], LP: [], LYC: []}
        self.guardians = []
        number = 100000
        self.ines = set()
        for entry in data.entries:
            if f",{A.STUDENTS}," in entry.dn and A.INE in entry.attributes:
                number += 1
                student = ExportStudent(str(number), _first(entry, A.INE), _first(entry, A.SURNAME),
                                   _first(entry, A.GIVEN_NAME), _birth(_first(entry, A.BIRTH_DATE)),
                                   _first(entry, A.CLASS_CODE), _first(entry, A.MEF_CODE), entry.dn,
                                   state=_first(entry, A.ACCOUNT_STATE) + ("-expired" if A.PWD_CHANGED_TIME in
                                                                            entry.attributes else ""))
                self.students[_first(entry, A.UAI)].append(student)
                self.ines.add(student.ine)
            elif f",{A.GUARDIANS}," in entry.dn and _first(entry, A.ACCOUNT_ORIGIN) != "MANUAL":
                self.guardians.append(entry)        # (a parent created by hand is none of the registry's)
        self.next_id = number + 1
        self.mef_labels = {level.mef: level.mef_label for school in SCHOOLS for level in school.levels}

    def ine(self) -> str:
        return new_ine(self.rng, self.ines, "ABCDEFGHJK")

    def newcomer(self, uai: str, class_code: str, mef: str, born_year: int) -> ExportStudent:
        self.next_id += 1
        return ExportStudent(str(self.next_id), self.ine(), self.rng.choice(_SURNAMES), self.rng.choice(_FIRSTS),
                        date(born_year, 1, 1) + timedelta(days=self.rng.randrange(365)), class_code, mef)

    def build(self) -> Exports:
        rng, expected = self.rng, {"students": {}, "parents": {}}
        by_dn = {s.dn: s for uai in self.students for s in self.students[uai]}
        steady = {uai: [s for s in found if "-" not in s.surname and "'" not in s.surname]
                  for uai, found in self.students.items()}
        clg, lp, lyc = (list(self.students[u]) for u in (CLG, LP, LYC))
        # the collège: the 3e leave, new 6e arrive, one renamed, one changes class
        leaving_clg = [s for s in clg if s.mef == "10310019110"]
        clg = [s for s in clg if s.mef != "10310019110"]
        renamed = rng.choice([s for s in steady[CLG] if s.mef != "10310019110"])
        renamed.surname = f"{renamed.surname}-Lemoine"
        moved_class = rng.choice([s for s in steady[CLG] if s.class_code == "5A" and s is not renamed])
        moved_class.class_code = "5B"
        new_clg = [self.newcomer(CLG, f"6{'ABCDE'[i % 5]}", "10010012110", 2016) for i in range(40)]
        # the lycée → the LP: one student moves, keeping their account
        # the mover and one leaver have a provisional password: it must still sign in afterwards
        mover = rng.choice([s for s in steady[LYC] if s.mef == "20010018110" and s.state == "NOTIFIED"])
        lyc.remove(mover)
        mover.class_code, mover.mef = "2AGORA", "24734001310"
        lp.append(mover)
        leaving_lp = rng.sample([s for s in lp if s is not mover and s.state == "NOTIFIED"], 1) + \
            rng.sample([s for s in lp if s is not mover and s.state != "NOTIFIED"], 4)
        lp = [s for s in lp if s not in leaving_lp]
        new_lp = [self.newcomer(LP, rng.choice(("2AGORA", "2LOG")), "24734001310", 2012) for _ in range(10)]
        leaving_lyc = rng.sample(lyc, 8)
        lyc = [s for s in lyc if s not in leaving_lyc]
        dated = rng.choice(lyc)
        dated.left_on = date(2027, 7, 4)
        new_lyc = [self.newcomer(LYC, f"2{rng.randint(1, 14):02d}", "20010018110", 2012) for _ in range(20)]
        files_students = {CLG: clg + new_clg, LP: lp + new_lp, LYC: lyc + new_lyc}
        expected["students"] = {
            CLG: {"create": 40, "update": 2, "move-in": 0, "leave": len(leaving_clg),
                  "unchanged": len(clg) - 2, "conflict": 0},
            LP: {"create": 10, "update": 0, "move-in": 1, "leave": 5, "unchanged": len(lp) - 1, "conflict": 0},
            LYC: {"create": 20, "update": 0, "move-in": 0, "leave": 9, "unchanged": len(lyc) - 1, "conflict": 0},
        }
        if dated.left_on > date.today():     # a DATE_SORTIE still to come: a departure planned, not made
            expected["students"][LYC].update(update=1, leave=8)
        expected["brake"] = [CLG]
        expected["mover"] = {"ine": mover.ine, "dn": mover.dn, "from": LYC, "to": LP}
        expected["leaver"] = {"ine": leaving_lp[0].ine, "dn": leaving_lp[0].dn, "from": LP}
        expected["renamed"] = {"dn": renamed.dn, "surname": renamed.surname}
        # parents: every demo guardian of a student still listed, plus one new parent per newcomer; one
        # newcomer of the collège is the little sister of a lycée student: her parent stays one account
        # found by name and e-mail (the export names only the new child): all her parents have a mail
        with_mail = {}
        for guardian in self.guardians:
            for child in guardian.attributes.get(A.CHILD) or ():
                with_mail.setdefault(child, []).append(bool(_first(guardian, A.MAIL, "")))
        sibling_of = rng.choice([s for s in lyc if s.left_on is None and with_mail.get(s.dn) and all(with_mail[s.dn])])
        listed = {uai: {s.dn: s for s in found if s.dn} for uai, found in files_students.items()}
        parents: dict[str, list[ExportParent]] = {CLG: [], LP: [], LYC: []}
        changed, unchanged, person = 0, 0, 500000
        for guardian in self.guardians:
            children = list(guardian.attributes.get(A.CHILD) or [])
            uais = set(guardian.attributes.get(A.UAI) or [])
            appears, new_uais = False, set()
            for uai in (CLG, LP, LYC):
                here = [listed[uai][c].eleve_id for c in children if c in listed[uai]]
                if sibling_of.dn in children and uai == CLG:
                    here.append(new_clg[0].eleve_id)
                if here:
                    appears = True
                    person += 1
                    parents[uai].append(ExportParent(str(person), _first(guardian, A.SURNAME), _first(guardian, A.GIVEN_NAME),
                                                _first(guardian, A.MAIL, ""), here, guardian.dn))
                    if uai not in uais:
                        new_uais.add(uai)
            if appears:
                gains_child = sibling_of.dn in children
                if new_uais or gains_child:
                    changed += 1
                else:
                    unchanged += 1
        created = 0
        for uai, newcomers in ((CLG, new_clg[1:]), (CLG, new_clg[:0]), (LP, new_lp), (LYC, new_lyc)):
            for student in newcomers:
                person += 1
                given = rng.choice(("Sandrine", "Karim", "Aïssatou", "Jérôme", "Hélène", "Mehdi"))
                parents[uai].append(ExportParent(str(person), student.surname, given,
                                            f"{given.lower()}.{person}@example.net".encode("ascii", "ignore").decode(),
                                            [student.eleve_id]))
                created += 1
        # a grandmother listed as another contact (RESP_LEGAL 0): never an account
        person += 1
        parents[LP].append(ExportParent(str(person), "Barré", "Odette", "", [lp[0].eleve_id], legal="0"))
        expected["parents"] = {"create": created, "update": changed, "unchanged": unchanged, "conflict": 0}
        expected["sibling"] = {"parent_of": sibling_of.dn, "child_ine": new_clg[0].ine}
        files = {
            f"{NEXT_YEAR}/ExportXML_ElevesSansAdresses_{CLG}.zip": _zipped("ElevesSansAdresses.xml",
                                                                       students_xml(CLG, files_students[CLG])),
            f"{NEXT_YEAR}/ResponsablesSansAdresses_{CLG}.xml": parents_xml(CLG, parents[CLG]),
            f"{NEXT_YEAR}/Nomenclature_{CLG}.xml": _nomenclature_xml(CLG, self.mef_labels),
            f"{NEXT_YEAR}/ElevesSansAdresses_{LP}.xml": students_xml(LP, files_students[LP]),
            f"{NEXT_YEAR}/ResponsablesSansAdresses_{LP}.xml": parents_xml(LP, parents[LP]),
            f"{NEXT_YEAR}/ElevesSansAdresses_{LYC}.xml": students_xml(LYC, files_students[LYC]),
            f"{NEXT_YEAR}/ResponsablesSansAdresses_{LYC}.xml": parents_xml(LYC, parents[LYC]),
        }
        conflicts, conflict_expected = self.conflicts(files_students[CLG], parents[CLG], by_dn)
        files.update(conflicts)
        return Exports(files, {"next_year": expected, "conflicts": conflict_expected})

    def conflicts(self, clg: list[ExportStudent], clg_parents: list[ExportParent], by_dn) -> tuple[dict, dict]:
        """The collège's export again, with one row of each conflict, and a CSV of Sésame's with bad UAIs."""
        rng = self.rng
        rows = [s for s in clg]
        twin_ine = self.ine()
        rows += [ExportStudent("900001", twin_ine, "Durand", "Maëlle", date(2016, 3, 2), "6A", "10010012110"),
                 ExportStudent("900002", twin_ine, "Durand", "Maëlle", date(2016, 3, 2), "6B", "10010012110")]
        wrong_birth = next(s for s in rows if s.dn and s.mef == "10110001110" and "-" not in s.surname
                           and s.class_code != "5B")
        index = rows.index(wrong_birth)
        rows[index] = ExportStudent(wrong_birth.eleve_id, wrong_birth.ine, wrong_birth.surname, wrong_birth.given_name,
                               wrong_birth.born + timedelta(days=1), wrong_birth.class_code, wrong_birth.mef)
        rows.append(ExportStudent("900003", "", "Sans-Ine", "Tom", date(2016, 5, 5), "6C", "10010012110"))
        namesake = rng.choice(self.students[LYC])
        typed = self.ine()      # a real INE typed wrong: its key letter no longer checks (a probable duplicate)
        typed = typed[:10] + ("B" if typed[10] == "A" else "A")
        rows.append(ExportStudent("900004", typed, namesake.surname, namesake.given_name, namesake.born, "6D",
                             "10010012110"))
        rows.append(ExportStudent("900005", self.ine(), "Datefausse", "Lina", date(2016, 2, 1), "6E", "10010012110",
                             born_text="31/02/2016"))
        parents = list(clg_parents) + [ExportParent("999999", "Inconnu", "Paul", "", ["123456789"])]
        csv_rows = ["\ufeff" + ";".join(OWN_HEADER),
                    "0990009A;1234567890A;Martin;Léo;01/09/2012;2AGORA;2nde AGORA;24734001310;2NDPRO",
                    "0990999Y;1234567891B;Petit;Ana;02/09/2012;2AGORA;2nde AGORA;24734001310;2NDPRO",
                    f"{LP};1234567892C;=HYPERLINK(\"http://example.org\");Max;03/09/2012;2LOG;2nde Logistique;24734001310;2NDPRO"]
        clg_xml = students_xml(CLG, rows)
        files = {
            f"{CONFLICTS}/ElevesSansAdresses_{CLG}.xml": clg_xml,
            f"{CONFLICTS}/ResponsablesSansAdresses_{CLG}.xml": parents_xml(CLG, parents),
            f"{CONFLICTS}/autres-sources.csv": ("\r\n".join(csv_rows) + "\r\n").encode("utf-8"),
        }
        # same INE twice (2), another birth date (1), no INE (1), probable duplicate (1), invalid date (1)
        # and the parents whose only child here is the one with another birth date wait with her
        waiting = sum(1 for p in clg_parents if p.children == [wrong_birth.eleve_id])
        return files, {"students": {CLG: 6, "": 2, LP: 1}, "parents": 1 + waiting}


def _element(parent, tag, text=None, **attributes):
    found = XMLWriter.SubElement(parent, tag, attributes)
    if text is not None:
        found.text = text
    return found


def _document(root) -> bytes:
    out = io.BytesIO()
    XMLWriter.ElementTree(root).write(out, encoding="ISO-8859-15", xml_declaration=True)
    return out.getvalue()


def _parameters(root, uai: str) -> None:
    parameters = _element(root, "PARAMETRES")
    _element(parameters, "UAJ", uai)
    _element(parameters, "ANNEE_SCOLAIRE", YEAR)


def _export(tag: str, uai: str):
    """A SIECLE export's root, its PARAMETRES filled, and its DONNEES."""
    root = XMLWriter.Element(tag, VERSION="3.0")
    _parameters(root, uai)
    return root, _element(root, "DONNEES")


def students_xml(uai: str, students: list[ExportStudent]) -> bytes:
    root, data = _export("BEE_ELEVES", uai)
    eleves = _element(data, "ELEVES")
    for student in students:
        eleve = _element(eleves, "ELEVE", ELEVE_ID=student.eleve_id)
        if student.ine:
            _element(eleve, "ID_NATIONAL", student.ine)
        _element(eleve, "NOM_DE_FAMILLE", student.surname)
        _element(eleve, "PRENOM", student.given_name)
        _element(eleve, "DATE_NAISS", student.born_text or f"{student.born:%d/%m/%Y}")
        _element(eleve, "CODE_MEF", student.mef)
        if student.left_on:
            _element(eleve, "DATE_SORTIE", f"{student.left_on:%d/%m/%Y}")
    structures = _element(data, "STRUCTURES")
    for student in students:
        of = _element(structures, "STRUCTURES_ELEVE", ELEVE_ID=student.eleve_id)
        structure = _element(of, "STRUCTURE")
        _element(structure, "CODE_STRUCTURE", student.class_code)
        _element(structure, "TYPE_STRUCTURE", "D")
    return _document(root)


def parents_xml(uai: str, parents: list[ExportParent]) -> bytes:
    root, data = _export("BEE_RESPONSABLES", uai)
    people = _element(data, "PERSONNES")
    for parent in parents:
        person = _element(people, "PERSONNE", PERSONNE_ID=parent.person_id)
        _element(person, "NOM_DE_FAMILLE", parent.surname)
        _element(person, "PRENOM", parent.given_name)
        if parent.mail:
            _element(person, "MEL", parent.mail)
    links = _element(data, "RESPONSABLES")
    for parent in parents:
        for child in parent.children:
            link = _element(links, "RESPONSABLE_ELEVE")
            _element(link, "ELEVE_ID", child)
            _element(link, "PERSONNE_ID", parent.person_id)
            _element(link, "RESP_LEGAL", parent.legal)
    return _document(root)


def _nomenclature_xml(uai: str, labels: dict[str, str]) -> bytes:
    root = XMLWriter.Element("BEE_NOMENCLATURES", VERSION="3.0")
    _parameters(root, uai)
    mefs = _element(_element(root, "DONNEES"), "MEFS")
    for code, label in sorted(labels.items()):
        mef = _element(mefs, "MEF", CODE_MEF=code)
        _element(mef, "CODE_MEF", code)
        _element(mef, "LIBELLE_LONG", label)
    return _document(root)


def _zipped(name: str, content: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name, date_time=(2027, 9, 1, 8, 0, 0))   # fixed: the same bytes every time
        archive.writestr(info, content, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def demo_exports() -> Exports:
    return _Generator().build()


def write_demo_exports(root: Path) -> list[Path]:
    written = []
    for relative, content in demo_exports().files.items():
        path = root / FOLDER / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        written.append(path)
    return written
