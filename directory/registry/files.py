"""Reading uploaded registry files without trusting them: size and type checked, zips bounded, XML through
defusedxml (no DTD, no entity, nothing fetched), CSV decoded strictly; a hard error refuses the file."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from pathlib import PurePosixPath
from zoneinfo import ZoneInfo

import defusedxml.ElementTree as SafeXML
from defusedxml import DefusedXmlException

from ..uai import normalize_uai
from .rows import Cleaner, ParentRow, RegistryFile, StudentRow

PARIS = ZoneInfo("Europe/Paris")
MAX_FILE_BYTES = 20 * 1024 * 1024        # a whole lycée's SIECLE export is a few megabytes
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024    # all members of one zip, once inflated
MAX_MEMBERS = 100
MAX_RATIO = 200                           # inflated size / compressed size of one member
OWN_HEADER = ("UAI", "INE", "Nom", "Prénom", "Date de naissance", "Classe", "Libellé classe", "MEF",
              "Libellé MEF")


class FileRefused(ValueError):
    """The whole file is refused; `message` says why, in French, naming the line when there is one."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} Mo"


def read_upload(name: str, content: bytes) -> list[RegistryFile]:
    """One uploaded file (a zip may hold several exports): what it says, or FileRefused."""
    name = PurePosixPath((name or "fichier").replace("\\", "/")).name[:120] or "fichier"
    if len(content) > MAX_FILE_BYTES:
        raise FileRefused(f"« {name} » fait {_megabytes(len(content))} : {_megabytes(MAX_FILE_BYTES)} au plus par fichier.")
    if not content:
        raise FileRefused(f"« {name} » est vide.")
    extension = PurePosixPath(name).suffix.lower()
    if extension not in (".zip", ".xml", ".csv"):
        return [read_one(name, content)]          # refused for its type
    is_zip = content[:4] == b"PK\x03\x04"
    if extension == ".zip":
        if not is_zip:
            raise FileRefused(f"« {name} » n'est pas une archive zip, contrairement à ce que dit son nom.")
        return [read_one(member, data) for member, data in _unzip(name, content)]
    if is_zip:
        raise FileRefused(f"« {name} » est une archive zip, pas le fichier {extension or 'annoncé'} que dit son nom.")
    return [read_one(name, content)]


def read_one(name: str, content: bytes) -> RegistryFile:
    extension = PurePosixPath(name).suffix.lower()
    if extension == ".xml":
        return read_xml(name, content)
    if extension == ".csv":
        return read_csv(name, content)
    raise FileRefused(f"« {name} » : type de fichier non pris en charge (exports SIECLE .xml ou .zip, ONDE ou "
                      f"Sésame .csv).")


def _unzip(name: str, content: bytes) -> list[tuple[str, bytes]]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, ValueError, NotImplementedError):
        raise FileRefused(f"« {name} » : archive zip illisible.") from None
    if not members:
        raise FileRefused(f"« {name} » : l'archive est vide.")
    if len(members) > MAX_MEMBERS:
        raise FileRefused(f"« {name} » : l'archive contient {len(members)} fichiers, {MAX_MEMBERS} au plus.")
    declared = sum(m.file_size for m in members)
    if declared > MAX_UNZIPPED_BYTES or any(m.file_size > MAX_RATIO * max(m.compress_size, 1) for m in members):
        raise FileRefused(f"« {name} » : l'archive se décompresse en {_megabytes(declared)} (bombe zip ?) : refusée.")
    found = []
    budget = MAX_UNZIPPED_BYTES
    for member in members:
        if member.flag_bits & 0x1:
            raise FileRefused(f"« {name} » : l'archive est chiffrée.")
        try:
            with archive.open(member) as stream:      # read with a bound: the sizes above are the zip's word
                data = stream.read(min(budget, member.file_size) + 1)
        except (zipfile.BadZipFile, ValueError, NotImplementedError, EOFError, OSError):
            raise FileRefused(f"« {name} » : « {member.filename} » est illisible dans l'archive.") from None
        if len(data) > member.file_size or len(data) > budget:
            raise FileRefused(f"« {name} » : l'archive se décompresse plus qu'elle ne le déclare : refusée.")
        budget -= len(data)
        found.append((PurePosixPath(member.filename).name or member.filename, data))
    return found


# --- SIECLE (XML) ------------------------------------------------------------------------------------

def _parse_xml(name: str, content: bytes):
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head != b"<" or b"\x00" in content[:4096]:
        raise FileRefused(f"« {name} » n'est pas un fichier XML, contrairement à ce que dit son nom.")
    try:
        return SafeXML.fromstring(content, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise FileRefused(f"« {name} » contient une déclaration DTD ou des entités XML : refusé (un export "
                          f"SIECLE n'en a jamais ; rien n'a été lu).") from None
    except SafeXML.ParseError as error:
        line = getattr(error, "position", (0, 0))[0]
        raise FileRefused(f"« {name} » n'est pas un XML bien formé (ligne {line}) : fichier abîmé, ou encodage "
                          f"autre que celui que déclare son en-tête.") from None
    except (ValueError, LookupError):
        raise FileRefused(f"« {name} » : encodage inconnu dans son en-tête XML.") from None


def _text(element, path: str) -> str:
    found = element.find(path)
    return (found.text or "").strip() if found is not None and found.text else ""


def _fields(element) -> dict[str, str]:
    """An element's children by tag (the first of each, as `find` gives it), their text stripped."""
    found: dict[str, str] = {}
    for child in element:
        if child.tag not in found:
            found[child.tag] = (child.text or "").strip()
    return found


def _siecle_uai(name: str, root) -> tuple[str, str]:
    raw = _text(root, "PARAMETRES/UAJ")
    uai = normalize_uai(raw)
    if uai is None:
        raise FileRefused(f"« {name} » : l'UAI de l'export (PARAMETRES/UAJ « {raw[:20]} ») n'est pas un UAI valide.")
    return uai, school_year(_text(root, "PARAMETRES/ANNEE_SCOLAIRE"))


def school_year(value: str) -> str:
    """SIECLE's ANNEE_SCOLAIRE (« 2027 », the year it starts) as people say it: « 2027-2028 »."""
    value = value.strip()
    if re.fullmatch(r"(19|20)\d\d", value):
        return f"{value}-{int(value) + 1}"
    match = re.fullmatch(r"((?:19|20)\d\d)\s*[-/]\s*((?:19|20)\d\d)", value)
    return f"{match.group(1)}-{match.group(2)}" if match else ""


def _exported(root) -> datetime | None:
    """When SIECLE made the export: PARAMETRES/HORODATAGE (dd/mm/yyyy hh:mm:ss), else DATE_EXPORT (dd/mm/yyyy)."""
    for path, shape in (("PARAMETRES/HORODATAGE", "%d/%m/%Y %H:%M:%S"), ("PARAMETRES/DATE_EXPORT", "%d/%m/%Y")):
        try:
            found = datetime.strptime(_text(root, path), shape)
        except ValueError:
            continue
        if 1990 <= found.year <= 2100:
            return found.replace(tzinfo=PARIS)      # SIECLE writes the time of the establishment: Paris
    return None


def _label(value: str, what: str) -> str:
    """A label the registry gives (a MEF's, a division's), cleaned like any value; "" when it is refused."""
    clean = Cleaner()
    label = clean.text(value, what, max_length=120)
    return "" if clean.problems else label


def read_xml(name: str, content: bytes) -> RegistryFile:
    root = _parse_xml(name, content)
    tag = str(root.tag).upper()
    if tag == "BEE_ELEVES":
        return _siecle_students(name, root)
    if tag == "BEE_RESPONSABLES":
        return _siecle_parents(name, root)
    if tag == "BEE_STRUCTURES":
        return _siecle_structures(name, root)
    if "NOMENCLATURE" in tag:
        mefs = {}
        for mef in root.iter("MEF"):
            code = _label(_text(mef, "CODE_MEF") or mef.get("CODE_MEF", ""), "Code MEF")
            label = _label(_text(mef, "LIBELLE_LONG") or _text(mef, "FORMATION"), "Libellé MEF")
            if code and label:
                mefs[code] = label
        return RegistryFile(name, "nomenclature", "SIECLE", mefs=mefs, whole_school=False, exported=_exported(root))
    raise FileRefused(f"« {name} » n'est pas un export SIECLE reconnu (élément racine <{str(root.tag)[:30]}>).")


def _siecle_structures(name: str, root) -> RegistryFile:
    """SIECLE's structures export (Structures.xml): each division's label (LIBELLE_LONG)."""
    uai, year = _siecle_uai(name, root)
    classes = {}
    for division in root.iter("DIVISION"):
        code = _label(division.get("CODE_STRUCTURE") or _text(division, "CODE_STRUCTURE"), "Division")
        label = _label(_text(division, "LIBELLE_LONG") or _text(division, "LIBELLE_COURT"), "Libellé de division")
        if code and label and code.lower() != "inactifs":
            classes[code] = label
    return RegistryFile(name, "structures", "SIECLE", (uai,), year, whole_school=False, exported=_exported(root),
                        classes=classes)


def _siecle_students(name: str, root) -> RegistryFile:
    uai, year = _siecle_uai(name, root)
    classes: dict[str, str] = {}
    labels: dict[str, str] = {}
    for structures in root.iter("STRUCTURES_ELEVE"):
        for structure in structures.iter("STRUCTURE"):
            fields = _fields(structure)
            code = fields.get("CODE_STRUCTURE", "")
            if fields.get("TYPE_STRUCTURE") == "D" and code and code.lower() != "inactifs":
                classes[structures.get("ELEVE_ID", "")] = code
                label = _label(fields.get("LIBELLE_LONG") or fields.get("LIBELLE_STRUCTURE", ""), "Libellé de division")
                if label:
                    labels[code] = label
    found = RegistryFile(name, "students", "SIECLE", (uai,), year, exported=_exported(root), classes=labels)
    for number, student in enumerate(root.iter("ELEVE"), start=1):
        clean, fields = Cleaner(), _fields(student)
        registry_id = clean.text(student.get("ELEVE_ID", ""), "ELEVE_ID", max_length=20)
        surname = clean.text(fields.get("NOM_USAGE") or fields.get("NOM_DE_FAMILLE", ""), "Nom", required=True)
        given = clean.text(fields.get("PRENOM", ""), "Prénom", required=True)
        row = StudentRow(
            source=name, line=number, uai=uai, ine=clean.ine(fields.get("ID_NATIONAL", "")), surname=surname,
            given_name=given, birth_date=clean.day(fields.get("DATE_NAISS", ""), "Date de naissance", required=True),
            class_code=clean.text(classes.get(registry_id, ""), "Classe", max_length=30),
            mef_code=clean.text(fields.get("CODE_MEF", ""), "MEF", max_length=20),
            left_on=clean.day(fields.get("DATE_SORTIE", ""), "Date de sortie", required=False),
            registry_id=registry_id, **clean.done())
        found.students.append(row)
    return found


def _siecle_parents(name: str, root) -> RegistryFile:
    uai, year = _siecle_uai(name, root)
    children: dict[str, list[str]] = {}
    for link in root.iter("RESPONSABLE_ELEVE"):
        fields = _fields(link)
        if fields.get("RESP_LEGAL") in ("1", "2"):          # legal guardians only; 0 is another contact
            children.setdefault(fields.get("PERSONNE_ID", ""), []).append(fields.get("ELEVE_ID", ""))
    found = RegistryFile(name, "parents", "SIECLE", (uai,), year, whole_school=False, exported=_exported(root))
    for number, person in enumerate(root.iter("PERSONNE"), start=1):
        person_id = person.get("PERSONNE_ID", "")
        if person_id not in children:
            continue
        clean, fields = Cleaner(), _fields(person)
        mail = _mail(clean, fields.get("MEL", ""))
        found.parents.append(ParentRow(
            source=name, line=number, uai=uai, person_id=person_id,
            surname=clean.text(fields.get("NOM_USAGE") or fields.get("NOM") or fields.get("NOM_DE_FAMILLE", ""),
                               "Nom", required=True),
            given_name=clean.text(fields.get("PRENOM", ""), "Prénom", required=True), mail=mail,
            children=tuple(dict.fromkeys(children[person_id])), **clean.done()))
    return found


def _mail(clean: Cleaner, value: str) -> str:
    mail = clean.text(value, "Mél", max_length=120).lower()
    if mail and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", mail):
        clean.notes.append(f"Mél ignoré : « {mail[:40]} » n'est pas une adresse")
        return ""
    return mail


# --- CSV: Sésame's own, ONDE ---------------------------------------------------------------------------

def _decode(name: str, content: bytes, fallback: str | None) -> str:
    if b"\x00" in content:
        raise FileRefused(f"« {name} » n'est pas un fichier texte (CSV), contrairement à ce que dit son nom.")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if fallback:
            return content.decode(fallback, errors="strict")
        line = content[:error.start].count(b"\n") + 1
        raise FileRefused(f"« {name} » n'est pas encodé en UTF-8 (ligne {line}) : enregistrez-le en « CSV UTF-8 ».") from None


def _header(cells) -> tuple[str, ...]:
    return tuple(" ".join(c.replace("\ufeff", "").split()).lower() for c in cells)


def read_csv(name: str, content: bytes) -> RegistryFile:
    if b"\x00" in content:
        raise FileRefused(f"« {name} » n'est pas un fichier texte (CSV), contrairement à ce que dit son nom.")
    try:
        first_line = content.split(b"\n", 1)[0].decode("utf-8-sig")
    except UnicodeDecodeError:
        first_line = content.split(b"\n", 1)[0].decode("cp1252", errors="replace")
    header = _header(first_line.rstrip("\r").split(";"))
    if header[:len(OWN_HEADER)] == _header(OWN_HEADER):
        return _own_csv(name, _decode(name, content, None))
    if "date naissance" in header and ("niveau" in header or "cycle" in header):
        return _onde_csv(name, _decode(name, content, "cp1252"))
    if "nom responsable" in header and "prénom enfant" in header:
        return _onde_parents(name, _decode(name, content, "cp1252"))
    raise FileRefused(f"« {name} » (ligne 1) : en-tête non reconnu. Sésame lit son propre CSV "
                      f"({';'.join(OWN_HEADER)}) ou les extractions ONDE des élèves et des responsables.")


def _rows(text: str):
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        for cells in reader:
            yield reader.line_num, cells
    except csv.Error as error:
        raise FileRefused(f"CSV illisible (ligne {reader.line_num}) : {error}") from None


def _own_csv(name: str, text: str) -> RegistryFile:
    # it names only the students it lists: absence from it is not leaving (the README's contract)
    found = RegistryFile(name, "students", "Sésame", whole_school=False)
    uais = []
    for line, cells in _rows(text):
        if line == 1 or not any(c.strip() for c in cells):
            continue
        clean = Cleaner()
        if len(cells) != len(OWN_HEADER):
            clean.problems.append(f"{len(cells)} colonnes au lieu de {len(OWN_HEADER)}")
            cells = (cells + [""] * len(OWN_HEADER))[:len(OWN_HEADER)]
        uai, ine, surname, given, born, class_code, class_label, mef, mef_label = cells
        row = StudentRow(source=name, line=line, uai=clean.uai(uai), ine=clean.ine(ine),
                         surname=clean.text(surname, "Nom", required=True),
                         given_name=clean.text(given, "Prénom", required=True),
                         birth_date=clean.day(born, "Date de naissance", required=True),
                         class_code=clean.text(class_code, "Classe", max_length=30),
                         class_label=clean.text(class_label, "Libellé classe", max_length=80),
                         mef_code=clean.text(mef, "MEF", max_length=20),
                         mef_label=clean.text(mef_label, "Libellé MEF", max_length=120), **clean.done())
        found.students.append(row)
        if normalize_uai(row.uai):
            uais.append(row.uai)
    found.uais = tuple(dict.fromkeys(uais))
    return found


ONDE_EXAMPLE = "CSVExtraction_0990004S.csv"      # a valid UAI (check letter S), as the README says


def _uai_in_name(name: str) -> str | None:
    found = re.search(r"\d{7}[A-Za-z]", name)
    return normalize_uai(found.group(0)) if found else None


def _onde_class(clean: Cleaner, label: str, identifier: str) -> tuple[str, str]:
    """An ONDE class: its label (« CE1-CE2 Mme Durand ») is its code too, as the school names it; a label too
    long for a code gives way to ONDE's class identifier."""
    label = clean.text(label, "Libellé classe", max_length=80)
    identifier = clean.text(identifier, "Identifiant classe", max_length=30)
    if len(label) > 30 and identifier:
        return identifier, label
    return (label[:30] if label else identifier), label


def _onde_csv(name: str, text: str) -> RegistryFile:
    """ONDE's pupils extraction, always for the whole school. Its school is the `UAI` column, or the UAI in
    the file's name (`CSVExtraction_0990004S.csv`). « Niveau » is the pupil's level (CP, CE1...), never a MEF."""
    rows = list(_rows(text))
    header = _header(rows[0][1]) if rows else ()

    def column(*names):
        return next((header.index(n) for n in names if n in header), None)
    where = {k: column(*v) for k, v in {
        "surname": ("nom élève", "nom de famille élève", "nom"), "usual": ("nom d'usage élève", "nom d'usage"),
        "given": ("prénom élève", "prénom"), "born": ("date naissance",), "class": ("libellé classe", "classe"),
        "class_id": ("identifiant classe",), "level": ("niveau",),
        "ine": ("ine", "identifiant national élève"), "uai": ("uai", "uai école")}.items()}
    default_uai = _uai_in_name(name)
    if where["uai"] is None and default_uai is None:
        raise FileRefused(f"« {name} » : l'extraction ONDE ne dit pas son école ; ajoutez une colonne UAI ou "
                          f"nommez le fichier avec l'UAI ({ONDE_EXAMPLE}).")
    found = RegistryFile(name, "students", "ONDE")
    uais = []
    for line, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        get = lambda key: cells[where[key]] if where[key] is not None and where[key] < len(cells) else ""  # noqa: E731
        clean = Cleaner()
        class_code, class_label = _onde_class(clean, get("class"), get("class_id"))
        row = StudentRow(source=name, line=line, uai=clean.uai(get("uai")) if where["uai"] is not None else default_uai,
                         ine=clean.ine(get("ine")),
                         surname=clean.text(get("usual") or get("surname"), "Nom", required=True),
                         given_name=clean.text(get("given"), "Prénom", required=True),
                         birth_date=clean.day(get("born"), "Date de naissance", required=True),
                         class_code=class_code, class_label=class_label, registry_id=f"ligne-{line}",
                         level=clean.text(get("level"), "Niveau", max_length=20).upper(), **clean.done())
        found.students.append(row)
        if normalize_uai(row.uai):
            uais.append(row.uai)
    found.uais = tuple(dict.fromkeys(uais)) or ((default_uai,) if default_uai else ())
    return found


def _onde_parents(name: str, text: str) -> RegistryFile:
    """ONDE's parents extraction: a row per parent, with up to three children named by their name and classes
    (no id): the preview finds each child among the pupils of the school's extraction, in the same upload. The
    school: a `UAI` column, the UAI in the file's name, or the only ONDE pupils' extraction of the upload."""
    rows = list(_rows(text))
    header = _header(rows[0][1]) if rows else ()
    where = {key: next((header.index(n) for n in names if n in header), None) for key, names in {
        "surname": ("nom responsable",), "usual": ("nom usage responsable", "nom d'usage responsable"),
        "given": ("prénom responsable",), "mail": ("courriel", "mél", "email"), "uai": ("uai", "uai école")}.items()}
    # a child is four columns, repeated up to three times: usual name, family name, given name, classes
    children_at = [i for i, title in enumerate(header) if title == "prénom enfant"]
    default_uai = _uai_in_name(name)
    found = RegistryFile(name, "parents", "ONDE", (default_uai,) if default_uai else (), whole_school=False)
    for line, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        cell = lambda i: cells[i] if i is not None and 0 <= i < len(cells) else ""  # noqa: E731
        clean = Cleaner()
        children = []
        for at in children_at:
            given = clean.text(cell(at), "Prénom enfant", max_length=64)
            family = clean.text(cell(at - 1), "Nom enfant", max_length=64)
            usual = clean.text(cell(at - 2), "Nom enfant", max_length=64) \
                if at >= 2 and header[at - 2].startswith("nom d") else ""
            classes = clean.text(cell(at + 1), "Classes enfants", max_length=120)
            if given or family or usual:
                children.append((usual or family, given, classes))
        if not children:
            clean.problems.append("Aucun enfant nommé sur la ligne")
        uai = clean.uai(cell(where["uai"])) if where["uai"] is not None else (default_uai or "")
        found.parents.append(ParentRow(
            source=name, line=line, uai=uai, person_id=f"ligne-{line}",
            surname=clean.text(cell(where["usual"]) or cell(where["surname"]), "Nom", required=True),
            given_name=clean.text(cell(where["given"]), "Prénom", required=True),
            mail=_mail(clean, cell(where["mail"])), children_named=tuple(children), **clean.done()))
    if where["uai"] is not None:
        found.uais = tuple(dict.fromkeys(p.uai for p in found.parents if normalize_uai(p.uai)))
    return found
