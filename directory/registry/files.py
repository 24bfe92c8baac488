"""Reading uploaded registry files without trusting them: size and type checked, zips bounded, XML through
defusedxml (no DTD, no entity, nothing fetched), CSV decoded strictly; a hard error refuses the file."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import PurePosixPath

import defusedxml.ElementTree as SafeXML
from defusedxml import DefusedXmlException

from ..uai import normalize_uai
from .rows import Cleaner, ParentRow, RegistryFile, StudentRow

MAX_FILE_BYTES = 20 * 1024 * 1024        # a whole lycée's SIECLE export is a few megabytes
MAX_UNZIPPED_BYTES = 60 * 1024 * 1024    # all members of one zip, once inflated
MAX_MEMBERS = 8
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


def _siecle_uai(name: str, root) -> tuple[str, str]:
    raw = _text(root, "PARAMETRES/UAJ")
    uai = normalize_uai(raw)
    if uai is None:
        raise FileRefused(f"« {name} » : l'UAI de l'export (PARAMETRES/UAJ « {raw[:20]} ») n'est pas un UAI valide.")
    return uai, _text(root, "PARAMETRES/ANNEE_SCOLAIRE")


def read_xml(name: str, content: bytes) -> RegistryFile:
    root = _parse_xml(name, content)
    tag = str(root.tag).upper()
    if tag == "BEE_ELEVES":
        return _siecle_students(name, root)
    if tag == "BEE_RESPONSABLES":
        return _siecle_parents(name, root)
    if "NOMENCLATURE" in tag:
        mefs = {_text(m, "CODE_MEF") or m.get("CODE_MEF", ""): _text(m, "LIBELLE_LONG") or _text(m, "FORMATION")
                for m in root.iter("MEF")}
        return RegistryFile(name, "nomenclature", "SIECLE", mefs={k: v for k, v in mefs.items() if k and v},
                            whole_school=False)
    raise FileRefused(f"« {name} » n'est pas un export SIECLE reconnu (élément racine <{str(root.tag)[:30]}>).")


def _siecle_students(name: str, root) -> RegistryFile:
    uai, year = _siecle_uai(name, root)
    classes: dict[str, str] = {}
    for structures in root.iter("STRUCTURES_ELEVE"):
        for structure in structures.iter("STRUCTURE"):
            code = _text(structure, "CODE_STRUCTURE")
            if _text(structure, "TYPE_STRUCTURE") == "D" and code and code.lower() != "inactifs":
                classes[structures.get("ELEVE_ID", "")] = code
    found = RegistryFile(name, "students", "SIECLE", (uai,), year)
    for number, student in enumerate(root.iter("ELEVE"), start=1):
        clean = Cleaner()
        registry_id = clean.text(student.get("ELEVE_ID", ""), "ELEVE_ID", max_length=20)
        surname = clean.text(_text(student, "NOM_USAGE") or _text(student, "NOM_DE_FAMILLE"), "Nom", required=True)
        given = clean.text(_text(student, "PRENOM"), "Prénom", required=True)
        row = StudentRow(
            source=name, line=number, uai=uai, ine=clean.ine(_text(student, "ID_NATIONAL")), surname=surname,
            given_name=given, birth_date=clean.day(_text(student, "DATE_NAISS"), "Date de naissance", required=True),
            class_code=clean.text(classes.get(registry_id, ""), "Classe", max_length=30),
            mef_code=clean.text(_text(student, "CODE_MEF"), "MEF", max_length=20),
            left_on=clean.day(_text(student, "DATE_SORTIE"), "Date de sortie", required=False),
            registry_id=registry_id, **clean.done())
        found.students.append(row)
    return found


def _siecle_parents(name: str, root) -> RegistryFile:
    uai, year = _siecle_uai(name, root)
    children: dict[str, list[str]] = {}
    for link in root.iter("RESPONSABLE_ELEVE"):
        if _text(link, "RESP_LEGAL") in ("1", "2"):          # legal guardians only; 0 is another contact
            children.setdefault(_text(link, "PERSONNE_ID"), []).append(_text(link, "ELEVE_ID"))
    found = RegistryFile(name, "parents", "SIECLE", (uai,), year, whole_school=False)
    for number, person in enumerate(root.iter("PERSONNE"), start=1):
        person_id = person.get("PERSONNE_ID", "")
        if person_id not in children:
            continue
        clean = Cleaner()
        mail = clean.text(_text(person, "MEL"), "Mél", max_length=120).lower()
        if mail and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", mail):
            clean.notes.append(f"Mél ignoré : « {mail[:40]} » n'est pas une adresse")
            mail = ""
        found.parents.append(ParentRow(
            source=name, line=number, uai=uai, person_id=person_id,
            surname=clean.text(_text(person, "NOM_USAGE") or _text(person, "NOM") or _text(person, "NOM_DE_FAMILLE"),
                               "Nom", required=True),
            given_name=clean.text(_text(person, "PRENOM"), "Prénom", required=True), mail=mail,
            children=tuple(dict.fromkeys(children[person_id])), **clean.done()))
    return found


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
    raise FileRefused(f"« {name} » (ligne 1) : en-tête non reconnu. Sésame lit son propre CSV "
                      f"({';'.join(OWN_HEADER)}) ou l'extraction ONDE des élèves.")


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


def _onde_csv(name: str, text: str) -> RegistryFile:
    """ONDE's pupils extraction, always for the whole school. Its school is the `UAI` column, or the UAI in
    the file's name (`CSVExtraction_0990004X.csv`)."""
    rows = list(_rows(text))
    header = _header(rows[0][1]) if rows else ()

    def column(*names):
        return next((header.index(n) for n in names if n in header), None)
    where = {k: column(*v) for k, v in {
        "surname": ("nom élève", "nom d'usage", "nom"), "given": ("prénom élève", "prénom"),
        "born": ("date naissance",), "class": ("classe", "libellé classe"), "level": ("niveau",),
        "ine": ("ine", "identifiant national élève"), "uai": ("uai", "uai école")}.items()}
    from_name = re.search(r"\d{7}[A-Za-z]", name)
    default_uai = normalize_uai(from_name.group(0)) if from_name else None
    if where["uai"] is None and default_uai is None:
        raise FileRefused(f"« {name} » : l'extraction ONDE ne dit pas son école ; ajoutez une colonne UAI ou "
                          f"nommez le fichier avec l'UAI (CSVExtraction_0990004X.csv).")
    found = RegistryFile(name, "students", "ONDE")
    uais = []
    for line, cells in rows[1:]:
        if not any(c.strip() for c in cells):
            continue
        get = lambda key: cells[where[key]] if where[key] is not None and where[key] < len(cells) else ""  # noqa: E731
        clean = Cleaner()
        level = clean.text(get("level"), "Niveau", max_length=20)
        row = StudentRow(source=name, line=line, uai=clean.uai(get("uai")) if where["uai"] is not None else default_uai,
                         ine=clean.ine(get("ine")), surname=clean.text(get("surname"), "Nom", required=True),
                         given_name=clean.text(get("given"), "Prénom", required=True),
                         birth_date=clean.day(get("born"), "Date de naissance", required=True),
                         class_code=clean.text(get("class"), "Classe", max_length=30),
                         mef_code=level, mef_label=level, **clean.done())
        found.students.append(row)
        if normalize_uai(row.uai):
            uais.append(row.uai)
    found.uais = tuple(dict.fromkeys(uais)) or ((default_uai,) if default_uai else ())
    return found
