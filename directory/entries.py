"""Search result entries read lean: raw values decoded with `bytes.decode`, only the attributes a record asks."""
from __future__ import annotations

import contextlib

from ldap3.strategy.sync import SyncStrategy

RAW = "sesame_raw_entries"     # on a connection while raw() holds: the entries of its search, read lean
_SEARCH_RESULT_ENTRY = 0x64    # [APPLICATION 4], constructed: a searchResEntry (RFC 4511)


class LeanStrategy(SyncStrategy):
    """ldap3's synchronous strategy, except that while `raw(conn)` holds, each entry a search returns is read
    here, straight from its BER, and kept aside as its DN and raw values: ldap3's generic decoder and
    per-attribute formatting cost the « Élèves » results more than the directory's own sort (README,
    Benchmarks). ldap3 still reads every other message (the search's end, its controls, its errors)."""

    def receiving(self):
        lean = getattr(self.connection, RAW, None)
        while True:
            messages = super().receiving()
            if lean is None or not messages:
                return messages
            kept = []
            for message in messages:
                entry = _entry(message, self._outstanding)
                if entry is None:
                    kept.append(message)
                else:
                    lean.append(entry)
            if kept:        # an empty list would tell ldap3 the server hung up: read on
                return kept


def lean(conn) -> None:
    """Make a new ldap3 connection read through LeanStrategy (ldap3 picks its strategy class itself)."""
    if type(conn.strategy) is SyncStrategy:
        conn.strategy.__class__ = LeanStrategy


@contextlib.contextmanager
def raw(conn):
    """Within: the entries of `conn`'s searches are given as (dn, {lowercased attribute: [raw values]}) in the
    list yielded, not in `conn.response`."""
    found: list[tuple[str, dict[str, list[bytes]]]] = []
    setattr(conn, RAW, found)
    try:
        yield found
    finally:
        setattr(conn, RAW, None)


def texts(values: list[bytes] | None) -> list[str] | None:
    """An attribute's raw values as text (what ldap3 gives for a directory string); None when absent."""
    return [value.decode("utf-8", "replace") for value in values] if values else None


def _element(data: bytes, at: int) -> tuple[int, int, int]:
    """The BER element at `at`: its tag, where its value starts and ends (LDAP uses definite lengths only)."""
    length = data[at + 1]
    start = at + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[start:start + count], "big")
        start += count
    return data[at], start, start + length


def _entry(message: bytes, outstanding) -> tuple[str, dict[str, list[bytes]]] | None:
    """A searchResEntry of an operation under way, read: (dn, raw values by lowercased name); None for any other
    message, or one this reading does not understand (ldap3 then reads it, and says what is wrong)."""
    try:
        _, at, _ = _element(message, 0)                       # LDAPMessage
        _, start, end = _element(message, at)                 # messageID
        if int.from_bytes(message[start:end], "big", signed=True) not in outstanding:
            return None
        tag, at, _ = _element(message, end)                   # protocolOp
        if tag != _SEARCH_RESULT_ENTRY:
            return None
        _, start, end = _element(message, at)                 # objectName
        dn = bytes(message[start:end]).decode("utf-8", "replace")
        _, at, attributes_end = _element(message, end)        # attributes
        found: dict[str, list[bytes]] = {}
        while at < attributes_end:
            _, at, attribute_end = _element(message, at)      # PartialAttribute
            _, start, end = _element(message, at)             # type
            name = bytes(message[start:end]).decode("ascii", "replace").lower()
            _, at, values_end = _element(message, end)        # vals (SET OF)
            values = []
            while at < values_end:
                _, start, at = _element(message, at)
                values.append(bytes(message[start:at]))
            found[name] = values
            at = attribute_end
        return dn, found
    except (IndexError, ValueError):
        return None
