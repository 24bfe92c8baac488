"""A one-level search sorted and cut into pages by slapd (sort and VLV controls), with the total it counts: the
journal's pages, the pairs of « Doublons »."""
from __future__ import annotations

from dataclasses import dataclass

import ldap3

from .connection import translated
from .errors import PageOutOfRange
from .sorting import VLV_RESPONSE_OID, SortKey, page_control, read_page_answer, sort_control



@dataclass(frozen=True)
class SortedPage:
    """Where one page of a sorted search stands: the total slapd counted, its number (1-based) and size."""
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def sorted_page(directory, base: str, filter_: str, attributes, keys: list[SortKey], number: int,
                size: int) -> tuple[list[dict], int]:
    """Rows `number` (1-based page of `size`) of a one-level search sorted by slapd, and the total slapd counts: the
    entries' attributes, and how many match in all. A page past the end is empty."""
    controls = [sort_control(keys), page_control((max(1, number) - 1) * size + 1, size)]

    def operation(conn):
        conn.sesame_retire = True       # a sorted search's context is released with its connection
        try:
            with translated():
                conn.search(base, filter_, ldap3.LEVEL, attributes=attributes, controls=controls)
            entries = [e["attributes"] for e in conn.response if e.get("type") == "searchResEntry"]
        except PageOutOfRange:
            entries = []
        answer = (conn.result.get("controls") or {}).get(VLV_RESPONSE_OID)
        return entries, read_page_answer(answer["value"]).total if answer else len(entries)
    return directory.reads.run(operation)
