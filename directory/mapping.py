"""Entries ↔ records declared once: each record field is (attribute, converter); the attribute lists a
search reads and the decoders come from these tables, not from hand-written functions."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Callable

from . import attributes as A
from .entries import texts
from .model import AccountOrigin, AccountState, Guardian, Student, last_sign_in


def first(values, default=None):
    """The first value of an attribute as ldap3 gives it (a list, or a lone value)."""
    if isinstance(values, list):
        return values[0] if values else default
    return values if values not in (None, "") else default


def parse_time(value) -> datetime | None:
    """Generalized time (`20261128134500Z`) as an aware datetime; None when absent or malformed."""
    if value is None or isinstance(value, datetime):
        return value
    text = (value.decode() if isinstance(value, bytes) else str(value))[:14]
    if len(text) != 14 or not text.isdigit() or not text.isascii():
        return None
    try:
        return datetime(int(text[:4]), int(text[4:6]), int(text[6:8]), int(text[8:10]), int(text[10:12]),
                         int(text[12:14]), tzinfo=timezone.utc)
    except ValueError:
        return None


def account_id_of(dn: str) -> str:
    """`sesameAccountId=<id>,ou=students,...` → `<id>`: ids are hex, never escaped."""
    return dn.split(",", 1)[0].split("=", 1)[1]


# --- converters: the values of one attribute → a field ------------------------------------------

def text(default=""):
    return lambda values: first(values, default)


def optional(values):
    return first(values)


def time(values) -> datetime | None:
    return parse_time(first(values))


def day(values) -> date | None:
    moment = parse_time(first(values))
    return moment.date() if moment else None


def state(values) -> AccountState:
    try:
        return AccountState(first(values))
    except ValueError:
        return AccountState.NOT_NOTIFIED


def origin(values) -> AccountOrigin:
    try:
        return AccountOrigin(first(values))
    except ValueError:
        return AccountOrigin.REGISTRY


def flag(values) -> bool:
    return str(first(values, "")).upper() == "TRUE"


def present(values) -> bool:
    return bool(values)


def many(values) -> tuple:
    return tuple(values or ())


@dataclass(frozen=True)
class Field:
    name: str                        # the record's field
    attribute: str
    convert: Callable = optional
    raw: bool = False                # read from the raw (bytes) values


class Mapping:
    """One record type and its fields; `derived` fills the fields that need the DN or several attributes."""

    def __init__(self, record, fields, derived: Callable[[str, dict, dict, dict], dict] | None = None,
                 extra_attributes=()):
        self.record = record
        self.fields = tuple(fields)
        self.derived = derived
        self.attributes = list(dict.fromkeys([f.attribute for f in self.fields] + list(extra_attributes)))
        self._keys = tuple((f, f.attribute.lower()) for f in self.fields)

    def decode(self, entry: dict, raw: dict | None = None, dn: str = ""):
        raw = raw or {}
        values = {f.name: f.convert((raw if f.raw else entry).get(f.attribute)) for f in self.fields}
        if self.derived:
            values.update(self.derived(dn, entry, raw, values))
        return self.record(**values)

    def decode_raw(self, raw: dict, dn: str = ""):
        """The same record from an entry read lean (directory.entries: raw values by lowercased name); only the
        fields' own attributes are decoded."""
        values = {f.name: f.convert(raw.get(key) if f.raw else texts(raw.get(key))) for f, key in self._keys}
        if self.derived:
            values.update(self.derived(dn, {}, raw, values))
        return self.record(**values)


_PERSON = [Field("account_id", A.ACCOUNT_ID, text()), Field("surname", A.SURNAME, text()),
           Field("given_name", A.GIVEN_NAME, text()), Field("state", A.ACCOUNT_STATE, state),
           Field("identifier", A.UID), Field("origin", A.ACCOUNT_ORIGIN, origin),
           Field("notification_date", A.NOTIFICATION_DATE, time), Field("last_login", A.PWD_LAST_SUCCESS, time),
           Field("mail", A.MAIL), Field("mail_verified", A.MAIL_VERIFIED, flag),
           Field("password_changed", A.PWD_CHANGED_TIME, time), Field("activation_date", A.ACTIVATION_DATE, time),
           Field("locked_at", A.PWD_ACCOUNT_LOCKED_TIME)]


def _shown_sign_in(dn, entry, raw, values) -> dict:
    # slapd's date of last bind is shown for « Activé » accounts only (README, Known limits)
    return {"last_login": last_sign_in(values["state"], values["last_login"])}


STUDENT = Mapping(Student, _PERSON + [
    Field("uai", A.UAI, text()), Field("external_uais", A.EXTERNAL_UAI, many),
    Field("class_code", A.CLASS_CODE, text()), Field("mef_code", A.MEF_CODE, text()),
    Field("ine", A.INE, text()), Field("birth_date", A.BIRTH_DATE, day),
    Field("level", A.LEVEL, text()),
    Field("leaves_on", A.LEAVES_ON, day)], _shown_sign_in)

GUARDIAN = Mapping(Guardian, _PERSON + [
    Field("children", A.CHILD, lambda dns: tuple(account_id_of(dn) for dn in dns or ()))], _shown_sign_in)
