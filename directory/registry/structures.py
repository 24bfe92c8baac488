"""An establishment's divisions and MEFs as the registry brings them (created with their labels, relabelled,
never deleted), and the export last applied to it (registry, date, school year)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import ldap3

from .. import attributes as A
from ..errors import AlreadyExists, ChangedMeanwhile
from ..escaping import all_of, any_of, dn, equals
from ..mapping import first, parse_time

DIVISION, MEF = "division", "mef"


@dataclass(frozen=True)
class LastExport:
    """What the directory knows of the export last applied to an establishment."""
    registry: str = ""
    exported: datetime | None = None
    school_year: str = ""


def _establishment_dn(directory, uai: str) -> str:
    return dn(A.UAI, uai, directory.base(A.ESTABLISHMENTS))


def existing(directory, uai: str) -> tuple[dict[str, str], dict[str, str]]:
    """The establishment's divisions and MEFs now, code → label, read from the directory (not a cache)."""
    found = directory.search(_establishment_dn(directory, uai), any_of(equals(A.OBJECT_CLASS, A.OC_SCHOOL_CLASS),
                                                                       equals(A.OBJECT_CLASS, A.OC_MEF)),
                             [A.OBJECT_CLASS, A.CN, A.DESCRIPTION, A.MEF_CODE, A.MEF_LABEL], ldap3.LEVEL)
    divisions, mefs = {}, {}
    for _, entry in found:
        classes = {str(c).lower() for c in entry.get(A.OBJECT_CLASS) or ()}
        if A.OC_SCHOOL_CLASS.lower() in classes:
            divisions[first(entry.get(A.CN), "")] = first(entry.get(A.DESCRIPTION), "") or ""
        else:
            mefs[first(entry.get(A.MEF_CODE), "")] = first(entry.get(A.MEF_LABEL), "") or ""
    return divisions, mefs


def last_exports(directory, uais) -> dict[str, LastExport]:
    """The export last applied to each of these establishments (none yet: an empty LastExport)."""
    uais = sorted(set(u for u in uais if u))
    if not uais:
        return {}
    found = directory.search(directory.base(A.ESTABLISHMENTS), all_of(
        equals(A.OBJECT_CLASS, A.OC_ESTABLISHMENT), any_of(*(equals(A.UAI, u) for u in uais))),
        [A.UAI, A.REGISTRY, A.EXPORT_DATE, A.SCHOOL_YEAR], ldap3.LEVEL)
    return {first(e.get(A.UAI), ""): LastExport(first(e.get(A.REGISTRY), "") or "",
                                               parse_time(first(e.get(A.EXPORT_DATE))),
                                               first(e.get(A.SCHOOL_YEAR), "") or "") for _, e in found}


def _set_label(directory, entry_dn: str, attribute: str, label: str) -> None:
    directory.writes.run(lambda conn: conn.modify(entry_dn, {attribute: [(ldap3.MODIFY_REPLACE, [label])]}))


def apply_structures(directory, uai: str, changes, job_id: str, registry: str = "", exported: datetime | None = None,
                     school_year: str = "") -> None:
    """The divisions and MEFs a preview found new or relabelled ([kind, code, label, old label or None]),
    then the establishment's entry: the export noted (when a whole-school export gives it) and the job's mark.
    Each write may be sent again (a resumed job): an entry found there already gets its label. The entry is
    written last, whatever else: the web processes read its change as the sign that its divisions and MEFs
    changed (directory/repository.py)."""
    parent = _establishment_dn(directory, uai)
    for kind, code, label, _ in changes:
        if kind == DIVISION:
            entry_dn, label_attribute = dn(A.CN, code, parent), A.DESCRIPTION
            values = {A.CN: code, A.UAI: uai, **({A.DESCRIPTION: label} if label else {})}
            object_class = A.OC_SCHOOL_CLASS
        else:
            entry_dn, label_attribute = dn(A.MEF_CODE, code, parent), A.MEF_LABEL
            values = {A.MEF_CODE: code, A.UAI: uai, A.MEF_LABEL: label or code}
            object_class = A.OC_MEF
        try:
            directory.writes.run(lambda conn, d=entry_dn, o=object_class, v=values: conn.add(d, [o], v))
        except AlreadyExists:
            if label:
                _set_label(directory, entry_dn, label_attribute, label)
    entry = directory.read_entry(parent, [A.OBJECT_CLASS])
    has_class = entry is not None and A.OC_REGISTRY_SOURCE.lower() in {
        str(c).lower() for c in entry["attributes"].get(A.OBJECT_CLASS) or ()}
    noted = {A.LAST_JOB: [(ldap3.MODIFY_REPLACE, [job_id])]}
    if registry:
        noted[A.REGISTRY] = [(ldap3.MODIFY_REPLACE, [registry])]
    if exported:
        noted[A.EXPORT_DATE] = [(ldap3.MODIFY_REPLACE,
                                 [exported.astimezone(timezone.utc).strftime("%Y%m%d%H%M%SZ")])]
    if school_year:
        noted[A.SCHOOL_YEAR] = [(ldap3.MODIFY_REPLACE, [school_year])]
    if not has_class:
        noted[A.OBJECT_CLASS] = [(ldap3.MODIFY_ADD, [A.OC_REGISTRY_SOURCE])]
    try:
        directory.writes.run(lambda conn: conn.modify(parent, noted))
    except ChangedMeanwhile:      # the class came meanwhile (the same job, resumed): without it
        noted.pop(A.OBJECT_CLASS, None)
        directory.writes.run(lambda conn: conn.modify(parent, noted))
