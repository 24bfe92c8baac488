"""The account actions as one service each caller shares (the row's button, the bulk job): read, refuse
what may not be changed, decide by the lifecycle, write conditionally; one outcome per account."""
from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Callable, Iterable

from .accounts import AccountRecord, Accounts, Applied
from .errors import Conflict
from .lifecycle import Action, decide
from .model import AccountOrigin, provisional_expired


class Outcome(enum.Enum):
    DONE = "done"
    UNCHANGED = "unchanged"
    REFUSED = "refused"


class Refusal(enum.Enum):
    FRANCECONNECT = "franceconnect"      # signs in through FranceConnect: no letter, no password of ours
    CHANGED_MEANWHILE = "changed"        # someone else changed the account since it was read
    GONE = "gone"                        # no longer of this population at this establishment


@dataclass(frozen=True)
class AccountOutcome:
    account_id: str
    outcome: Outcome
    refusal: Refusal | None = None
    applied: Applied | None = None

    @property
    def password(self) -> str | None:
        """The provisional password the holder now has, if a letter may show it."""
        return self.applied.password if self.applied else None


def voids_recovery(action: Action, reset_password: bool) -> bool:
    """A password given by the school voids the holders' pending recovery links."""
    return action is Action.RESET or reset_password


def change_account(accounts: Accounts, record: AccountRecord, action: Action, mark: str, *,
                   reset_password: bool = False, provisional_days: int = 90,
                   proposed_identifier: str | None = None) -> AccountOutcome:
    """One account (re)notified or reset, conditional on `record`; `mark` is the job's (or the row's)."""
    if record.origin == AccountOrigin.FRANCECONNECT.value:
        return AccountOutcome(record.account_id, Outcome.REFUSED, Refusal.FRANCECONNECT)
    expired = provisional_expired(record.state, record.password_changed, provisional_days)
    change = decide(action, record.state, reset_password, expired)
    try:
        applied = accounts.apply(record, change, mark, proposed_identifier=proposed_identifier)
    except Conflict:
        return AccountOutcome(record.account_id, Outcome.REFUSED, Refusal.CHANGED_MEANWHILE)
    outcome = Outcome.DONE if (applied.already_done or change.changes_anything) else Outcome.UNCHANGED
    return AccountOutcome(record.account_id, outcome, None, applied)


def change_accounts(accounts: Accounts, uai: str, account_ids: Iterable[str], action: Action, mark: str, *,
                    reset_password: bool = False, provisional_days: int = 90,
                    revoke_recovery: Callable[[list[str]], None] | None = None,
                    map_=map) -> list[AccountOutcome]:
    """Every account of `account_ids` of the population at `uai` changed as `action` says, one entry
    at a time (`map_`: a thread pool's map lets argon2 use every core). Accounts not found are refused."""
    wanted = list(account_ids)
    records = accounts.read(uai, wanted)
    if revoke_recovery and voids_recovery(action, reset_password):
        revoke_recovery([i for i, r in records.items() if r.origin != AccountOrigin.FRANCECONNECT.value])
    proposals = accounts.propose_identifiers(records.values())
    outcomes = [AccountOutcome(missing, Outcome.REFUSED, Refusal.GONE)
                for missing in dict.fromkeys(wanted) if missing not in records]

    def one(record: AccountRecord) -> AccountOutcome:
        return change_account(accounts, record, action, mark, reset_password=reset_password,
                              provisional_days=provisional_days,
                              proposed_identifier=proposals.get(record.account_id))
    # in the order asked (a job's accounts are in the order of its letters)
    return outcomes + list(map_(one, [records[i] for i in dict.fromkeys(wanted) if i in records]))
