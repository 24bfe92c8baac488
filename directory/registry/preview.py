"""The preview of an import: every registry row sorted against the directory (create, update, moving in,
leaving, unchanged, conflict) with what would change, and the plan the apply follows, conditional on what
was read here."""
from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime

import ldap3

from .. import attributes as A
from ..audit import PARIS
from ..escaping import all_of, any_of, dn, equals
from ..mapping import account_id_of, first, parse_time
from ..model import AccountOrigin, AccountState
from ..duplicates.rules import DUPLICATE, SIBLINGS, STUDENT as A_STUDENT, Person, judge
from ..names import fold, search_keys, sort_name
from . import structures
from .files import FileRefused
from .leavers import day_value, leaver_changes
from .rows import ParentRow, RegistryFile, StudentRow

CREATE, UPDATE, MOVE_IN, LEAVE, UNCHANGED, CONFLICT = "create", "update", "move-in", "leave", "unchanged", "conflict"
CATEGORIES = (CREATE, UPDATE, MOVE_IN, LEAVE, UNCHANGED, CONFLICT)
CATEGORY_LABELS = {CREATE: "À créer", UPDATE: "À mettre à jour", MOVE_IN: "Arrivées d'un autre établissement",
                   LEAVE: "Départs", UNCHANGED: "Inchangés", CONFLICT: "Conflits"}
STUDENT, PARENT = "student", "parent"
BRAKE_SHARE = 0.10          # more leavers or moves than this share of an establishment's accounts: on hold
NO_ESTABLISHMENT = ""       # rows whose UAI is invalid or not an establishment of the directory
CHUNK = 200

# the account id is read from the DN (mapping.account_id_of), never decoded a second time
STUDENT_ATTRIBUTES = [A.SURNAME, A.GIVEN_NAME, A.UID, A.UAI, A.INE, A.BIRTH_DATE, A.CLASS_CODE,
                       A.MEF_CODE, A.LEFT_ON, A.LEFT_UAI, A.OBJECT_CLASS, A.ACCOUNT_ORIGIN, A.LEVEL, A.LEAVES_ON]
PLANNED = "Départ prévu"    # the change a DATE_SORTIE still to come makes: a departure on that day
MATCHED, CREATED = "match", "create"     # what the identity team chose for a probable duplicate
GUARDIAN_ATTRIBUTES = [A.SURNAME, A.GIVEN_NAME, A.UID, A.UAI, A.CHILD, A.MAIL]


@dataclass
class PreviewRow:
    key: str                      # the account id it acts on (planned for a creation), or conflict-N
    uai: str
    category: str
    kind: str                     # student or parent
    name: str                     # « NOM Prénom »
    ine: str = ""
    identifier: str = ""
    source: str = ""
    line: int = 0
    changes: list = field(default_factory=list)   # [label, old, new]
    reason: str = ""              # why it is a conflict, or a note on the row
    plan: dict = field(default_factory=dict)      # what the apply writes, and the values it expects

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]


@dataclass
class EstablishmentPreview:
    uai: str
    name: str
    accounts: int                 # its students' accounts now
    rows: list[PreviewRow] = field(default_factory=list)
    whole_school: bool = False
    moving_out: list = field(default_factory=list)   # « NOM Prénom → UAI »: named by another file of the upload
    registry: str = ""            # the format of the files naming it: SIECLE, ONDE (a primary school), Sésame
    school_year: str = ""         # what the file says of itself: « 2027-2028 »
    exported: str = ""            # ISO moment the registry made the file, "" when it does not say
    last_year: str = ""           # the export last applied to it, as the directory keeps it
    last_exported: str = ""
    older: str = ""               # a warning in French when this export is older than that one
    structures: list = field(default_factory=list)   # [kind, code, label, old label or None]: created, relabelled
    emptied: list = field(default_factory=list)      # division codes no student will be in any more

    def count(self, category: str, kind: str = STUDENT) -> int:
        return sum(1 for r in self.rows if r.category == category and r.kind == kind)

    @property
    def leaving(self) -> int:
        return self.count(LEAVE)

    def created(self, kind: str) -> list:
        """(code, label) of the divisions (`division`) or MEFs (`mef`) the import creates."""
        return [(code, label) for k, code, label, old in self.structures if k == kind and old is None]

    @property
    def relabelled(self) -> list:
        """(kind, code, old label, new label) of the divisions and MEFs whose label changes."""
        return [(k, code, old, label) for k, code, label, old in self.structures if old is not None]

    @property
    def planned_departures(self) -> int:
        return sum(1 for r in self.rows if r.kind == STUDENT and any(c[0] == PLANNED and c[2] != "aucun"
                                                                      for c in r.changes))


    @property
    def brake(self) -> str:
        """Why applying waits for a confirmation that names the numbers, or ''."""
        reasons = []
        base = max(self.accounts, 1)
        if self.leaving > BRAKE_SHARE * base:
            reasons.append(f"{self.leaving} départ(s) sur {self.accounts} comptes ({100 * self.leaving / base:.0f} %)")
        moves = self.count(MOVE_IN) + len(self.moving_out)
        if moves > BRAKE_SHARE * base:
            reasons.append(f"{moves} changement(s) d'établissement (arrivées et départs vers un autre) pour "
                           f"{self.accounts} comptes ({100 * moves / base:.0f} %)")
        return " et ".join(reasons)


@dataclass
class Preview:
    establishments: list[EstablishmentPreview]
    files: list[str]
    made_on: str                  # ISO day: the leaving date the apply writes

    def rows(self):
        for establishment in self.establishments:
            yield from establishment.rows

    def to_dict(self) -> dict:
        """For JSON: the fields as they are (dataclasses.asdict deep-copies every value: a second for 6,000 rows)."""
        return {"establishments": [{**vars(e), "rows": [vars(r) for r in e.rows]} for e in self.establishments],
                "files": self.files, "made_on": self.made_on}

    @classmethod
    def from_dict(cls, data: dict) -> "Preview":
        return cls([EstablishmentPreview(**{**e, "rows": [PreviewRow(**r) for r in e["rows"]]})
                    for e in data["establishments"]], data["files"], data["made_on"])

    def establishment(self, uai: str) -> EstablishmentPreview | None:
        return next((e for e in self.establishments if e.uai == uai), None)


# --- reading the directory -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Known:
    """A student account as the preview read it."""
    dn: str
    account_id: str
    surname: str
    given_name: str
    identifier: str
    uai: str
    ine: str
    birth_date: date | None
    class_code: str
    mef_code: str
    left_on: str
    left_uai: str
    leaver_class: bool
    origin: str
    level: str = ""
    leaves_on: str = ""           # a planned departure, as the directory keeps it
    schooling_class: bool = False

    @property
    def name(self) -> str:
        return f"{self.surname.upper()} {self.given_name}"

    @property
    def imported(self) -> bool:
        try:
            return AccountOrigin(self.origin).imported
        except ValueError:
            return False


def _known(entry_dn: str, entry: dict) -> Known:
    born = parse_time(first(entry.get(A.BIRTH_DATE)))
    classes = {str(c).lower() for c in entry.get(A.OBJECT_CLASS) or ()}
    return Known(entry_dn, account_id_of(entry_dn), first(entry.get(A.SURNAME), ""),
                 first(entry.get(A.GIVEN_NAME), ""), first(entry.get(A.UID), "") or "", first(entry.get(A.UAI), "") or "",
                 (first(entry.get(A.INE), "") or "").upper(), born.date() if born else None,
                 first(entry.get(A.CLASS_CODE), "") or "", first(entry.get(A.MEF_CODE), "") or "",
                 str(first(entry.get(A.LEFT_ON), "") or ""), first(entry.get(A.LEFT_UAI), "") or "",
                 A.OC_LEAVER.lower() in classes, first(entry.get(A.ACCOUNT_ORIGIN), "REGISTRY") or "REGISTRY",
                 first(entry.get(A.LEVEL), "") or "", str(first(entry.get(A.LEAVES_ON), "") or ""),
                 A.OC_SCHOOLING.lower() in classes)


def _person_of(known: Known) -> Person:
    """An account as the rules of « Doublons » read it."""
    return Person(A_STUDENT, known.account_id, known.surname, known.given_name,
                  _birth_value(known.birth_date)[:8] if known.birth_date else "", known.ine,
                  (known.uai or known.left_uai,) if known.uai or known.left_uai else (), not known.uai)


def _person(row: StudentRow, uai: str) -> Person:
    return Person(A_STUDENT, "", row.surname, row.given_name, _birth_value(row.birth_date)[:8] if row.birth_date else "",
                  row.ine, (uai,))


def _search_any(directory, branch: str, attribute: str, values, attributes, extra: str | None = None):
    values = sorted(set(v for v in values if v))
    found = []
    for start in range(0, len(values), CHUNK):
        filter_ = all_of(any_of(*(equals(attribute, v) for v in values[start:start + CHUNK])), extra)
        found += directory.search(directory.base(branch), filter_, attributes, ldap3.LEVEL)
    return found


_birth_value = day_value


def _fr(day: date | None) -> str:
    return f"{day:%d/%m/%Y}" if day else ""


def _fr_moment(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(PARIS).strftime("%d/%m/%Y à %H:%M") if iso else ""


def _export_words(year: str, exported: str) -> str:
    said = [f"année {year}" if year else "", f"fait le {_fr_moment(exported)}" if exported else ""]
    return ", ".join(w for w in said if w) or "sans date"


def older_than_last(uai: str, year: str, exported: str, last_year: str, last_exported: str) -> str:
    """A warning in French when a file is older than the export last applied to its establishment (by its
    date when both say one, else by its school year), or ''."""
    if exported and last_exported:
        older = datetime.fromisoformat(exported) < datetime.fromisoformat(last_exported)
    else:
        older = bool(year and last_year) and year < last_year
    if not older:
        return ""
    return (f"Cet export ({_export_words(year, exported)}) est plus ancien que le dernier appliqué à {uai} "
            f"({_export_words(last_year, last_exported)}) : l'appliquer remettrait l'annuaire dans un état passé. "
            f"Vérifiez que c'est bien le fichier voulu.")


# --- the preview -----------------------------------------------------------------------------------------

class _Builder:
    def __init__(self, directory, files: list[RegistryFile], today: date, decisions: dict | None = None):
        self.directory = directory
        self.decisions = decisions or {}        # INE → (MATCHED, account id) or (CREATED,): chosen on a preview
        names: set[str] = set()
        for registry_file in files:          # two uploads of one name stay two files
            base, n = registry_file.name, 1
            while registry_file.name in names:
                n += 1
                registry_file.name = f"{base} ({n})"
            names.add(registry_file.name)
            for row in registry_file.students:
                object.__setattr__(row, "source", registry_file.name)
            for row in registry_file.parents:
                object.__setattr__(row, "source", registry_file.name)
        self.files = files
        self.today = today
        self.establishments = {e.uai: e for e in directory.establishments()}
        self.groups: dict[str, EstablishmentPreview] = {}
        self.conflicts = 0
        self.blocked: set[tuple[str, str]] = set()     # (file, ELEVE_ID) of students in conflict
        self.formats = {f.name: f.format for f in files}
        self.mefs: dict[str, str] = {}                  # MEF code → label (the nomenclature, or the CSV's column)
        self.division_labels: dict[str, dict[str, str]] = {}   # uai → division code → label
        for registry_file in files:
            self.mefs.update(registry_file.mefs)
            for uai in registry_file.uais:
                self.division_labels.setdefault(uai, {}).update(registry_file.classes)
        self.named: dict[str, dict[tuple[str, str], str]] = {}   # uai → (kind, code) → label, from the rows
        self.final_class: dict[str, str] = {}           # account id → its division once the import is applied
        self.creating: set[str] = set()                 # account ids of the students the import creates
        self.students_file: dict[str, str] = {}         # uai → the name of the students' file that names it

    def group(self, uai: str) -> EstablishmentPreview:
        if uai not in self.groups:
            known = self.establishments.get(uai)
            self.groups[uai] = EstablishmentPreview(uai, known.name if known else "UAI invalide ou inconnu", 0)
        return self.groups[uai]

    def conflict(self, uai: str, kind: str, name: str, reason: str, row=None, ine: str = "") -> None:
        self.conflicts += 1
        if isinstance(row, StudentRow):
            self.blocked.add((row.source, row.registry_id))
        self.group(uai).rows.append(PreviewRow(f"conflict-{self.conflicts}", uai, CONFLICT, kind, name, ine or getattr(row, "ine", ""),
                                               source=getattr(row, "source", ""), line=getattr(row, "line", 0),
                                               reason=reason))

    def check_files(self) -> None:
        onde_schools = {u for f in self.files if f.kind == "students" and f.format == "ONDE" for u in f.uais}
        for registry_file in self.files:
            if registry_file.kind == "parents" and registry_file.format == "ONDE" and not registry_file.uais:
                if len(onde_schools) != 1:
                    raise FileRefused(f"« {registry_file.name} » : l'extraction ONDE des responsables ne dit pas son "
                                      f"école ; envoyez-la avec l'extraction des élèves de cette seule école, ou "
                                      f"nommez-la avec l'UAI de l'école (CSVExtraction_responsables_0990004S.csv).")
                registry_file.uais = tuple(onde_schools)
                for row in registry_file.parents:
                    object.__setattr__(row, "uai", registry_file.uais[0])
        seen: dict[tuple[str, str], str] = {}
        for registry_file in self.files:
            if registry_file.kind in ("nomenclature", "structures"):
                continue
            for uai in registry_file.uais:
                if registry_file.format == "SIECLE" and uai not in self.establishments:
                    raise FileRefused(f"« {registry_file.name} » : {uai} n'est pas un établissement de l'annuaire.")
                if registry_file.whole_school or registry_file.kind == "parents":
                    other = seen.get((registry_file.kind, uai))
                    if other:
                        raise FileRefused(f"« {other} » et « {registry_file.name} » concernent tous deux {uai} : "
                                          f"un seul export par établissement dans un même envoi.")
                    seen[(registry_file.kind, uai)] = registry_file.name
        for registry_file in self.files:
            for uai in registry_file.uais if registry_file.kind == "parents" else ():
                if ("students", uai) not in seen:
                    raise FileRefused(f"« {registry_file.name} » : le fichier des responsables de {uai} se lit avec "
                                      f"l'export des élèves du même établissement, dans le même envoi.")

    def build(self) -> Preview:
        self.check_files()
        students = [row for f in self.files if f.kind == "students" for row in f.students]
        whole = {uai for f in self.files if f.kind == "students" and f.whole_school for uai in f.uais}
        for uai in sorted({r.uai for r in students} | whole):
            self.group(uai if uai in self.establishments else NO_ESTABLISHMENT)
        # who is where now
        current: dict[str, list[Known]] = {}
        for uai in sorted(self.groups):
            if uai == NO_ESTABLISHMENT:
                continue
            found = self.directory.search(self.directory.base(A.STUDENTS), equals(A.UAI, uai), STUDENT_ATTRIBUTES,
                                          ldap3.LEVEL)
            current[uai] = [_known(d, e) for d, e in found]
            self.group(uai).accounts = len(current[uai])
            self.group(uai).whole_school = uai in whole
        by_ine = {k.ine: k for accounts in current.values() for k in accounts if k.ine}
        wanted = {r.ine for r in students if r.ine and r.ine not in by_ine}
        for d, e in _search_any(self.directory, A.STUDENTS, A.INE, wanted, STUDENT_ATTRIBUTES):
            known = _known(d, e)
            by_ine.setdefault(known.ine, known)
        counts: dict[str, int] = {}
        for row in students:
            if row.ine:
                counts[row.ine] = counts.get(row.ine, 0) + 1
        planned: dict[tuple[str, str], tuple[str, str]] = {}     # (source, ELEVE_ID) → (account id, DN)
        creations: list[tuple[StudentRow, str]] = []
        placed: set[str] = set()                                  # INEs the upload places somewhere
        for row in students:
            uai = row.uai if row.uai in self.establishments else NO_ESTABLISHMENT
            name = f"{row.surname.upper()} {row.given_name}".strip()
            if row.ine and counts.get(row.ine, 0) > 1:
                placed.add(row.ine)
                self.conflict(uai, STUDENT, name, f"Le même INE figure {counts[row.ine]} fois dans l'envoi.", row)
                continue
            if row.problems:
                if row.ine:
                    placed.add(row.ine)
                self.conflict(uai, STUDENT, name, " ; ".join(row.problems), row)
                continue
            if uai == NO_ESTABLISHMENT:
                self.conflict(uai, STUDENT, name, f"{row.uai} n'est pas un établissement de l'annuaire.", row)
                continue
            known = by_ine.get(row.ine)
            placed.add(row.ine)
            if known is None:
                if row.left_on and row.left_on <= self.today:
                    continue          # left before ever having an account: nothing to do
                creations.append((row, uai))
                continue
            if known.birth_date and row.birth_date and known.birth_date != row.birth_date:
                self.conflict(uai, STUDENT, name, f"L'INE {row.ine} est celui d'un compte ({known.name}) né le "
                                                  f"{_fr(known.birth_date)}, pas le {_fr(row.birth_date)}.", row)
                continue
            planned[(row.source, row.registry_id)] = (known.account_id, known.dn)
            self.match(row, uai, known)
        self.create(creations, planned)
        for uai, accounts in current.items():
            if uai in whole:
                self.leavers(uai, accounts, placed)
        self.parents(self.onde_children([p for f in self.files if f.kind == "parents" for p in f.parents], students),
                     planned)
        self.describe(current)
        for group in self.groups.values():     # what a row that writes nothing kept to be merged is not kept
            for row in group.rows:
                if row.plan.get("op") == "none" and len(row.plan) > 1:
                    row.plan = {"op": "none"}
        ordered = sorted(self.groups.values(), key=lambda g: (g.uai == NO_ESTABLISHMENT, g.uai))
        return Preview(ordered, [f.name for f in self.files], self.today.isoformat())

    def mef_label(self, row: StudentRow) -> str:
        return row.mef_label or self.mefs.get(row.mef_code, "")

    def origin(self, source: str) -> str:
        return AccountOrigin.of_format(self.formats.get(source, "")).value

    def names(self, uai: str, row: StudentRow, class_code: str) -> None:
        """The division and MEF a row puts its student in, with the labels its files give: the structures the
        establishment must have once the import is applied."""
        named = self.named.setdefault(uai, {})
        if class_code:
            label = row.class_label or self.division_labels.get(uai, {}).get(class_code, "")
            named[(structures.DIVISION, class_code)] = label or named.get((structures.DIVISION, class_code), "")
        if row.mef_code:
            named[(structures.MEF, row.mef_code)] = self.mef_label(row) or named.get((structures.MEF, row.mef_code), "")

    # -- the establishment: its divisions and MEFs, its export ---------------------------------------------

    def describe(self, current: dict[str, list[Known]]) -> None:
        """Each establishment's files, the export last applied to it, the divisions and MEFs its rows create or
        relabel, and the divisions no student will be in any more."""
        last_exports = structures.last_exports(self.directory, list(current))
        # what each student row does to the divisions of the establishments it leaves or joins, in row order
        moves: dict[str, list[tuple[str, str | None]]] = {}
        for row in self.rows_of_students():
            left = row.uai if row.category == LEAVE else row.plan.get("from")
            if left and (row.category == LEAVE or row.uai != left):
                moves.setdefault(left, []).append((row.key, None))
            if row.category != LEAVE and row.key in self.final_class:
                moves.setdefault(row.uai, []).append((row.key, self.final_class[row.key]))
        for uai, accounts in current.items():
            group = self.group(uai)
            files = [f for f in self.files if f.kind == "students" and uai in f.uais]
            main = next((f for f in files if f.whole_school), files[0] if files else None)
            if main is not None:
                group.registry, group.school_year = main.format, main.school_year
                group.exported = main.exported.isoformat() if main.exported else ""
            last = last_exports.get(uai, structures.LastExport())
            group.last_year, group.last_exported = last.school_year, last.exported.isoformat() if last.exported else ""
            group.older = older_than_last(uai, group.school_year, group.exported, group.last_year,
                                          group.last_exported)
            divisions, mefs = structures.existing(self.directory, uai)
            for (kind, code), label in sorted(self.named.get(uai, {}).items()):
                have = divisions if kind == structures.DIVISION else mefs
                if code not in have:
                    group.structures.append([kind, code, label, None])
                elif label and label != have[code]:
                    group.structures.append([kind, code, label, have[code]])
            # a division its students all leave is kept, and said so: accounts and the journal still name it
            after = {k.account_id: k.class_code for k in accounts}
            for key, class_code in moves.get(uai, ()):
                if class_code is None:
                    after.pop(key, None)
                else:
                    after[key] = class_code
            before = Counter(k.class_code for k in accounts if k.class_code)
            still = set(after.values())
            group.emptied = sorted(c for c in before if c not in still)

    def rows_of_students(self):
        for group in self.groups.values():
            yield from (r for r in group.rows if r.kind == STUDENT and r.category != CONFLICT)

    # -- students ---------------------------------------------------------------------------------------

    def match(self, row: StudentRow, uai: str, known: Known, taking_ine: bool = False) -> PreviewRow | None:
        """The row applied to the account it names (its INE, or with `taking_ine` the account the identity team
        said it is: the row's INE is then written on it, and the row is returned rather than listed)."""
        name = f"{row.surname.upper()} {row.given_name}"
        if row.left_on and row.left_on <= self.today and not taking_ine:
            if known.uai == uai:
                self.leave(uai, known, row.left_on, f"Date de sortie {_fr(row.left_on)} dans l'export")
            else:
                self.group(uai).rows.append(PreviewRow(known.account_id, uai, UNCHANGED, STUDENT, name, row.ine,
                                                       known.identifier, row.source, row.line,
                                                       reason="Sorti (date de sortie), compte ailleurs : rien à faire",
                                                       plan={"op": "none"}))
            return
        changes, modifications = [], []

        def change(label, attribute, old, new, shown_old=None, shown_new=None):
            if (old or "") == (new or ""):
                return
            changes.append([label, shown_old if shown_old is not None else (old or ""),
                            shown_new if shown_new is not None else (new or "")])
            if old:
                modifications.append([attribute, "delete", [old]])
            if new:
                modifications.append([attribute, "add", [new]])
        if taking_ine:
            change("INE", A.INE, known.ine, row.ine)
        change("Nom", A.SURNAME, known.surname, row.surname)
        change("Prénom", A.GIVEN_NAME, known.given_name, row.given_name)
        if known.surname != row.surname or known.given_name != row.given_name:
            modifications += [[A.CN, "replace", [f"{row.given_name} {row.surname}"]],
                              [A.SEARCH_KEY, "replace", search_keys(row.given_name, row.surname)],
                              [A.SORT_NAME, "replace", [sort_name(row.given_name, row.surname)]]]
        if row.class_code or known.uai != uai:
            change("Classe", A.CLASS_CODE, known.class_code, row.class_code)
        if row.mef_code or known.uai != uai:
            change("MEF", A.MEF_CODE, known.mef_code, row.mef_code)
        if row.level or known.uai != uai:
            change("Niveau", A.LEVEL, known.level, row.level)
        if not known.birth_date and row.birth_date:
            change("Date de naissance", A.BIRTH_DATE, "", _birth_value(row.birth_date), "", _fr(row.birth_date))
        reason = ""
        if self.formats.get(row.source) == "SIECLE":      # only SIECLE says when a student leaves
            planned = _birth_value(row.left_on) if row.left_on else ""
            if planned != known.leaves_on:
                was = parse_time(known.leaves_on)
                change(PLANNED, A.LEAVES_ON, known.leaves_on, planned, _fr(was.date()) if was else "",
                       _fr(row.left_on) if row.left_on else "aucun")
            if row.left_on:
                reason = f"Départ prévu le {_fr(row.left_on)} : l'élève reste dans les listes jusque-là"
        if not known.schooling_class and any(a in (A.LEVEL, A.LEAVES_ON) and o == "add"
                                             for a, o, _ in modifications):
            modifications.append([A.OBJECT_CLASS, "add", [A.OC_SCHOOLING]])
        self.names(uai, row, row.class_code or (known.class_code if known.uai == uai else ""))
        self.final_class[known.account_id] = row.class_code or (known.class_code if known.uai == uai else "")
        category = UPDATE if changes else UNCHANGED
        if known.uai != uai:
            category = MOVE_IN
            came_from = known.uai or (f"{known.left_uai} (parti)" if known.left_uai else "aucun")
            changes.insert(0, ["Établissement", came_from, uai])
            if known.uai:
                modifications.append([A.UAI, "delete", [known.uai]])
                if known.uai in self.groups:
                    self.group(known.uai).moving_out.append(f"{known.name} → {uai}")
            modifications.append([A.UAI, "add", [uai]])
            if known.left_on:
                modifications.append([A.LEFT_ON, "delete", [known.left_on]])
                reason = "; ".join(r for r in ("Compte réactivé : l'élève revient", reason) if r)
            if known.left_uai:
                modifications.append([A.LEFT_UAI, "delete", [known.left_uai]])
        plan = {"op": "modify", "dn": known.dn, "modifications": modifications, "from": known.uai} if modifications \
            else {"op": "none"}
        matched = PreviewRow(known.account_id, uai, category, STUDENT, name, row.ine, known.identifier, row.source,
                             row.line, changes, reason or "; ".join(row.notes), plan)
        if taking_ine:
            return matched
        self.group(uai).rows.append(matched)
        return None

    def create(self, creations, planned) -> None:
        """New accounts; a row that is probably an account already in the directory (same folded name and birth
        date, and the rules of « Doublons » say one person: no INE, or one typed wrong) waits as a conflict that
        offers to match it to that account instead — or to create it all the same (`decisions`, remembered). A
        namesake born the same day with another valid INE is another pupil: the row is created, and said."""
        namesakes: dict[tuple[str, str], list[Known]] = {}
        for d, e in self._namesakes([r for r, _ in creations]):
            known = _known(d, e)
            namesakes.setdefault((sort_name(known.given_name, known.surname), _birth_value(known.birth_date)
                                  if known.birth_date else ""), []).append(known)
        for row, uai in creations:
            name = f"{row.surname.upper()} {row.given_name}"
            found = namesakes.get((sort_name(row.given_name, row.surname), _birth_value(row.birth_date)), [])
            verdicts = [(k, judge(_person(row, uai), _person_of(k))) for k in found]
            duplicates = [(k, v) for k, v in verdicts if v is not None and v.kind == DUPLICATE]
            others = [k for k, v in verdicts if v is not None and v.kind == SIBLINGS]
            decided = self.decisions.get(row.ine)
            if duplicates and decided and decided[0] == MATCHED and any(k.account_id == decided[1] for k, _ in duplicates):
                known = next(k for k, _ in duplicates if k.account_id == decided[1])
                matched = self.match(row, uai, known, taking_ine=True)
                matched.reason = "; ".join(r for r in ("Rattaché au compte existant (choix fait sur un aperçu)",
                                                       matched.reason) if r)
                planned[(row.source, row.registry_id)] = (known.account_id, known.dn)
                self.group(uai).rows.append(matched)
                continue
            if duplicates and not (decided and decided[0] == CREATED):
                self.choose(row, uai, name, duplicates, planned)
                continue
            note = "; ".join([f"Homonyme né le même jour avec un autre INE valide : {k.name} ({k.ine}, "
                              f"{k.uai or 'parti'}) — deux élèves distincts" for k in others]
                             + (["Créé malgré un doublon probable (choix fait sur un aperçu)"] if duplicates else []))
            self.group(uai).rows.append(self._creation(row, uai, name, planned, note))

    def _creation(self, row: StudentRow, uai: str, name: str, planned, note: str = "") -> PreviewRow:
        account_id = secrets.token_hex(16)
        entry_dn = dn(A.ACCOUNT_ID, account_id, self.directory.base(A.STUDENTS))
        values = {A.ACCOUNT_ID: [account_id], A.CN: [f"{row.given_name} {row.surname}"], A.SURNAME: [row.surname],
                  A.GIVEN_NAME: [row.given_name], A.SEARCH_KEY: search_keys(row.given_name, row.surname),
                  A.SORT_NAME: [sort_name(row.given_name, row.surname)], A.UAI: [uai], A.INE: [row.ine],
                  A.BIRTH_DATE: [_birth_value(row.birth_date)],
                  A.ACCOUNT_STATE: [AccountState.NOT_NOTIFIED.value], A.ACCOUNT_ORIGIN: [self.origin(row.source)]}
        object_classes = [A.OC_PERSON, A.OC_ACCOUNT]
        if row.class_code:
            values[A.CLASS_CODE] = [row.class_code]
        if row.mef_code:
            values[A.MEF_CODE] = [row.mef_code]
        if row.level:
            values[A.LEVEL] = [row.level]
        if row.left_on:           # still to come (a past one is not created): a planned departure
            values[A.LEAVES_ON] = [_birth_value(row.left_on)]
        if row.level or row.left_on:
            object_classes.append(A.OC_SCHOOLING)
        changes = [["Classe", "", row.class_code], ["MEF", "", self.mef_label(row) or row.mef_code],
                   ["Niveau", "", row.level], ["Date de naissance", "", _fr(row.birth_date)],
                   [PLANNED, "", _fr(row.left_on)]]
        reason = "; ".join(list(row.notes) + ([f"Départ prévu le {_fr(row.left_on)} : l'élève reste dans les "
                                               f"listes jusque-là"] if row.left_on else []) + ([note] if note else []))
        if planned is not None:
            planned[(row.source, row.registry_id)] = (account_id, entry_dn)
            self.creating.add(account_id)
            self.names(uai, row, row.class_code)
            self.final_class[account_id] = row.class_code
        return PreviewRow(account_id, uai, CREATE, STUDENT, name, row.ine, "", row.source, row.line,
                          [c for c in changes if c[2]], reason,
                          {"op": "create", "dn": entry_dn, "values": values, "ine": row.ine,
                           "object_classes": object_classes})

    def choose(self, row: StudentRow, uai: str, name: str, duplicates, planned) -> None:
        """A probable duplicate: a conflict that offers both ways — matched to the account (its INE written on it),
        or created — until the identity team chooses on the preview."""
        known, verdict = duplicates[0]
        said = "; ".join(f"{k.name}, né le même jour ({k.ine or 'sans INE'}, {k.uai or 'parti'} : "
                         f"{', '.join(v.reasons[1:] or v.reasons)})" for k, v in duplicates)
        self.conflict(uai, STUDENT, name, f"Doublon probable : {said}. Choisissez : le rattacher à ce compte "
                                          f"(son INE y est écrit) ou créer un nouveau compte.", row)
        waiting = self.group(uai).rows[-1]
        leaving = self.group(known.uai).moving_out if known.uai in self.groups else []
        counted = len(leaving)
        matched = self.match(row, uai, known, taking_ine=True)
        del leaving[counted:]       # a move out counts once it is chosen
        created = self._creation(row, uai, name, None)
        waiting.plan = {"op": "choose", "account": known.account_id, "choices": {
            MATCHED: {"key": matched.key, "category": matched.category, "identifier": matched.identifier,
                      "changes": matched.changes, "reason": matched.reason, "plan": matched.plan},
            CREATED: {"key": created.key, "category": created.category, "identifier": "", "changes": created.changes,
                      "reason": created.reason, "plan": created.plan}}}

    def _namesakes(self, rows: list[StudentRow]):
        """The students born the same day as one of `rows` and named alike (their folded names as the search keys
        hold them): each one's name and birth date are the directory's indexed keys, never the whole day's births."""
        terms = set()
        for row in rows:
            if not row.birth_date:
                continue
            key = fold(row.surname) + fold(row.given_name)
            terms.add(all_of(equals(A.BIRTH_DATE, _birth_value(row.birth_date)), equals(A.SEARCH_KEY, key) if key
                             else None))
        terms = sorted(terms)
        for start in range(0, len(terms), CHUNK):
            yield from self.directory.search(self.directory.base(A.STUDENTS), any_of(*terms[start:start + CHUNK]),
                                             STUDENT_ATTRIBUTES, ldap3.LEVEL)

    def leave(self, uai: str, known: Known, on: date, reason: str) -> None:
        modifications = leaver_changes(uai, on, has_leaver_class=known.leaver_class, leaves_on=known.leaves_on)
        self.group(uai).rows.append(PreviewRow(known.account_id, uai, LEAVE, STUDENT, known.name, known.ine,
                                               known.identifier, changes=[["Établissement", uai, f"parti le {_fr(on)}"]],
                                               reason=reason, plan={"op": "modify", "dn": known.dn,
                                                                    "modifications": modifications, "from": uai}))

    def leavers(self, uai: str, accounts: list[Known], placed: set[str]) -> None:
        """A whole-school export: a registry account it does not name has left (hand-made accounts stay)."""
        here = {r.key for r in self.group(uai).rows}
        for known in accounts:
            if known.ine in placed or not known.imported or known.account_id in here:
                continue
            self.leave(uai, known, self.today, "Absent de l'export de l'établissement")

    # -- parents ----------------------------------------------------------------------------------------

    def parents(self, rows: list[ParentRow], planned) -> None:
        if not rows:
            return
        # the parents of the students the directory holds (those this import creates have none yet)
        child_dns = {dn_ for account_id, dn_ in planned.values() if account_id not in self.creating}
        linked: dict[str, list[tuple[str, dict]]] = {}      # a child's DN (lower case) → its guardians read
        folded_names: dict[str, tuple[str, str]] = {}      # a guardian's DN → their folded (surname, given name)
        searched: set[str] = set()                          # children whose guardians were searched by child
        linked_dns: set[str] = set()

        def named(d, e) -> bool:
            """Whether the guardian is read for the first time (their folded name kept)."""
            if d in folded_names:
                return False
            folded_names[d] = (fold(first(e.get(A.SURNAME), "")), fold(first(e.get(A.GIVEN_NAME), "")))
            return True

        def keep(found) -> None:
            for d, e in found:
                if d not in linked_dns:
                    linked_dns.add(d)
                    named(d, e)
                    for child in e.get(A.CHILD) or ():
                        linked.setdefault(child.lower(), []).append((d, e))

        def by_children(dns) -> None:
            wanted = {d for d in dns if d.lower() not in searched}
            searched.update(d.lower() for d in wanted)
            keep(_search_any(self.directory, A.GUARDIANS, A.CHILD, wanted, GUARDIAN_ATTRIBUTES))

        # the guardians attached to the establishments the files name (one indexed search each, what a parent
        # linked there carries); then, by child, the students none of them is linked to (arriving from elsewhere)
        for uai in sorted({p.uai for p in rows if p.uai in self.establishments}):
            keep(self.directory.search(self.directory.base(A.GUARDIANS), equals(A.UAI, uai), GUARDIAN_ATTRIBUTES,
                                       ldap3.LEVEL))
        by_children(d for d in child_dns if d.lower() not in linked)
        mails = {p.mail for p in rows if p.mail}
        by_mail: dict[str, list[tuple[str, dict]]] = {}
        for d, e in _search_any(self.directory, A.GUARDIANS, A.MAIL, mails, GUARDIAN_ATTRIBUTES):
            named(d, e)
            for mail in e.get(A.MAIL) or ():
                by_mail.setdefault(str(mail).lower(), []).append((d, e))
        # a row none of the guardians read matches: its children's guardians searched by child, to be sure (one
        # may be linked to a child here without being attached to the establishment)
        unmatched = []
        for parent in rows:
            found = [planned.get(self._students_source(parent.uai, c)) for c in parent.children]
            dns = [dn_ for account_id, dn_ in (f for f in found if f) if account_id not in self.creating]
            folded = (fold(parent.surname), fold(parent.given_name))
            if not any(folded_names[d] == folded for dn_ in dns for d, _ in linked.get(dn_.lower(), ())):
                unmatched += dns
        by_children(unmatched)
        merged: dict[tuple, PreviewRow] = {}
        for parent in rows:
            name = f"{parent.surname.upper()} {parent.given_name}"
            if parent.problems:
                self.conflict(parent.uai, PARENT, name, " ; ".join(parent.problems), parent)
                continue
            children = [planned.get(self._students_source(parent.uai, c)) for c in parent.children]
            missing = [c for c, found in zip(parent.children, children)
                       if found is None and self._students_source(parent.uai, c) not in self.blocked]
            if not missing and not any(children):
                self.conflict(parent.uai, PARENT, name, "Ses enfants dans cet export sont en conflit : le responsable "
                                                        "attend qu'ils soient corrigés.", parent)
                continue
            children = [c for c in children if c]
            if missing:
                self.conflict(parent.uai, PARENT, name, f"Responsable lié à un élève inconnu de l'export des élèves "
                                                        f"(ELEVE_ID {', '.join(missing)}).", parent)
                continue
            folded = (fold(parent.surname), fold(parent.given_name))
            wanted_dns = [d for _, d in children]
            existing = None
            for child_dn in wanted_dns:
                for d, e in linked.get(child_dn.lower(), []):
                    if folded_names[d] == folded:
                        existing = (d, e)
            if existing is None and parent.mail:
                for d, e in by_mail.get(parent.mail, []):
                    if folded_names[d] == folded:
                        existing = (d, e)
            key = ("dn", existing[0].lower()) if existing else (("mail",) + folded + (parent.mail,) if parent.mail
                                                                 else ("row", parent.uai, parent.person_id))
            if key in merged:
                self._more_children(merged[key], parent.uai, wanted_dns)
                continue
            if existing:
                merged[key] = self._link(parent, name, existing, wanted_dns)
            else:
                merged[key] = self._new_parent(parent, name, wanted_dns)

    def onde_children(self, rows: list[ParentRow], students: list[StudentRow]) -> list[ParentRow]:
        """ONDE names a parent's children by name and classes: each is found among the pupils of the school's
        extraction (the same folded name; the class tells namesakes apart). A child found nowhere, or twice,
        makes the parent a conflict."""
        pupils: dict[tuple[str, str, str], list[StudentRow]] = {}
        for row in students:
            if self.formats.get(row.source) == "ONDE":
                pupils.setdefault((row.uai, fold(row.surname), fold(row.given_name)), []).append(row)
        found = []
        for parent in rows:
            if not parent.children_named:
                found.append(parent)
                continue
            ids, missing = [], []
            for surname, given, classes in parent.children_named:
                candidates = pupils.get((parent.uai, fold(surname), fold(given)), [])
                if len(candidates) > 1:
                    said = fold(classes)
                    candidates = [c for c in candidates if said and any(
                        fold(v) and fold(v) in said for v in (c.class_label, c.class_code, c.level))]
                if len(candidates) == 1:
                    ids.append(candidates[0].registry_id)
                else:
                    missing.append(f"{surname.upper()} {given}" + (" (plusieurs élèves de ce nom)" if candidates else ""))
            if missing:
                self.conflict(parent.uai, PARENT, f"{parent.surname.upper()} {parent.given_name}",
                              f"Enfant introuvable parmi les élèves de l'extraction : {', '.join(missing)}.", parent)
                continue
            found.append(replace(parent, children=tuple(dict.fromkeys(ids))))
        return found

    def _students_source(self, uai: str, registry_id: str):
        if uai not in self.students_file:
            self.students_file[uai] = next((f.name for f in self.files if f.kind == "students" and uai in f.uais), "")
        return (self.students_file[uai], registry_id)

    def _link(self, parent: ParentRow, name: str, existing, child_dns) -> PreviewRow:
        entry_dn, entry = existing
        have = {str(c).lower() for c in entry.get(A.CHILD) or ()}
        uais = [str(u) for u in entry.get(A.UAI) or ()]
        row = PreviewRow(account_id_of(entry_dn), parent.uai, UNCHANGED, PARENT, name,
                         identifier=first(entry.get(A.UID), "") or "", source=parent.source, line=parent.line,
                         plan={"op": "none", "dn": entry_dn, "have": sorted(have), "uais": uais})
        self.group(parent.uai).rows.append(row)
        self._more_children(row, parent.uai, child_dns)
        return row

    def _more_children(self, row: PreviewRow, uai: str, child_dns) -> None:
        if row.plan["op"] == "create":
            values = row.plan["values"]
            values[A.CHILD] = list(dict.fromkeys(values[A.CHILD] + list(child_dns)))
            values[A.UAI] = list(dict.fromkeys(values[A.UAI] + [uai]))
            return
        have, uais = set(row.plan["have"]), row.plan["uais"]
        new_children = [c for c in child_dns if c.lower() not in have]
        modifications = row.plan.get("modifications", [])
        if new_children:
            modifications.append([A.CHILD, "add", new_children])
            row.plan["have"] = sorted(have | {c.lower() for c in new_children})
            row.changes.append(["Enfant(s)", "", f"+ {len(new_children)}"])
        if uai not in uais:
            modifications.append([A.UAI, "add", [uai]])
            row.plan["uais"] = uais + [uai]
            row.changes.append(["Établissement", "", f"+ {uai}"])
        if modifications:
            row.plan.update(op="modify", modifications=modifications)
            row.category = UPDATE

    def _new_parent(self, parent: ParentRow, name: str, child_dns) -> PreviewRow:
        account_id = secrets.token_hex(16)
        entry_dn = dn(A.ACCOUNT_ID, account_id, self.directory.base(A.GUARDIANS))
        values = {A.ACCOUNT_ID: [account_id], A.CN: [f"{parent.given_name} {parent.surname}"],
                  A.SURNAME: [parent.surname], A.GIVEN_NAME: [parent.given_name],
                  A.SEARCH_KEY: search_keys(parent.given_name, parent.surname),
                  A.SORT_NAME: [sort_name(parent.given_name, parent.surname)], A.UAI: [parent.uai],
                  A.CHILD: list(child_dns), A.ACCOUNT_STATE: [AccountState.NOT_NOTIFIED.value],
                  A.ACCOUNT_ORIGIN: [self.origin(parent.source)]}
        if parent.mail:
            values[A.MAIL] = [parent.mail]
        row = PreviewRow(account_id, parent.uai, CREATE, PARENT, name, source=parent.source, line=parent.line,
                         changes=[["Enfant(s)", "", str(len(child_dns))]], reason="; ".join(parent.notes),
                         plan={"op": "create", "dn": entry_dn, "values": values})
        self.group(parent.uai).rows.append(row)
        return row


def make_preview(directory, files: list[RegistryFile], today: date | None = None, decisions: dict | None = None) -> Preview:
    """What importing `files` would do, read from the directory now; FileRefused for a file that cannot be.
    `decisions`: what the identity team chose for rows that were probable duplicates (by INE)."""
    if not any(f.kind == "students" for f in files):
        raise FileRefused("Aucun export d'élèves dans cet envoi (les responsables, les structures et la "
                          "nomenclature des MEF accompagnent l'export des élèves).")
    return _Builder(directory, files, today or datetime.now(PARIS).date(), decisions).build()
