"""SPEC §4 and §6, state by state, with and without the reset option."""
import pytest

from directory.lifecycle import Action, decide, notify, reset
from directory.model import AccountState

NOT, NOTIFIED, ACTIVE = AccountState.NOT_NOTIFIED, AccountState.NOTIFIED, AccountState.ACTIVE


@pytest.mark.parametrize("reset_password", [False, True])
def test_notify_a_never_notified_account_gives_a_password(reset_password):
    change = notify(NOT, reset_password)
    assert (change.after, change.new_password, change.stamp_notification) == (NOTIFIED, True, True)


def test_notify_a_notified_account_keeps_its_password():
    change = notify(NOTIFIED)
    assert (change.after, change.new_password, change.stamp_notification) == (NOTIFIED, False, True)


def test_notify_a_notified_account_with_reset_gives_a_new_password():
    change = notify(NOTIFIED, reset_password=True)
    assert (change.after, change.new_password) == (NOTIFIED, True)


def test_notify_an_active_account_touches_nothing():
    change = notify(ACTIVE)
    assert (change.after, change.new_password, change.stamp_notification) == (ACTIVE, False, False)
    assert not change.changes_anything and not change.letter_shows_password


def test_notify_an_active_account_with_reset_sends_it_back_to_notified():
    change = notify(ACTIVE, reset_password=True)
    assert (change.after, change.new_password, change.stamp_notification) == (NOTIFIED, True, True)
    assert change.letter_shows_password


@pytest.mark.parametrize("state", [NOT, NOTIFIED, ACTIVE])
def test_reset_always_gives_a_new_password_and_notified(state):
    change = reset(state)
    assert (change.after, change.new_password) == (NOTIFIED, True)
    assert change.stamp_notification is (state is NOT)


def test_decide_dispatches_on_the_action():
    assert decide(Action.RESET, ACTIVE) == reset(ACTIVE)
    assert decide(Action.NOTIFY, ACTIVE, True) == notify(ACTIVE, True)


def test_only_an_activated_account_shows_a_last_sign_in():
    from datetime import datetime, timezone

    from directory.model import last_sign_in
    bound = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)
    assert last_sign_in(AccountState.ACTIVE, bound) == bound
    assert last_sign_in(AccountState.NOTIFIED, bound) is None       # a provisional password checked, or reset
    assert last_sign_in(AccountState.NOT_NOTIFIED, bound) is None
    assert last_sign_in(AccountState.ACTIVE, None) is None


def test_notify_a_notified_account_whose_password_expired_gives_a_new_one():
    change = notify(NOTIFIED, reset_password=False, expired=True)
    assert change.new_password and change.after is AccountState.NOTIFIED
    assert not notify(ACTIVE, expired=True).new_password
