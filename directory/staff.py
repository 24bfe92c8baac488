"""The staff member a request acts for, read in one search: their entry, the identity team's group, their
delegations running now."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import ldap3

from . import attributes as A
from .delegations import DELEGATION_ATTRIBUTES, delegation_of, roles_given, running
from .errors import NotFound
from .escaping import all_of, any_of, dn, equals
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
    identity team's group if it counts them among its members (the directory matches the DN), and the delegations
    `uid` holds now. Every entry is placed by its DN, so a student or parent with the same uid is never taken for
    the staff member."""
    now = datetime.now(timezone.utc)
    staff_base = normalized(directory.base(A.STAFF))
    group = normalized(f"cn={A.ADMIN_GROUP_CN},{directory.base(A.GROUPS)}")
    establishments = "," + normalized(directory.base(A.ESTABLISHMENTS))
    filter_ = any_of(equals(A.UID, uid),
                     all_of(equals(A.OBJECT_CLASS, A.OC_GROUP), equals(A.CN, A.ADMIN_GROUP_CN),
                            equals(A.MEMBER, dn(A.UID, uid, directory.base(A.STAFF)))),
                     running(uid, now))
    found = directory.search(directory.suffix, filter_,
                             list(dict.fromkeys(STAFF_ATTRIBUTES + DELEGATION_ATTRIBUTES)), ldap3.SUBTREE)
    entries, is_admin, delegations = [], False, []
    for entry_dn, entry in found:
        where = normalized(entry_dn)
        if _SEPARATOR.split(where, 1)[-1] == staff_base:
            entries.append((entry_dn, entry))
        elif where == group:
            is_admin = True
        elif where.endswith(establishments) and entry.get(A.DELEGATION_KIND):
            delegations.append(delegation_of(entry))
    if len(entries) != 1:
        raise NotFound(uid)
    staff_dn, entry = entries[0]
    return _member(directory, staff_dn, entry, uid, is_admin, roles_given(delegations, now))


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
