"""An establishment's figures against the demo directory read plainly; the « À faire » criteria against
an oracle; the activation date written when a holder activates."""
from datetime import date, datetime, timedelta, timezone

import ldap3
import pytest

from directory import attributes as A
from directory.figures import Figures, follow_ups, week_ends
from directory.mapping import first, parse_time
from directory.model import AccountState, provisional_expired
from directory.populations import STUDENTS
from directory.search import AccountCriteria

LYC, LP = "0990003R", "0990002P"
TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def lyc_students(demo_directory):
    found = demo_directory.search(demo_directory.base(A.STUDENTS), f"(sesameUAI={LYC})",
                                  [A.ACCOUNT_ID, A.CLASS_CODE, A.ACCOUNT_STATE, A.NOTIFICATION_DATE,
                                   A.ACTIVATION_DATE, A.PWD_CHANGED_TIME, A.MAIL, A.MAIL_VERIFIED], ldap3.LEVEL)
    return [e for _, e in found]


def test_figures_by_class_match_the_entries(demo_directory, lyc_students):
    figures = Figures(demo_directory).establishment(LYC, TODAY, 90)["students"]
    assert figures.total.accounts == len(lyc_students)
    class_code = first(lyc_students[0][A.CLASS_CODE])
    in_class = [e for e in lyc_students if first(e[A.CLASS_CODE]) == class_code]
    tally = figures.by_class[class_code]
    assert tally.accounts == len(in_class)
    assert tally.active == sum(1 for e in in_class if first(e[A.ACCOUNT_STATE]) == "ACTIVE")
    assert tally.notified == sum(1 for e in in_class if first(e[A.ACCOUNT_STATE]) == "NOTIFIED")
    assert sum(t.accounts for t in figures.by_mef.values()) == len(lyc_students)


def test_weeks_are_cumulative_and_end_with_every_notified_and_activated(demo_directory, lyc_students):
    figures = Figures(demo_directory).establishment(LYC, TODAY, 90)["students"]
    weeks = figures.weeks
    assert [w.ends for w in weeks] == [d.isoformat() for d in week_ends(TODAY)]
    assert all(a.notified <= b.notified and a.activated <= b.activated for a, b in zip(weeks, weeks[1:]))
    assert weeks[-1].activated == figures.total.active
    assert weeks[-1].notified == figures.total.notified + figures.total.active
    # activations spread over the year (demo dates): an earlier week counts fewer than the last
    moment = datetime(2026, 10, 4, 23, 59, 59, tzinfo=timezone.utc)
    activated_by_then = sum(1 for e in lyc_students if first(e[A.ACCOUNT_STATE]) == "ACTIVE"
                            and parse_time(first(e[A.ACTIVATION_DATE])) <= moment)
    assert next(w for w in weeks if w.ends == "2026-10-04").activated == activated_by_then < weeks[-1].activated


def test_every_demo_activated_account_has_an_activation_date(lyc_students):
    active = [e for e in lyc_students if first(e[A.ACCOUNT_STATE]) == "ACTIVE"]
    assert active and all(e.get(A.ACTIVATION_DATE) for e in active)
    assert not any(e.get(A.ACTIVATION_DATE) for e in lyc_students if first(e[A.ACCOUNT_STATE]) != "ACTIVE")


def test_follow_up_criteria_find_what_an_oracle_finds(demo_directory, lyc_students):
    today = datetime.now(timezone.utc).date()
    lines = {line.key: line for line in follow_ups(today, 90)}
    midnight = datetime.combine(today, datetime.min.time(), timezone.utc)

    def ids(key):
        return set(demo_directory.students.ids(LYC, lines[key].criteria))
    long_wait = {first(e[A.ACCOUNT_ID]) for e in lyc_students if first(e[A.ACCOUNT_STATE]) == "NOTIFIED"
                 and parse_time(first(e[A.NOTIFICATION_DATE])) < midnight - timedelta(days=30)}
    assert ids("long-wait") == long_wait and long_wait
    expiring = {first(e[A.ACCOUNT_ID]) for e in lyc_students if first(e[A.ACCOUNT_STATE]) == "NOTIFIED"
                and e.get(A.PWD_CHANGED_TIME) and parse_time(first(e[A.PWD_CHANGED_TIME])) < midnight - timedelta(days=75)}
    assert ids("provisional-expiring") == expiring and expiring
    expired = {first(e[A.ACCOUNT_ID]) for e in lyc_students
               if provisional_expired(AccountState(first(e[A.ACCOUNT_STATE])), parse_time(first(e.get(A.PWD_CHANGED_TIME))), 90)}
    assert expired <= expiring                     # every expired one is on the line
    unconfirmed = {first(e[A.ACCOUNT_ID]) for e in lyc_students if e.get(A.MAIL) and first(e.get(A.MAIL_VERIFIED)) is not True
                   and str(first(e.get(A.MAIL_VERIFIED))).upper() != "TRUE"}
    assert ids("mail-unconfirmed") == unconfirmed and unconfirmed
    assert "provisional-expiring" not in {line.key for line in follow_ups(today, 0)}


def test_a_criterion_value_cannot_widen_the_filter():
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    text = AccountCriteria(notified_before=moment, locked=True).filter("(sesameUAI=0990002P)")
    assert "(sesameNotificationDate<=20251231235959Z)" in text and "(pwdAccountLockedTime=*)" in text
    assert text.startswith("(&(objectClass=sesameAccount)(sesameUAI=0990002P)")


def test_activation_writes_the_activation_date(make_account, demo_directory):
    before = datetime.now(timezone.utc).replace(microsecond=0)
    record, _ = make_account.student(AccountState.ACTIVE)
    entry = demo_directory.read_entry(record.dn, [A.ACTIVATION_DATE, A.OBJECT_CLASS])
    activated = parse_time(first(entry["attributes"][A.ACTIVATION_DATE]))
    assert before <= activated <= datetime.now(timezone.utc)
    assert A.OC_ACTIVATION in entry["attributes"][A.OBJECT_CLASS]
    counted = Figures(demo_directory).establishment(LP, datetime.now(timezone.utc).date(), 90,
                                                    populations=(STUDENTS,))["students"]
    assert counted.weeks[-1].activated == counted.total.active


def test_activating_again_after_a_reset_moves_the_date(make_account, demo_directory):
    from directory.holders import Holders
    from directory.lifecycle import reset
    record, _ = make_account.student(AccountState.ACTIVE)
    first_date = first(demo_directory.read_entry(record.dn, [A.ACTIVATION_DATE])["attributes"][A.ACTIVATION_DATE])
    password = make_account.accounts.apply(record, reset(record.state), "test-reset-again").password
    import time
    time.sleep(1.1)
    holders = Holders(demo_directory, make_account.hasher)
    holders.choose_password(holders.by_dn(record.dn), password, "Encore-un-choix-2026")
    entry = demo_directory.read_entry(record.dn, [A.ACTIVATION_DATE, A.ACCOUNT_STATE])["attributes"]
    assert first(entry[A.ACCOUNT_STATE]) == "ACTIVE"
    assert parse_time(first(entry[A.ACTIVATION_DATE])) > parse_time(first_date)
