"""The demo directory: deterministic, shaped as SPEC §11 says, and addable to the schema as it is."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

import pytest
from ldap3.utils.dn import safe_dn, to_dn

from directory import attributes as attr
from devtools.demo import DEMO_STAFF_PASSWORD, DemoData, build_demo
from directory.names import search_keys
from directory.passwords import PROVISIONAL_ALPHABET, PROVISIONAL_LENGTH
from directory.uai import is_valid_uai

SUFFIX = "dc=sesame,dc=test"
CLG, LP, LYC = "0990001N", "0990002P", "0990003R"
SCHEMA = Path(__file__).resolve().parents[2] / "migrations" / "0002_schema.ldif"
DELEGATIONS_SCHEMA = SCHEMA.with_name("0013_delegations_letters.ldif")
ACTIVATION_SCHEMA = SCHEMA.with_name("0012_activation_date.ldif")   # the activation date (issue 15)

# Standard object classes the demo uses, with the attributes they allow (RFC 4519, RFC 2798)
# and the ppolicy operational attribute an administrator may set.
INET_ORG_PERSON = {attr.CN, attr.SURNAME, attr.GIVEN_NAME, attr.UID, attr.MAIL, attr.USER_PASSWORD,
                   attr.DISPLAY_NAME, attr.DESCRIPTION, attr.TITLE}
OPERATIONAL = {attr.PWD_RESET, attr.PWD_LAST_SUCCESS, attr.PWD_CHANGED_TIME}


def _hash(clear: str) -> str:
    return "{TEST}" + clear


def _seal(clear: str, account_id: str) -> bytes:
    return f"{account_id}:{clear}".encode()


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return build_demo(SUFFIX, hash_password=_hash, seal=_seal)


def _under(demo: DemoData, branch: str) -> list:
    parent = f"{branch},{SUFFIX}"
    return [e for e in demo.entries if e.dn.split(",", 1)[1] == parent]


def _one(entry, name):
    values = entry.attributes.get(name, [])
    return values[0] if values else None


@pytest.fixture(scope="module")
def students(demo):
    return _under(demo, attr.STUDENTS)


@pytest.fixture(scope="module")
def guardians(demo):
    return _under(demo, attr.GUARDIANS)


def _by_state(entries, state):
    return [e for e in entries if _one(e, attr.ACCOUNT_STATE) == state]


def _time(value: str) -> str:
    assert re.fullmatch(r"\d{14}Z", value), value
    return value


# ---------------------------------------------------------------------------------------------

def test_two_builds_are_identical(demo):
    assert build_demo(SUFFIX, hash_password=_hash, seal=_seal) == demo


def test_only_the_hash_and_seal_bytes_depend_on_the_callables(demo):
    other = build_demo(SUFFIX, hash_password=lambda clear: "x", seal=lambda clear, account_id: b"y")
    assert [e.dn for e in other.entries] == [e.dn for e in demo.entries]
    assert other.provisional_passwords == demo.provisional_passwords


def test_three_establishments_with_valid_uais_and_exact_names(demo):
    schools = {_one(e, attr.UAI): e for e in _under(demo, attr.ESTABLISHMENTS)}
    assert {uai: _one(e, attr.ORGANIZATION) for uai, e in schools.items()} == {
        CLG: "CLG Jean Moulin", LP: "LP Métiers Auguste Perret", LYC: "LYC Marie Curie"}
    assert all(is_valid_uai(uai) for uai in schools)
    assert all(_one(e, attr.HEAD_NAME) for e in schools.values())


@pytest.mark.parametrize("uai, expected", [(CLG, 600), (LP, 500), (LYC, 1400)])
def test_student_counts_are_near_the_spec(students, uai, expected):
    count = sum(_one(s, attr.UAI) == uai for s in students)
    assert abs(count - expected) <= 0.15 * expected


def test_guardian_count(guardians):
    assert 3500 <= len(guardians) <= 4500


@pytest.mark.parametrize("uai", [CLG, LP, LYC])
def test_state_shares_are_about_40_30_30(students, uai):
    states = Counter(_one(s, attr.ACCOUNT_STATE) for s in students if _one(s, attr.UAI) == uai)
    total = sum(states.values())
    for state, share in (("ACTIVE", 40), ("NOTIFIED", 30), ("NOT_NOTIFIED", 30)):
        assert abs(100 * states[state] / total - share) <= 7, (state, states)


def test_not_notified_accounts_have_no_identifier_password_or_dates(students, guardians):
    for entry in _by_state(students + guardians, "NOT_NOTIFIED"):
        for name in (attr.UID, attr.USER_PASSWORD, attr.SEALED_PASSWORD, attr.NOTIFICATION_DATE,
                     attr.PWD_LAST_SUCCESS, attr.PWD_RESET, attr.MAIL):
            assert name not in entry.attributes, (entry.dn, name)


def test_notified_accounts_carry_a_sealed_provisional_password(demo, students, guardians):
    notified = _by_state(students + guardians, "NOTIFIED")
    assert set(demo.provisional_passwords) == {e.dn for e in notified}
    for entry in notified:
        provisional = demo.provisional_passwords[entry.dn]
        assert len(provisional) == PROVISIONAL_LENGTH and set(provisional) <= set(PROVISIONAL_ALPHABET)
        assert entry.attributes[attr.USER_PASSWORD] == [_hash(provisional)]
        assert entry.attributes[attr.SEALED_PASSWORD] == [_seal(provisional, _one(entry, attr.ACCOUNT_ID))]
        assert entry.attributes[attr.PWD_RESET] == ["TRUE"]
        assert _one(entry, attr.UID) and _time(_one(entry, attr.NOTIFICATION_DATE))
        assert attr.PWD_LAST_SUCCESS not in entry.attributes


def test_active_accounts_signed_in_after_their_notification(students, guardians):
    for entry in _by_state(students + guardians, "ACTIVE"):
        notified = _time(_one(entry, attr.NOTIFICATION_DATE))
        assert _time(_one(entry, attr.PWD_LAST_SUCCESS)) > notified
        assert "20250901000000Z" <= notified and _one(entry, attr.PWD_LAST_SUCCESS) < "20261128000000Z"
        assert _one(entry, attr.UID)
        assert attr.SEALED_PASSWORD not in entry.attributes and attr.PWD_RESET not in entry.attributes


def test_active_registry_accounts_have_a_password_and_some_confirmed_emails(students, guardians):
    active = [e for e in _by_state(students + guardians, "ACTIVE")
              if _one(e, attr.ACCOUNT_ORIGIN) == "REGISTRY"]
    assert all(_one(e, attr.USER_PASSWORD) for e in active)
    with_mail = [e for e in active if attr.MAIL in e.attributes]
    assert 0.30 <= len(with_mail) / len(active) <= 0.50
    verified = Counter(_one(e, attr.MAIL_VERIFIED) for e in with_mail)
    assert verified["TRUE"] > verified["FALSE"] > 0
    domains = {_one(e, attr.MAIL).rsplit("@", 1)[1] for e in with_mail}
    assert domains <= {"example.org", "example.net", "example.com"}


def test_franceconnect_guardians_are_active_without_password(guardians):
    franceconnect = [g for g in guardians if _one(g, attr.ACCOUNT_ORIGIN) == "FRANCECONNECT"]
    assert 0.02 <= len(franceconnect) / len(guardians) <= 0.08
    for guardian in franceconnect:
        assert _one(guardian, attr.ACCOUNT_STATE) == "ACTIVE"
        assert attr.USER_PASSWORD not in guardian.attributes
        assert attr.SEALED_PASSWORD not in guardian.attributes


def test_identifiers_are_unique_and_well_formed(students, guardians):
    identifiers = [_one(e, attr.UID) for e in students + guardians if attr.UID in e.attributes]
    assert len(identifiers) == len(set(identifiers))
    assert all(re.fullmatch(r"[a-z0-9]+\.[a-z0-9]+[0-9]*", uid) for uid in identifiers)
    assert any(uid.endswith("2") for uid in identifiers)     # taken stems do get numbered


def test_accounts_have_ids_names_and_search_keys(students, guardians):
    for entry in students + guardians:
        assert re.fullmatch(r"[0-9a-f]{32}", _one(entry, attr.ACCOUNT_ID))
        given, surname = _one(entry, attr.GIVEN_NAME), _one(entry, attr.SURNAME)
        assert _one(entry, attr.CN) == f"{given} {surname}"
        assert entry.attributes[attr.SEARCH_KEY] == search_keys(given, surname)


def test_students_have_unique_ines_and_birth_dates_fitting_school_age(students):
    ines = [_one(s, attr.INE) for s in students]
    assert len(ines) == len(set(ines)) and all(re.fullmatch(r"\d{10}[A-Z]", ine) for ine in ines)
    for student in students:
        born = _one(student, attr.BIRTH_DATE)
        assert re.fullmatch(r"\d{8}000000Z", born)
        age = 2026 - int(born[:4])
        assert 10 <= age <= 20, (student.attributes[attr.CLASS_CODE], born)


def test_two_namesakes_lucas_martin_in_one_establishment(students):
    lucas = [s for s in students if _one(s, attr.CN) == "Lucas Martin"]
    assert len(lucas) == 2
    assert len({_one(s, attr.UAI) for s in lucas}) == 1
    assert len({_one(s, attr.INE) for s in lucas}) == 2
    assert len({_one(s, attr.BIRTH_DATE) for s in lucas}) == 2


@pytest.mark.parametrize("uai", [CLG, LP, LYC])
def test_several_zoe_in_each_establishment(students, uai):
    assert sum(_one(s, attr.GIVEN_NAME) == "Zoé" and _one(s, attr.UAI) == uai for s in students) >= 3


def test_names_as_they_really_come(students):
    surnames = {_one(s, attr.SURNAME) for s in students}
    given = {_one(s, attr.GIVEN_NAME) for s in students}
    assert {"N'Diaye", "Le Goff", "de La Tour d'Auvergne", "Müller-Lüdenscheidt"} <= surnames
    assert {"Jean-Baptiste", "Marie-Ève", "Zoé", "Anaïs", "Noël", "Maëlys", "Chloé", "Héloïse",
            "Loïc"} <= given
    assert sum(len(_one(s, attr.CN)) > 30 for s in students) >= 3
    assert len({_one(s, attr.CN) for s in students}) > 500


def test_about_five_percent_external_students_each_way(students):
    for uai, other in ((LYC, LP), (LP, LYC)):
        own = [s for s in students if _one(s, attr.UAI) == uai]
        external = [s for s in own if attr.EXTERNAL_UAI in s.attributes]
        assert 0.03 <= len(external) / len(own) <= 0.07
        assert all(s.attributes[attr.EXTERNAL_UAI] == [other] for s in external)
    assert not any(attr.EXTERNAL_UAI in s.attributes for s in students if _one(s, attr.UAI) == CLG)


def test_guardians_with_children_in_two_establishments(guardians, students):
    school_of = {s.dn: _one(s, attr.UAI) for s in students}
    spanning = [g for g in guardians if len({school_of[child] for child in g.attributes[attr.CHILD]}) >= 2]
    assert len(spanning) >= 20
    for guardian in spanning:
        schools = {school_of[child] for child in guardian.attributes[attr.CHILD]}
        assert sorted(guardian.attributes[attr.UAI]) == sorted(schools)


def test_every_child_of_a_guardian_is_a_student(guardians, students):
    student_dns = {s.dn for s in students}
    for guardian in guardians:
        assert 1 <= len(guardian.attributes[attr.CHILD]) <= 3
        assert set(guardian.attributes[attr.CHILD]) <= student_dns


def test_every_student_has_one_or_two_guardians_shared_by_siblings(guardians, students):
    guardians_of = defaultdict(set)
    for guardian in guardians:
        for child in guardian.attributes[attr.CHILD]:
            guardians_of[child].add(guardian.dn)
    assert all(1 <= len(guardians_of[s.dn]) <= 2 for s in students)
    assert any(len(g.attributes[attr.CHILD]) == 3 for g in guardians)


def _schema() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(MUST, MAY) attribute names of each object class the migration defines."""
    text = re.sub(r"\n ", "", "\n".join(path.read_text(encoding="utf-8") for path in (SCHEMA, ACTIVATION_SCHEMA, DELEGATIONS_SCHEMA)))
    must, may = {}, {}
    for line in text.splitlines():
        if not line.startswith("olcObjectClasses:"):
            continue
        name = re.search(r"NAME '(\w+)'", line).group(1)
        for kind, table in (("MUST", must), ("MAY", may)):
            found = re.search(rf"{kind} (\(([^)]*)\)|(\w+))", line)
            table[name] = set(re.findall(r"\w+", found.group(2) or found.group(3))) if found else set()
    return must, may


def test_every_attribute_is_allowed_by_the_schema(demo):
    must, may = _schema()
    allowed = {name: must[name] | may[name] for name in must}
    allowed[attr.OC_PERSON] = INET_ORG_PERSON
    for entry in demo.entries:
        permitted = set().union(*(allowed[oc] for oc in entry.object_classes)) | OPERATIONAL
        assert set(entry.attributes) <= permitted, (entry.dn, set(entry.attributes) - permitted)
        required = set().union(*(must.get(oc, set()) for oc in entry.object_classes))
        assert required <= set(entry.attributes), (entry.dn, required - set(entry.attributes))
        assert all(values for values in entry.attributes.values()), entry.dn


def test_every_class_belongs_to_an_existing_mef(demo):
    mefs = {(_one(e, attr.UAI), _one(e, attr.MEF_CODE))
            for e in demo.entries if attr.OC_MEF in e.object_classes}
    classes = [e for e in demo.entries if attr.OC_SCHOOL_CLASS in e.object_classes]
    assert all(re.fullmatch(r"\d{11}", mef) for _, mef in mefs)
    for school_class in classes:
        assert (_one(school_class, attr.UAI), _one(school_class, attr.MEF_CODE)) in mefs
    assert {(_one(c, attr.UAI), _one(c, attr.CN), _one(c, attr.DESCRIPTION)) for c in classes} >= {
        (LP, "1BTS2", "1ère année BTS"), (LP, "2BTS1", "2ème année BTS"), (CLG, "6A", "6ème A"),
        (LYC, "201", "Seconde 1"), (LYC, "T03", "Terminale 3")}


def test_students_sit_in_existing_classes_of_20_to_36(demo, students):
    classes = {(_one(e, attr.UAI), _one(e, attr.CN)): _one(e, attr.MEF_CODE)
               for e in demo.entries if attr.OC_SCHOOL_CLASS in e.object_classes}
    sizes = Counter((_one(s, attr.UAI), _one(s, attr.CLASS_CODE)) for s in students)
    assert set(sizes) == set(classes)
    assert all(20 <= size <= 36 for size in sizes.values())
    for s in students:
        assert classes[_one(s, attr.UAI), _one(s, attr.CLASS_CODE)] == _one(s, attr.MEF_CODE)


def test_staff_as_listed(demo):
    staff = {_one(e, attr.UID): e for e in _under(demo, attr.STAFF)
             if attr.OC_STAFF_POST not in e.object_classes}    # staff without rights: below
    assert set(staff) == {"chef.clg", "chef.lp", "chef.lyc", "support.lp", "admin.idt"}
    assert {uid: e.attributes.get(attr.HEAD_OF) for uid, e in staff.items()} == {
        "chef.clg": [CLG], "chef.lp": [LP], "chef.lyc": [LYC], "support.lp": None, "admin.idt": None}
    assert staff["support.lp"].attributes[attr.SUPPORT_FOR] == [LP]
    assert not {attr.HEAD_OF, attr.SUPPORT_FOR, attr.UAI} & set(staff["admin.idt"].attributes)
    assert demo.admin_dns == [staff["admin.idt"].dn]
    assert all(e.attributes[attr.USER_PASSWORD] == [_hash(DEMO_STAFF_PASSWORD)] for e in staff.values())


def test_each_establishment_shows_its_heads_name(demo):
    staff = {_one(e, attr.UID): e for e in _under(demo, attr.STAFF)}
    heads = {_one(e, attr.UAI): _one(e, attr.HEAD_NAME) for e in _under(demo, attr.ESTABLISHMENTS)}
    for uid in ("chef.clg", "chef.lp", "chef.lyc"):
        head = staff[uid]
        assert heads[_one(head, attr.HEAD_OF)].endswith(" " + _one(head, attr.CN))


def test_entries_are_ordered_parents_first(demo):
    existing = {safe_dn(f"{branch},{SUFFIX}").lower() for branch in attr.BRANCHES}
    for entry in demo.entries:
        parent = safe_dn(to_dn(entry.dn)[1:]).lower()
        assert parent in existing, entry.dn
        existing.add(safe_dn(entry.dn).lower())
    assert len(existing) == len(demo.entries) + len(attr.BRANCHES)    # no DN twice


def test_students_come_before_the_guardians_that_name_them(demo):
    position = {e.dn: i for i, e in enumerate(demo.entries)}
    for entry in demo.entries:
        for child in entry.attributes.get(attr.CHILD, []):
            assert position[child] < position[entry.dn]


def test_dates_stay_in_the_past_school_year(students, guardians):
    today = date(2026, 11, 28).strftime("%Y%m%d")
    for entry in students + guardians:
        for name in (attr.NOTIFICATION_DATE, attr.PWD_LAST_SUCCESS):
            if name in entry.attributes:
                assert "20250901" <= _one(entry, name)[:8] < today


def test_some_provisional_passwords_of_the_demo_are_expired(students, guardians):
    notified = _by_state(students + guardians, "NOTIFIED")
    dated = [e for e in notified if attr.PWD_CHANGED_TIME in e.attributes]
    assert 0.05 * len(notified) < len(dated) < 0.5 * len(notified)
    for entry in dated:   # well over 90 days before the demo's today
        assert _one(entry, attr.PWD_CHANGED_TIME) < "20260601000000Z"
        assert _one(entry, attr.PWD_CHANGED_TIME) == _one(entry, attr.NOTIFICATION_DATE)


def test_staff_without_rights_work_at_the_lp_and_have_none(demo):
    posts = {_one(e, attr.UID): e for e in _under(demo, attr.STAFF) if attr.OC_STAFF_POST in e.object_classes}
    assert {uid: _one(e, attr.TITLE) for uid, e in posts.items()} == {
        "cpe.lp": "CPE", "prof.lp": "Professeur", "secretariat.lp": "Secrétaire"}
    assert all(e.attributes[attr.UAI] == [LP] and not {attr.HEAD_OF, attr.SUPPORT_FOR} & set(e.attributes)
               for e in posts.values())


def test_one_delegation_runs_this_school_year_and_one_has_expired(demo):
    from datetime import datetime, timezone

    from directory.mapping import parse_time
    now = datetime.now(timezone.utc)
    delegations = {_one(e, attr.DELEGATE): e for e in demo.entries if attr.OC_DELEGATION in e.object_classes}
    assert set(delegations) == {"cpe.lp", "prof.lp"}
    running = lambda e: parse_time(_one(e, attr.VALID_FROM)) <= now < parse_time(_one(e, attr.VALID_UNTIL))  # noqa: E731
    assert running(delegations["cpe.lp"]) and not running(delegations["prof.lp"])


def test_the_readme_the_console_and_the_demo_name_the_same_sign_ins():
    """The README's « Demo sign-ins » table, what `make run` prints (SIGN_INS) and the demo's staff agree."""
    from devtools.demo import ADMIN_UID, SIGN_INS, STAFF, STAFF_WITHOUT_RIGHTS
    from devtools.embedded import demo_sign_ins
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme[readme.index("## Demo sign-ins"):readme.index("### Staff sign-in")]
    in_readme = re.findall(r"^\| `([a-z.]+)` \|", table, re.M)
    staff = [uid for uid, *_ in STAFF] + [uid for uid, *_ in STAFF_WITHOUT_RIGHTS]
    assert ADMIN_UID in staff
    assert sorted(in_readme) == sorted(uid for uid, _ in SIGN_INS) == sorted(staff)
    printed = demo_sign_ins(5000, "optional")
    assert all(re.search(rf"^  {re.escape(uid)} +\S", printed, re.M) for uid in staff)
