"""Applying lifecycle changes to real entries: hashes that bind, sealed passwords, conditional writes."""
import re

import ldap3
import pytest

from directory.populations import STUDENTS
from directory import attributes as A
from directory.accounts import Accounts
from directory.errors import Conflict
from directory.lifecycle import notify, reset
from directory.model import AccountState
from directory.names import identifier_stem
from directory.passwords import PasswordHasher, Sealer
from directory.search import AccountCriteria
from support import SEAL_KEY, binds

CLG = "0990001N"


@pytest.fixture(scope="module")
def accounts(demo_directory):
    return Accounts(demo_directory, STUDENTS, PasswordHasher(1, 1024, 1), Sealer(SEAL_KEY))


def _one(make_account, state):
    """An account of the test's own at the collège, in `state`."""
    return make_account.student(state, uai=CLG, class_code="6A")[0].account_id


def _binds(slapd, dn, password):
    return binds(slapd.ldap_url, dn, password)


def test_notifying_a_never_notified_student_gives_an_identifier_and_a_password_that_binds(
        demo_directory, accounts, slapd, make_account):
    record = accounts.read_one(CLG, _one(make_account, AccountState.NOT_NOTIFIED))
    assert record.identifier is None and record.sealed is None
    applied = accounts.apply(record, notify(record.state), "job-a")
    assert re.fullmatch(re.escape(identifier_stem(record.given_name, record.surname)) + r"[0-9]*",
                        applied.identifier)
    assert len(applied.password) == 8
    assert _binds(slapd, record.dn, applied.password)
    again = accounts.read_one(CLG, record.account_id)
    assert again.state is AccountState.NOTIFIED and again.identifier == applied.identifier
    assert accounts.provisional_password(again) == applied.password
    assert again.notification_date is not None and again.last_job == "job-a"


def test_a_rerun_of_the_same_job_changes_nothing_twice(demo_directory, accounts, make_account):
    record = accounts.read_one(CLG, _one(make_account, AccountState.NOT_NOTIFIED))
    first = accounts.apply(record, notify(record.state), "job-b")
    reread = accounts.read_one(CLG, record.account_id)
    second = accounts.apply(reread, notify(reread.state, reset_password=True), "job-b")
    assert second.already_done and second.password == first.password


def test_renotifying_keeps_the_password_and_reset_replaces_it(demo_directory, accounts, slapd, make_account):
    record = accounts.read_one(CLG, _one(make_account, AccountState.NOTIFIED))
    kept = accounts.apply(record, notify(record.state), "job-c")
    assert kept.password == accounts.provisional_password(record)
    record = accounts.read_one(CLG, record.account_id)
    replaced = accounts.apply(record, reset(record.state), "job-d")
    assert replaced.password != kept.password
    assert _binds(slapd, record.dn, replaced.password) and not _binds(slapd, record.dn, kept.password)


def test_an_active_account_reset_must_change_its_password_at_next_sign_in(demo_directory, accounts, slapd, make_account):
    record = accounts.read_one(CLG, _one(make_account, AccountState.ACTIVE))
    applied = accounts.apply(record, reset(record.state), "job-e")
    conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), record.dn, applied.password, auto_bind=True)
    # ppolicy: after an administrator's reset the holder may only change their password
    assert not conn.search(record.dn, "(objectClass=*)", ldap3.BASE, attributes=[A.CN])
    conn.unbind()
    assert accounts.read_one(CLG, record.account_id).state is AccountState.NOTIFIED


def test_notifying_an_active_account_without_reset_writes_nothing(demo_directory, accounts, make_account):
    record = accounts.read_one(CLG, _one(make_account, AccountState.ACTIVE))
    applied = accounts.apply(record, notify(record.state), "job-f")
    assert applied.password is None
    assert accounts.read_one(CLG, record.account_id).last_job != "job-f"


def test_two_people_acting_at_once_the_second_is_told(demo_directory, accounts, make_account):
    account_id = _one(make_account, AccountState.NOTIFIED)
    mine, theirs = accounts.read_one(CLG, account_id), accounts.read_one(CLG, account_id)
    winner = accounts.apply(mine, reset(mine.state), "job-g")
    with pytest.raises(Conflict):
        accounts.apply(theirs, reset(theirs.state), "job-h")
    assert accounts.provisional_password(accounts.read_one(CLG, account_id)) == winner.password


def test_identifiers_take_the_next_free_number(demo_directory, accounts):
    taken = demo_directory.search(demo_directory.suffix, "(uid=zoe.*)", [A.UID])
    assert taken
    uid = taken[0][1][A.UID][0]
    given, surname = "Zoé", uid.split(".", 1)[1].rstrip("0123456789")
    free = accounts.free_identifier(given, surname)
    assert free != uid and free.startswith(f"zoe.{surname}")


def test_another_establishments_account_is_not_read(demo_directory, accounts):
    lyc = demo_directory.students.ids("0990003R", AccountCriteria())[:2]
    assert accounts.read(CLG, lyc) == {}
