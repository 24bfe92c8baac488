"""The controls for sorted pages: server-side sort (RFC 2891) and virtual list view (VLV), BER by hand."""
from __future__ import annotations

from dataclasses import dataclass

from ldap3.core.results import RESULT_CODES
from pyasn1.codec.ber import decoder, encoder
from pyasn1.type import namedtype, tag, univ

SORT_OID = "1.2.840.113556.1.4.473"
VLV_REQUEST_OID = "2.16.840.1.113730.3.4.9"
VLV_RESPONSE_OID = "2.16.840.1.113730.3.4.10"
VLV_ERROR = 76          # the result code of a VLV request slapd cannot serve (e.g. offset past the end)
# ldap3 does not know this code (RFC 2891's companion draft) and fails to decode the answer without it.
RESULT_CODES.setdefault(VLV_ERROR, "virtualListViewError")


@dataclass(frozen=True)
class SortKey:
    attribute: str
    ordering_rule: str | None = None     # needed for attributes whose schema has no ORDERING
    reverse: bool = False


class _SortKey(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("attributeType", univ.OctetString()),
        namedtype.OptionalNamedType("orderingRule", univ.OctetString().subtype(
            implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, 0))),
        namedtype.DefaultedNamedType("reverseOrder", univ.Boolean(False).subtype(
            implicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatSimple, 1))),
    )


class _SortKeyList(univ.SequenceOf):
    componentType = _SortKey()


class _ByOffset(univ.Sequence):
    tagSet = univ.Sequence.tagSet.tagImplicitly(tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0))
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("offset", univ.Integer()),
        namedtype.NamedType("contentCount", univ.Integer()),
    )


class _Target(univ.Choice):
    componentType = namedtype.NamedTypes(namedtype.NamedType("byOffset", _ByOffset()))


class _VlvRequest(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("beforeCount", univ.Integer()),
        namedtype.NamedType("afterCount", univ.Integer()),
        namedtype.NamedType("target", _Target()),
    )


class _VlvResponse(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType("targetPosition", univ.Integer()),
        namedtype.NamedType("contentCount", univ.Integer()),
        namedtype.NamedType("virtualListViewResult", univ.Enumerated()),
        namedtype.OptionalNamedType("contextID", univ.OctetString()),
    )


def sort_control(keys: list[SortKey]) -> tuple[str, bool, bytes]:
    value = _SortKeyList()
    for i, key in enumerate(keys):
        item = _SortKey()
        item["attributeType"] = key.attribute
        if key.ordering_rule:
            item["orderingRule"] = key.ordering_rule
        if key.reverse:
            item["reverseOrder"] = True
        value[i] = item
    return (SORT_OID, True, encoder.encode(value))


def page_control(offset: int, size: int) -> tuple[str, bool, bytes]:
    """Rows `offset`..`offset + size - 1` (1-based) of the sorted result."""
    request = _VlvRequest()
    request["beforeCount"] = 0
    request["afterCount"] = max(size - 1, 0)
    target = _ByOffset()
    target["offset"] = offset
    target["contentCount"] = 0
    request["target"]["byOffset"] = target
    return (VLV_REQUEST_OID, True, encoder.encode(request))


@dataclass(frozen=True)
class PageAnswer:
    position: int
    total: int
    result: int        # 0 success; 61 offsetRangeError ...


def read_page_answer(raw: bytes) -> PageAnswer:
    decoded, _ = decoder.decode(raw, asn1Spec=_VlvResponse())
    return PageAnswer(int(decoded["targetPosition"]), int(decoded["contentCount"]),
                      int(decoded["virtualListViewResult"]))

