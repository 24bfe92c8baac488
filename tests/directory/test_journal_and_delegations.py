"""The journal read back from a directory of its own (records of known dates, loaded by slapadd): filters,
newest first, pages and totals from slapd, the purge; delegations that lapse by themselves."""
import time
from datetime import date, datetime, timedelta, timezone

import pytest

from directory import attributes as A
from directory import journal
from directory.connection import DirectorySettings
from directory.delegations import PARIS, Delegations, ldap_time
from directory.errors import FieldsRefused
from directory.ldif import dump
from directory.model import Role
from directory.repository import Directory
from support import SERVICE_DN, SERVICE_PASSWORD, SUFFIX, migrated_slapd

NOW = datetime.now(timezone.utc).replace(microsecond=0)
# (cn, age in days, uai, actor, action, targets, open job?)
RECORDS = [
    ("old1", 800, "0990002P", "chef.lp", "notify", ["a" * 32], False),
    ("old2", 400, "0990001N", "chef.clg", "reset", [], False),
    ("oldopen", 500, "0990002P", "chef.lp", "notify", ["b" * 32], True),    # a job still open: kept
    ("mid", 200, "0990002P", "chef.lp", "list", ["a" * 32, "c" * 32], False),
    ("new1", 3, "0990002P", "cpe.lp", "reset", ["c" * 32], False),
    ("new2", 2, "0990001N", "chef.clg", "notify", [], False),
    ("new3", 1, "0990002P", "chef.lp", "delegation-granted", [], False),
]


@pytest.fixture(scope="module")
def own(tmp_path_factory):
    root = tmp_path_factory.mktemp("journal")
    slapd = migrated_slapd(root / "slapd")
    path = root / "records.ldif"
    with open(path, "w", encoding="utf-8") as out:
        for cn, age, uai, actor, action, targets, still_open in RECORDS:
            classes = [A.OC_AUDIT, A.OC_DATED] + ([A.OC_JOB] if still_open else [])
            written = NOW - timedelta(days=age)
            values = {A.OBJECT_CLASS: classes, A.CN: [cn], A.ACTOR: [actor], A.ACTION: [action], A.UAI: [uai],
                      A.DESCRIPTION: [f"record {cn}"], A.CREATED: [ldap_time(written)],
                      A.AUDIT_DAY: [written.astimezone(PARIS).strftime("%Y%m%d")]}
            if targets:
                values[A.TARGET] = targets
            if still_open:
                values[A.JOB_STATE] = ["open"]
            out.write(dump(f"cn={cn},{A.AUDIT},{SUFFIX}", values))
        out.write(dump(f"uai=x,{A.ESTABLISHMENTS},{SUFFIX}".replace("uai=x", f"{A.UAI}=0990002P"),
                       {A.OBJECT_CLASS: [A.OC_ESTABLISHMENT], A.UAI: ["0990002P"], A.ORGANIZATION: ["LP"]}))
        out.write(dump(f"uid=relief,{A.STAFF},{SUFFIX}", {
            A.OBJECT_CLASS: [A.OC_PERSON, A.OC_STAFF, A.OC_STAFF_POST], A.UID: ["relief"], A.CN: ["Relief"],
            A.SURNAME: ["Relief"], A.UAI: ["0990002P"]}))
    slapd.load(path)
    directory = Directory(DirectorySettings(url=slapd.ldap_url, suffix=SUFFIX, bind_dn=SERVICE_DN,
                                            bind_password=SERVICE_PASSWORD))
    yield directory
    directory.close()
    slapd.stop()


def _ids(found):
    return [o.id for o in found.operations]


def test_an_establishments_journal_is_newest_first_with_its_total(own):
    found = journal.page(own, journal.JournalQuery("0990002P", since=date(2000, 1, 1)))
    assert _ids(found) == ["new3", "new1", "mid", "oldopen", "old1"] and found.total == 5


def test_every_establishment_for_the_identity_team(own):
    found = journal.page(own, journal.JournalQuery(None, since=date(2000, 1, 1)))
    assert found.total == len(RECORDS) and _ids(found)[0] == "new3"


def test_a_date_range_keeps_its_days_only(own):
    today = NOW.date()
    found = journal.page(own, journal.JournalQuery(None, since=today - timedelta(days=250),
                                                   until=today - timedelta(days=2)))
    assert _ids(found) == ["new2", "new1", "mid"]


def test_person_action_and_account_filters(own):
    everything = date(2000, 1, 1)
    assert _ids(journal.page(own, journal.JournalQuery("0990002P", actor="cpe.lp", since=everything))) == ["new1"]
    assert _ids(journal.page(own, journal.JournalQuery(None, action="notify", since=everything))) == [
        "new2", "oldopen", "old1"]
    assert _ids(journal.page(own, journal.JournalQuery("0990002P", account_ids=("c" * 32,)))) == ["new1", "mid"]
    assert journal.page(own, journal.JournalQuery(None, account_ids=())).total == 0


def test_pages_of_two(own):
    query = journal.JournalQuery(None, since=date(2000, 1, 1))
    pages = [journal.page(own, query, n, 2) for n in (1, 2, 3, 4, 5)]
    assert [_ids(p) for p in pages] == [["new3", "new2"], ["new1", "mid"], ["old2", "oldopen"], ["old1"], []]
    assert pages[0].pages == 4


def test_a_hostile_person_filter_matches_nobody(own):
    assert journal.page(own, journal.JournalQuery(None, actor="*)(objectClass=*", since=date(2000, 1, 1))).total == 0


def test_the_purge_removes_closed_records_past_the_period_and_records_itself(own):
    assert journal.purge(own, keep_days=365) == 1          # the daily purge, 60 days past the period: old2
    assert journal.purge(own, keep_days=365, everything=True) == 1      # then old1; the open job stays
    left = _ids(journal.page(own, journal.JournalQuery(None, since=date(2000, 1, 1))))
    assert "old1" not in left and "old2" not in left and "oldopen" in left and "mid" in left
    purges = journal.page(own, journal.JournalQuery(None, action=journal.PURGE))
    assert purges.total == 2 and "1 enregistrement(s)" in purges.operations[0].summary
    assert journal.purge(own, keep_days=365, everything=True) == 0


def _delegation(own, cn, kind, until: datetime, start: datetime | None = None, delegate="relief"):
    base = f"{A.UAI}=0990002P,{A.ESTABLISHMENTS},{SUFFIX}"
    own.writes.run(lambda conn: conn.add(f"cn={cn},{base}", [A.OC_DELEGATION], {
        A.CN: cn, A.DELEGATE: delegate, A.UAI: "0990002P", A.DELEGATION_KIND: kind,
        A.VALID_FROM: ldap_time(start or NOW - timedelta(days=1)), A.VALID_UNTIL: ldap_time(until),
        A.ACTOR: "chef.lp"}))
    return cn


def test_a_delegation_lapses_at_its_term_by_itself(own):
    _delegation(own, "lapsing", "SUPPORT", datetime.now(timezone.utc) + timedelta(seconds=2))
    assert own.staff("relief").role is Role.DELEGATED_SUPPORT
    time.sleep(2.2)
    with pytest.raises(Exception):
        own.staff("relief")        # no role left anywhere: not a staff member Sésame knows


def test_a_delegation_to_come_gives_nothing_yet_and_ending_twice_is_refused(own):
    _delegation(own, "later", "HEAD", NOW + timedelta(days=5), start=NOW + timedelta(days=2))
    assert Delegations(own).roles_of("relief") == {}
    store = Delegations(own)
    store.end("0990002P", "later", "chef.lp")
    with pytest.raises(FieldsRefused):
        store.end("0990002P", "later", "chef.lp")


def test_head_rights_win_over_depannage_delegated_in_the_same_establishment(own):
    _delegation(own, "both1", "SUPPORT", NOW + timedelta(days=3))
    _delegation(own, "both2", "HEAD", NOW + timedelta(days=3))
    assert Delegations(own).roles_of("relief") == {"0990002P": Role.DELEGATED_HEAD}
