"""An establishment's own letter settings, kept on its entry: read them, check them, change them only
if they are still what the form showed."""
from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, fields

import ldap3

from . import attributes as A
from .errors import ChangedMeanwhile, FieldsRefused, NotFound, RefusedByPolicy
from .escaping import equals
from .mapping import first
from .texts import clean, text_problem

LIMITS = {"activation_url": 200, "contact": 200, "signature_title": 100, "signature_name": 100, "paragraph": 600}
LABELS = {"activation_url": "Adresse d'activation", "contact": "En cas de difficulté, contactez",
          "signature_title": "Titre du signataire", "signature_name": "Nom du signataire",
          "paragraph": "Paragraphe complémentaire"}
_URL = re.compile(r"https?://[A-Za-z0-9.-]+(:\d{1,5})?(/[A-Za-z0-9._~%/?&=#+-]*)?$")


@dataclass(frozen=True)
class StoredLetterSettings:
    """What an establishment chose; an empty field takes the deployment's default (SESAME_LETTER_*)."""
    activation_url: str = ""
    contact: str = ""
    signature_title: str = ""
    signature_name: str = ""
    paragraph: str = ""

    @classmethod
    def from_json(cls, raw: str | None) -> "StoredLetterSettings":
        try:
            values = json.loads(raw) if raw else {}
        except ValueError:
            values = {}
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v) for k, v in values.items() if k in names}) if isinstance(values, dict) else cls()

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)


def problems(settings: StoredLetterSettings) -> dict[str, str]:
    """Each field's French reason for refusal (empty: they may be stored). Pure."""
    found = {}
    for name, limit in LIMITS.items():
        problem = text_problem(LABELS[name], getattr(settings, name), limit)
        if problem:
            found[name] = problem
    url = settings.activation_url
    if "activation_url" not in found and url and not _URL.match(url):
        found["activation_url"] = "L'adresse d'activation doit être une adresse web (https://…)."
    return found


def cleaned(settings: StoredLetterSettings) -> StoredLetterSettings:
    return StoredLetterSettings(**{name: clean(getattr(settings, name)) for name in LIMITS})


class LetterSettingsStore:
    def __init__(self, directory):
        self.directory = directory

    def raw(self, uai: str) -> str:
        """The stored value as it is (the form carries it back, to make the change conditional)."""
        entry = self.directory.read_entry(self.directory.establishment_dn(uai), [A.LETTER_SETTINGS, A.OBJECT_CLASS])
        if entry is None:
            raise NotFound(uai)
        return str(first(entry["attributes"].get(A.LETTER_SETTINGS), "") or "")

    def read(self, uai: str) -> StoredLetterSettings:
        found = self.directory.search(self.directory.establishment_dn(uai), equals(A.UAI, uai), [A.LETTER_SETTINGS], ldap3.BASE)
        return StoredLetterSettings.from_json(first(found[0][1].get(A.LETTER_SETTINGS), "")) if found else \
            StoredLetterSettings()

    def change(self, uai: str, shown: str, wanted: StoredLetterSettings) -> StoredLetterSettings:
        """Store `wanted` if the entry still holds `shown` (what the form was made from): otherwise
        ChangedMeanwhile, and nothing is written. Refused values raise FieldsRefused."""
        wanted = cleaned(wanted)
        found = problems(wanted)
        if found:
            raise FieldsRefused(found)
        entry_dn = self.directory.establishment_dn(uai)
        entry = self.directory.read_entry(entry_dn, [A.OBJECT_CLASS, A.LETTER_SETTINGS])
        if entry is None:
            raise NotFound(uai)
        current = str(first(entry["attributes"].get(A.LETTER_SETTINGS), "") or "")
        if current != shown:
            raise ChangedMeanwhile(uai)
        value = wanted.to_json()
        # deleting the value shown makes the modify itself the condition: two heads saving at once,
        # the second's delete finds nothing and the directory refuses it
        changes = {A.LETTER_SETTINGS: ([(ldap3.MODIFY_DELETE, [shown])] if shown else []) + [(ldap3.MODIFY_ADD, [value])]}
        classes = [c.lower() for c in entry["attributes"].get(A.OBJECT_CLASS, [])]
        if A.OC_LETTER_CONFIG.lower() not in classes:
            changes[A.OBJECT_CLASS] = [(ldap3.MODIFY_ADD, [A.OC_LETTER_CONFIG])]
        try:
            self.directory.writes.run(lambda conn: conn.modify(entry_dn, changes))
        except RefusedByPolicy as refused:    # a second value of a single-valued attribute: added meanwhile
            raise ChangedMeanwhile(uai) from refused
        return wanted
