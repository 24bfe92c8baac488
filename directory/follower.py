"""What changes accounts outside Sésame, followed back into its state: a password chosen at the SSO (or any
service) activates the account, and leavers are locked or unlocked as the directory's one rule says."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import ldap3

from . import attributes as A
from .errors import Conflict, NotFound
from .escaping import all_of, at_least, equals, none_of
from .mapping import first, parse_time
from .model import AccountState
from .registry.leavers import keep_leavers_locked

log = logging.getLogger(__name__)

CONTEXT_CSN = "contextCSN"
ENTRY_CSN = "entryCSN"
MARGIN = timedelta(seconds=30)     # a write still being committed when the last pass read the directory's clock
_READ = [A.ACCOUNT_STATE, A.SEALED_PASSWORD, A.PWD_CHANGED_TIME, A.UAI, A.OBJECT_CLASS]


@dataclass(frozen=True)
class Activated:
    dn: str
    uais: tuple[str, ...]
    on: str                        # pwdChangedTime: when the holder chose the password


def activated_elsewhere() -> str:
    """A « Notifié et non activé » account whose password is no longer provisional: its holder chose their own
    at the SSO or another service (Sésame's own first sign-in makes the account « Activé » in the same write)."""
    return all_of(equals(A.OBJECT_CLASS, A.OC_ACCOUNT), equals(A.ACCOUNT_STATE, AccountState.NOTIFIED.value),
                  none_of(equals(A.PWD_RESET, "TRUE")))


def _csn_time(csn: str) -> datetime:
    return datetime.strptime(csn.split("#", 1)[0], "%Y%m%d%H%M%S.%fZ").replace(tzinfo=timezone.utc)


def _csn(moment: datetime) -> str:
    return moment.strftime("%Y%m%d%H%M%S.%fZ") + "#000000#000#000000"


class Follower:
    """Reads, every few seconds, the accounts the directory changed since the last pass (entryCSN, which
    slapd stamps on every write and indexes for replication), and applies the rules to those that need it.
    Its first pass looks at every account. Idempotent: two followers, or a pass that read an entry twice,
    change nothing more."""

    def __init__(self, directory, tolerance_days: int, on_activated=None, today=None):
        self.directory = directory
        self.tolerance_days = tolerance_days
        self.on_activated = on_activated or (lambda activated: None)
        self.today = today or date.today
        self.since: str | None = None          # the directory's clock (a CSN) at the last pass, less MARGIN

    def _search(self, base: str, filter_: str, attributes, scope=ldap3.LEVEL) -> list[tuple[str, dict, dict]]:
        """On the provider, where the SSO's binds and password changes land (a consumer may lag)."""
        def operation(conn):
            conn.search(base, filter_, scope, attributes=attributes)
            return [(e["dn"], e["attributes"], e["raw_attributes"]) for e in conn.response
                    if e.get("type") == "searchResEntry"]
        return self.directory.writes.run(operation)

    def _clock(self) -> str:
        found = self._search(self.directory.suffix, "(objectClass=*)", [CONTEXT_CSN], ldap3.BASE)
        csns = [str(c) for c in (found[0][1].get(CONTEXT_CSN) or [])] if found else []
        moment = max((_csn_time(c) for c in csns), default=datetime.now(timezone.utc))
        return _csn(moment - MARGIN)

    def follow(self) -> tuple[list[Activated], list[str], list[str]]:
        """One pass: (activations recorded, leavers locked, leavers unlocked)."""
        clock = self._clock()
        changed = [] if self.since is None else [at_least(ENTRY_CSN, self.since)]
        activated = []
        for branch in (A.STUDENTS, A.GUARDIANS):
            found = self._search(self.directory.base(branch), all_of(activated_elsewhere(), *changed), _READ)
            activated += [a for a in (self._activate(*entry) for entry in found) if a]
        leavers_moved = self.since is None or bool(self._search(
            self.directory.base(A.STUDENTS), all_of(equals(A.OBJECT_CLASS, A.OC_LEAVER), *changed), ["1.1"]))
        locked, unlocked = (keep_leavers_locked(self.directory, self.tolerance_days, self.today())
                            if leavers_moved else ([], []))
        self.since = clock
        if activated:
            self.on_activated(activated)
        return activated, locked, unlocked

    def lock_leavers(self) -> tuple[list[str], list[str]]:
        """The leavers' rule over every leaver (days pass without any write: run at least daily)."""
        return keep_leavers_locked(self.directory, self.tolerance_days, self.today())

    def _activate(self, entry_dn: str, entry: dict, raw: dict) -> Activated | None:
        """« Activé », dated when the holder chose the password, the sealed provisional password erased: one
        modify, conditional on the state and sealed password read (a reset meanwhile makes it fail)."""
        when = (parse_time(first(entry.get(A.PWD_CHANGED_TIME))) or datetime.now(timezone.utc)).strftime("%Y%m%d%H%M%SZ")
        classes = {str(c).lower() for c in entry.get(A.OBJECT_CLASS) or ()}
        modifications = {
            A.ACCOUNT_STATE: [(ldap3.MODIFY_DELETE, [AccountState.NOTIFIED.value]),
                              (ldap3.MODIFY_ADD, [AccountState.ACTIVE.value])],
            A.ACTIVATION_DATE: [(ldap3.MODIFY_REPLACE, [when])],
        }
        if A.OC_ACTIVATION.lower() not in classes:
            modifications[A.OBJECT_CLASS] = [(ldap3.MODIFY_ADD, [A.OC_ACTIVATION])]
        sealed = first(raw.get(A.SEALED_PASSWORD))
        if sealed:
            modifications[A.SEALED_PASSWORD] = [(ldap3.MODIFY_DELETE, [sealed])]
        try:
            self.directory.writes.run(lambda conn: conn.modify(entry_dn, modifications))
        except (Conflict, NotFound):
            return None          # reset or removed meanwhile: nothing to follow
        log.info("activated outside Sésame: %s", entry_dn)
        return Activated(entry_dn, tuple(str(u) for u in entry.get(A.UAI) or ()), when)
