"""Search result entries read lean: raw values decoded with `bytes.decode`, only the attributes a record asks."""
from __future__ import annotations

import contextlib

from ldap3.strategy.sync import SyncStrategy

RAW = "sesame_raw_entries"    # set on a connection while a search's entries are to be kept raw
_SEARCH_RESULT_ENTRY = 4      # the protocolOp of a searchResEntry (RFC 4511)


class LeanStrategy(SyncStrategy):
    """ldap3's synchronous strategy, except that while `raw(conn)` holds, each entry of a search is kept as
    its DN and its raw values by lowercased attribute name — none of ldap3's per-attribute formatting, which
    cost the « Élèves » results more than the directory's own sort (README, Benchmarks)."""

    def decode_response_fast(self, ldap_message):
        if ldap_message["protocolOp"] != _SEARCH_RESULT_ENTRY or not getattr(self.connection, RAW, False):
            return super().decode_response_fast(ldap_message)
        name, attributes = ldap_message["payload"]
        return {"type": "searchResEntry", "dn": name[3].decode("utf-8", "replace"),
                "raw": {kind[3].decode("ascii", "replace").lower(): [value[3] for value in values[3]]
                        for (_, _, _, (kind, values)) in attributes[3]}}


def lean(conn) -> None:
    """Make a new ldap3 connection read through LeanStrategy (ldap3 picks its strategy class itself)."""
    if type(conn.strategy) is SyncStrategy:
        conn.strategy.__class__ = LeanStrategy


@contextlib.contextmanager
def raw(conn):
    """Within: the searches of `conn` give entries as {"dn", "raw"} (see LeanStrategy)."""
    setattr(conn, RAW, True)
    try:
        yield
    finally:
        setattr(conn, RAW, False)


def raw_entries(conn) -> list[dict[str, list[bytes]]]:
    """The raw values of each entry of the last search, by lowercased attribute name."""
    return [e["raw"] for e in conn.response if e.get("type") == "searchResEntry"]


def texts(values: list[bytes] | None) -> list[str] | None:
    """An attribute's raw values as text (what ldap3 gives for a directory string); None when absent."""
    return [value.decode("utf-8", "replace") for value in values] if values else None
