"""The staff member a request acts for, read in one search: their entry, the identity team's group, their
delegations running now."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import ldap3

from . import attributes as A
from .delegations import DELEGATION_ATTRIBUTES, delegation_of, roles_given, running
from .errors import NotFound
from .escaping import all_of, any_of, equals
from .mapping import first
from .model import Role, Staff

_SEPARATOR = re.compile(r"(?<!\\),")     # a comma not escaped in a value
STAFF_ATTRIBUTES = [A.UID, A.CN, A.DISPLAY_NAME, A.HEAD_OF, A.SUPPORT_FOR, A.PWD_CHANGED_TIME]


def staff_password_version(entry: dict) -> str:
    """Changes with the staff member's password (pwdChangedTime, kept by ppolicy whoever changes it)."""
    return str(first(entry.get(A.PWD_CHANGED_TIME), ""))


def normalized(dn: str) -> str:
    """A DN compared as the directory does for Sésame's naming attributes (uid, cn, ou, dc: case ignored,
    spaces around separators dropped)."""
    return ",".join("=".join(side.strip() for side in part.split("=", 1)) for part in _SEPARATOR.split(dn.lower()))


def read_staff(directory, uid: str) -> Staff:
    """`Directory.staff` in one search from the suffix: the entry named `uid` right below the staff branch, the
    identity team's group (its members compared here), and the delegations `uid` holds now. Every entry is
    placed by its DN, so a student or parent with the same uid is never taken for the staff member."""
    now = datetime.now(timezone.utc)
    staff_base = normalized(directory.base(A.STAFF))
    group = normalized(f"cn={A.ADMIN_GROUP_CN},{directory.base(A.GROUPS)}")
    establishments = "," + normalized(directory.base(A.ESTABLISHMENTS))
    filter_ = any_of(equals(A.UID, uid),
                     all_of(equals(A.OBJECT_CLASS, A.OC_GROUP), equals(A.CN, A.ADMIN_GROUP_CN)),
                     running(uid, now))
    found = directory.search(directory.suffix, filter_,
                             list(dict.fromkeys(STAFF_ATTRIBUTES + [A.MEMBER] + DELEGATION_ATTRIBUTES)), ldap3.SUBTREE)
    entries, members, delegations = [], set(), []
    for dn, entry in found:
        where = normalized(dn)
        if _SEPARATOR.split(where, 1)[-1] == staff_base:
            entries.append((dn, entry))
        elif where == group:
            members = {normalized(str(m)) for m in entry.get(A.MEMBER) or ()}
        elif where.endswith(establishments) and entry.get(A.DELEGATION_KIND):
            delegations.append(delegation_of(entry))
    if len(entries) != 1:
        raise NotFound(uid)
    dn, entry = entries[0]
    return _member(directory, dn, entry, uid, normalized(dn) in members, roles_given(delegations, now))


def _member(directory, dn: str, entry: dict, uid: str, is_admin: bool, delegated: dict[str, Role]) -> Staff:
    name = first(entry.get(A.DISPLAY_NAME), "") or first(entry.get(A.CN), "") or uid
    uid = first(entry.get(A.UID), uid)
    version = staff_password_version(entry)
    if is_admin:
        uais = tuple(e.uai for e in directory.establishments())
        return Staff(uid, dn, name, Role.ADMIN, uais, version)
    # their own roles, then what delegations give them today; one role per establishment is chosen by
    # the model, among those the way their session was opened may open (Staff.limited_to)
    own_support, own_head = sorted(entry.get(A.SUPPORT_FOR) or []), sorted(entry.get(A.HEAD_OF) or [])
    grants = [(uai, Role.SUPPORT) for uai in own_support] + [(uai, Role.HEAD) for uai in own_head]
    grants += list(delegated.items())
    member = Staff.holding(uid, dn, name, grants, version, sso_only=bool(own_support) and not own_head)
    if member is None:
        raise NotFound(f"{uid} has no role in any establishment")
    return member
