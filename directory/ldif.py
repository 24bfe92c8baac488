"""A reader for the LDIF change records our migrations are written in (RFC 2849, the parts we use)."""
from __future__ import annotations

import base64
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Change:
    dn: str
    kind: str                                            # "add", "modify" or "delete"
    attributes: dict[str, list[str]] = field(default_factory=dict)      # for "add"
    modifications: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (op, attr, values)


class LdifError(ValueError):
    pass


def _logical_lines(text: str) -> list[list[str]]:
    """Records as lists of unfolded lines; comments dropped."""
    records: list[list[str]] = []
    current: list[str] = []
    for raw in text.splitlines():
        if raw.startswith("#"):
            continue
        if raw.startswith(" ") and current:
            current[-1] += raw[1:]
            continue
        if not raw.strip():
            if current:
                records.append(current)
                current = []
            continue
        current.append(raw)
    if current:
        records.append(current)
    return records


def _split(line: str) -> tuple[str, str]:
    if "::" in line and line.index("::") == line.find(":"):
        name, _, value = line.partition("::")
        return name.strip(), base64.b64decode(value.strip()).decode("utf-8")
    if ":" not in line:
        raise LdifError(f"not an LDIF line: {line!r}")
    name, _, value = line.partition(":")
    return name.strip(), value.strip()


def parse(text: str) -> list[Change]:
    changes = []
    for lines in _logical_lines(text):
        pairs = [_split(line) if line != "-" else ("-", "") for line in lines]
        if pairs[0][0].lower() != "dn":
            raise LdifError(f"a record must start with dn: {lines[0]!r}")
        dn = pairs[0][1]
        rest = pairs[1:]
        kind = "add"
        if rest and rest[0][0].lower() == "changetype":
            kind = rest[0][1].lower()
            rest = rest[1:]
        if kind == "add":
            attributes: dict[str, list[str]] = {}
            for name, value in rest:
                attributes.setdefault(name, []).append(value)
            changes.append(Change(dn, "add", attributes=attributes))
        elif kind == "modify":
            changes.append(Change(dn, "modify", modifications=_modifications(dn, rest)))
        elif kind == "delete":
            changes.append(Change(dn, "delete"))
        else:
            raise LdifError(f"unsupported changetype {kind!r} for {dn}")
    return changes


def _modifications(dn: str, pairs: list[tuple[str, str]]) -> list[tuple[str, str, list[str]]]:
    result = []
    i = 0
    while i < len(pairs):
        op, attribute = pairs[i][0].lower(), pairs[i][1]
        if op not in ("add", "replace", "delete"):
            raise LdifError(f"expected add/replace/delete in {dn}, got {pairs[i][0]!r}")
        values = []
        i += 1
        while i < len(pairs) and pairs[i][0] != "-":
            if pairs[i][0].lower() != attribute.lower():
                raise LdifError(f"{pairs[i][0]} inside the {op} of {attribute} in {dn}")
            values.append(pairs[i][1])
            i += 1
        i += 1  # skip "-"
        result.append((op, attribute, values))
    return result


def _safe(value: str) -> bool:
    """RFC 2849 SAFE-STRING: ASCII without NUL, CR, LF, not starting with space, colon or '<'."""
    return (value == "" or (value.isascii() and value[0] not in " :<" and not value.endswith(" ")
                            and not any(c in value for c in "\x00\r\n")))


def dump(dn: str, attributes: dict[str, list]) -> str:
    """One entry as an LDIF content record; bytes and unsafe strings go base64."""
    lines = []
    for name, values in [("dn", [dn])] + list(attributes.items()):
        for value in values:
            if isinstance(value, bytes):
                lines.append(f"{name}:: {base64.b64encode(value).decode()}")
            elif _safe(value):
                lines.append(f"{name}: {value}")
            else:
                lines.append(f"{name}:: {base64.b64encode(value.encode()).decode()}")
    return "\n".join(lines) + "\n\n"
