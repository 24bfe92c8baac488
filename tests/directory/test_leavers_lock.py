"""The directory's one rule about leavers: locked by ppolicy once past the tolerance (every service that binds
honours it), unlocked when the registry brings them back; the other locks are not its business."""
from datetime import date, timedelta

import ldap3

from directory import attributes as A
from directory.model import AccountState
from directory.registry.leavers import LEAVER_LOCK, keep_leavers_locked
from support import binds, locked_in_directory

TODAY = date(2027, 3, 15)
LP = "0990002P"


def _leaves(directory, dn, days_ago):
    left_on = TODAY - timedelta(days=days_ago)
    directory.writes.run(lambda conn: conn.modify(dn, {
        A.OBJECT_CLASS: [(ldap3.MODIFY_ADD, [A.OC_LEAVER])], A.UAI: [(ldap3.MODIFY_DELETE, [LP])],
        A.LEFT_UAI: [(ldap3.MODIFY_REPLACE, [LP])], A.LEFT_ON: [(ldap3.MODIFY_REPLACE, [f"{left_on:%Y%m%d}000000Z"])]}))


def test_a_leaver_is_locked_the_day_after_the_tolerance_and_unlocked_once_back(demo_directory, make_account, slapd):
    within, within_password = make_account.student(AccountState.ACTIVE)
    past, past_password = make_account.student(AccountState.ACTIVE)
    _leaves(demo_directory, within.dn, 30)          # its last tolerated day
    _leaves(demo_directory, past.dn, 31)
    locked, unlocked = keep_leavers_locked(demo_directory, 30, TODAY)
    assert past.dn in locked and within.dn not in locked and not unlocked
    assert binds(slapd.ldap_url, within.dn, within_password)
    assert not binds(slapd.ldap_url, past.dn, past_password)          # the directory refuses it to every binder
    assert keep_leavers_locked(demo_directory, 30, TODAY) == ([], [])   # nothing twice
    demo_directory.writes.run(lambda conn: conn.modify(past.dn, {     # the registry brings the student back
        A.UAI: [(ldap3.MODIFY_ADD, ["0990003R"])], A.LEFT_ON: [(ldap3.MODIFY_REPLACE, [])]}))
    locked, unlocked = keep_leavers_locked(demo_directory, 30, TODAY)
    assert unlocked == [past.dn] and not locked_in_directory(demo_directory, past.dn)
    assert binds(slapd.ldap_url, past.dn, past_password)


def test_a_lock_after_wrong_passwords_is_not_the_leavers_rule(demo_directory, make_account, slapd):
    record, password = make_account.student(AccountState.ACTIVE)
    for _ in range(10):
        binds(slapd.ldap_url, record.dn, "Pas-le-bon")
    assert locked_in_directory(demo_directory, record.dn)
    _, unlocked = keep_leavers_locked(demo_directory, 30, TODAY)
    assert record.dn not in unlocked and locked_in_directory(demo_directory, record.dn)
    found = demo_directory.search(record.dn, "(objectClass=*)", [A.PWD_ACCOUNT_LOCKED_TIME], ldap3.BASE)
    assert found[0][1][A.PWD_ACCOUNT_LOCKED_TIME] != [LEAVER_LOCK]
