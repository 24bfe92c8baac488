"""slapd's olcDbIndex values, and how a migration's indexes merge with those a database already has."""
from __future__ import annotations

from dataclasses import dataclass

# slapd's index types (servers/slapd/index.c). `sub` is the three substring kinds together;
# `substr` and `nolang` are its older names for `sub` and `notags`.
_SUB = ("subinitial", "subany", "subfinal")
_ALIASES = {"substr": "sub", "nolang": "notags", "equality": "eq", "present": "pres",
            "approximate": "approx"}
_KNOWN = ("eq", "pres", "approx", *_SUB, "notags", "nosubtypes")


class IndexDefinitionError(ValueError):
    pass


def _types(text: str) -> frozenset[str]:
    found: set[str] = set()
    for raw in text.split(","):
        name = raw.strip().lower()
        if not name:
            continue
        name = _ALIASES.get(name, name)
        if name == "sub":
            found.update(_SUB)
        elif name in _KNOWN:
            found.add(name)
        else:
            raise IndexDefinitionError(f"unknown index type {raw.strip()!r} in olcDbIndex")
    return frozenset(found)


def render_types(types: frozenset[str]) -> str:
    names = [t for t in ("eq", "pres", "approx") if t in types]
    names += ["sub"] if set(_SUB) <= types else [t for t in _SUB if t in types]
    names += [t for t in ("notags", "nosubtypes") if t in types]
    return ",".join(names)


@dataclass(frozen=True)
class IndexValue:
    """One olcDbIndex value: `cn,uid eq` names two attributes indexed the same way."""
    text: str                      # as slapd holds it: a delete must name it exactly
    attributes: tuple[str, ...]
    types_text: str                # empty: the database's `default` types
    types: frozenset[str]


def parse_index(text: str) -> IndexValue:
    parts = text.split(None, 1)
    if not parts:
        raise IndexDefinitionError("an empty olcDbIndex value")
    attributes = tuple(a.strip() for a in parts[0].split(",") if a.strip())
    types_text = parts[1].strip() if len(parts) > 1 else ""
    return IndexValue(text, attributes, types_text, _types(types_text))


def merge_indexes(existing: list[str], wanted: list[str]) -> tuple[list[str], list[str]]:
    """The olcDbIndex values to delete and to add, in one modify, so that every attribute keeps the
    index types it has and gains those `wanted` asks for.

    slapd refuses a second value for an attribute already indexed (« duplicate index definition »)
    and an exact value already there (attributeOrValueExists), so a wanted index is never added as
    it is: an attribute already indexed at least as wanted is left alone; one that needs more types
    has its value rewritten with the union (`cn,uid eq` plus `uid eq,pres` becomes `cn eq` and
    `uid eq,pres`); an attribute not indexed yet is added. slapd reindexes only what changed.
    """
    current = [parse_index(v) for v in existing]
    default = next((v.types for v in current if "default" in (a.lower() for a in v.attributes)),
                   frozenset())
    holder: dict[str, int] = {}
    for i, value in enumerate(current):
        for attribute in value.attributes:
            holder[attribute.lower()] = i

    def have(i: int) -> frozenset[str]:
        return current[i].types or default

    grown: dict[str, tuple[str, frozenset[str]]] = {}     # attribute already indexed, with more types
    added: dict[str, tuple[str, frozenset[str]]] = {}     # attribute not indexed yet
    for value in (parse_index(w) for w in wanted):
        types = value.types or default
        for attribute in value.attributes:
            key = attribute.lower()
            if key in holder:
                # the name as the database spells it
                name = next(a for a in current[holder[key]].attributes if a.lower() == key)
                types_now = grown.get(key, (name, have(holder[key])))[1]
                if not types <= types_now:
                    grown[key] = (name, types_now | types)
            else:
                name, types_now = added.get(key, (attribute, frozenset()))
                added[key] = (name, types_now | types)

    rewritten = sorted({holder[key] for key in grown})
    delete = [current[i].text for i in rewritten]
    add = []
    for i in rewritten:
        kept = [a for a in current[i].attributes if a.lower() not in grown]
        if kept:
            types_text = current[i].types_text or render_types(have(i))
            add.append(f"{','.join(kept)} {types_text}")
    add += [f"{name} {render_types(types)}" for name, types in grown.values()]
    add += [f"{name} {render_types(types)}" for name, types in added.values()]
    return delete, add
