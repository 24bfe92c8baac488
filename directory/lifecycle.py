"""The account lifecycle of SPEC §4 and §6 as pure rules: what (re)notifying or resetting does to each state."""
from __future__ import annotations

import enum
from dataclasses import dataclass

from datetime import datetime

from .model import AccountState, provisional_expired


class Action(enum.Enum):
    """What a staff member asks for on accounts; also the kind of a job."""
    NOTIFY = "notify"          # « (Re)Notifier les comptes », letters or not
    RESET = "reset"            # « Réinitialiser les mots de passe »
    LIST = "list"              # « Lister les comptes »: changes nothing
    REPRINT = "reprint"        # « Réimprimer » a past job's letters: changes nothing

    @property
    def changes_accounts(self) -> bool:
        return self not in (Action.LIST, Action.REPRINT)


class ShownPassword(enum.Enum):
    """What a list, the dépannage table or a reprint may say of an account's password."""
    NONE = "none"              # « Non notifié »: no password at all
    HIDDEN = "hidden"          # « Activé »: the holder's own, never shown (*****)
    EXPIRED = "expired"        # a provisional password that no longer signs in: « expiré », never printed
    PROVISIONAL = "provisional"   # the provisional password, which still signs in


def shown_password(state: AccountState, password_changed: datetime | None, provisional_days: int,
                   now: datetime | None = None) -> ShownPassword:
    """The one rule « does the password we would print still sign in? »: a « Notifié et non activé »
    account's provisional password stops `provisional_days` after it was given (0: never), and from then on
    nothing prints it — the holder who typed it would be refused. Asked by every document and screen."""
    if state is AccountState.NOT_NOTIFIED:
        return ShownPassword.NONE
    if state is AccountState.ACTIVE:
        return ShownPassword.HIDDEN
    if provisional_expired(state, password_changed, provisional_days, now):
        return ShownPassword.EXPIRED
    return ShownPassword.PROVISIONAL


def shows_password(state: AccountState) -> bool:
    """A letter or a list shows the provisional password of a « Notifié et non activé » account only:
    an activated account's letter shows its identifier and no password."""
    return state is AccountState.NOTIFIED


@dataclass(frozen=True)
class Change:
    """What happens to one account. `new_password`: a fresh provisional password replaces any other."""
    before: AccountState
    after: AccountState
    new_password: bool
    stamp_notification: bool     # the notification date becomes now

    @property
    def changes_anything(self) -> bool:
        return self.new_password or self.stamp_notification or self.after is not self.before

    @property
    def letter_shows_password(self) -> bool:
        return shows_password(self.after)


def notify(state: AccountState, reset_password: bool = False, expired: bool = False) -> Change:
    """SPEC §4: Non notifié gets a provisional password; Notifié keeps it unless reset, or unless it
    expired (a letter must never print a password that no longer signs in); Activé keeps its own
    password unless reset, which sends it back to Notifié (change at next sign-in)."""
    if state is AccountState.NOT_NOTIFIED:
        return Change(state, AccountState.NOTIFIED, new_password=True, stamp_notification=True)
    if state is AccountState.NOTIFIED:
        return Change(state, AccountState.NOTIFIED, new_password=reset_password or expired,
                      stamp_notification=True)
    if reset_password:
        return Change(state, AccountState.NOTIFIED, new_password=True, stamp_notification=True)
    return Change(state, AccountState.ACTIVE, new_password=False, stamp_notification=False)


def reset(state: AccountState) -> Change:
    """SPEC §6: every account gets a new provisional password and is « Notifié et non activé »; one that
    was never notified is notified by it."""
    return Change(state, AccountState.NOTIFIED, new_password=True,
                  stamp_notification=state is AccountState.NOT_NOTIFIED)


def decide(action: Action, state: AccountState, reset_password: bool = False, expired: bool = False) -> Change:
    if action is Action.NOTIFY:
        return notify(state, reset_password, expired)
    if action is Action.RESET:
        return reset(state)
    raise ValueError(f"{action} changes no account")
