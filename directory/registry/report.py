"""An import's report kept with its job's audit record: the rows it applies (written when it is asked for)
and each row's outcome (written when it ends), so that the report outlives the preview and the job queue."""
from __future__ import annotations

import json
import zlib
from dataclasses import dataclass

import ldap3

from .. import attributes as A
from ..escaping import dn
from ..errors import ChangedMeanwhile
from .preview import CATEGORY_LABELS, PreviewRow


@dataclass(frozen=True)
class ReportRow:
    """A row as the report names it."""
    key: str
    uai: str
    kind: str
    category: str
    name: str
    ine: str = ""
    identifier: str = ""

    @property
    def category_label(self) -> str:
        return CATEGORY_LABELS[self.category]

    @classmethod
    def of(cls, row: PreviewRow) -> "ReportRow":
        return cls(row.key, row.uai, row.kind, row.category, row.name, row.ine, row.identifier)


def _packed(value) -> bytes:
    return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def _unpacked(raw: bytes | None):
    return json.loads(zlib.decompress(raw).decode("utf-8")) if raw else None


def _record(directory, job_id: str) -> str:
    return dn(A.CN, job_id, directory.base(A.AUDIT))


def keep_rows(directory, job_id: str, rows) -> None:
    """The rows, on the job's record (just opened); a second call writes the same again."""
    value = _packed([[r.key, r.uai, r.kind, r.category, r.name, r.ine, r.identifier] for r in rows])
    entry_dn = _record(directory, job_id)
    try:
        directory.writes.run(lambda conn: conn.modify(entry_dn, {
            A.OBJECT_CLASS: [(ldap3.MODIFY_ADD, [A.OC_IMPORT_RECORD])],
            A.IMPORT_ROWS: [(ldap3.MODIFY_REPLACE, [value])]}))
    except ChangedMeanwhile:        # the class is there already (the same job asked twice)
        directory.writes.run(lambda conn: conn.modify(entry_dn, {A.IMPORT_ROWS: [(ldap3.MODIFY_REPLACE, [value])]}))


def keep_outcomes(directory, job_id: str, outcomes: dict[str, tuple[str, str]]) -> None:
    """Each row's outcome, once the job has ended (replaced: written again by a resumed job)."""
    value = _packed({key: list(found) for key, found in outcomes.items()})
    directory.writes.run(lambda conn: conn.modify(_record(directory, job_id),
                                                  {A.IMPORT_OUTCOMES: [(ldap3.MODIFY_REPLACE, [value])]}))


def kept(directory, job_id: str) -> tuple[list[ReportRow], dict[str, tuple[str, str]]]:
    """The rows and outcomes the record holds ([] and {} for what it does not)."""
    entry = directory.read_entry(_record(directory, job_id), [A.IMPORT_ROWS, A.IMPORT_OUTCOMES])
    raw = (entry or {}).get("raw_attributes", {})
    rows = _unpacked((raw.get(A.IMPORT_ROWS) or [None])[0]) or []
    outcomes = _unpacked((raw.get(A.IMPORT_OUTCOMES) or [None])[0]) or {}
    return [ReportRow(*r) for r in rows], {k: (v[0], v[1]) for k, v in outcomes.items()}
