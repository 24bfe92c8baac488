"""The one place where values enter LDAP filters and DNs: everything is escaped here."""
from __future__ import annotations

from ldap3.utils.dn import escape_rdn

_FILTER_SPECIALS = {"\\": r"\5c", "*": r"\2a", "(": r"\28", ")": r"\29", "\x00": r"\00"}


def filter_value(value: str) -> str:
    """Escape a value for use inside a filter assertion (RFC 4515)."""
    return "".join(_FILTER_SPECIALS.get(char, char) for char in str(value))


def equals(attribute: str, value: str) -> str:
    return f"({attribute}={filter_value(value)})"


def contains(attribute: str, value: str) -> str:
    return f"({attribute}=*{filter_value(value)}*)"


def starts_with(attribute: str, value: str) -> str:
    return f"({attribute}={filter_value(value)}*)"


def all_of(*filters: str) -> str:
    parts = [f for f in filters if f]
    return parts[0] if len(parts) == 1 else "(&" + "".join(parts) + ")"


def any_of(*filters: str) -> str:
    parts = [f for f in filters if f]
    if not parts:
        return "(!(objectClass=*))"
    return parts[0] if len(parts) == 1 else "(|" + "".join(parts) + ")"


def rdn(attribute: str, value: str) -> str:
    """One relative DN component, `attribute=value`, with the value escaped (RFC 4514)."""
    return f"{attribute}={escape_rdn(str(value))}"


def dn(attribute: str, value: str, parent: str) -> str:
    return f"{rdn(attribute, value)},{parent}"


# « Alimentation » (removable leavers)
def at_most(attribute: str, value: str) -> str:
    return f"({attribute}<={filter_value(value)})"


def lacks(attribute: str) -> str:
    return f"(!({attribute}=*))"
