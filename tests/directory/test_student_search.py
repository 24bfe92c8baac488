"""Student search against the demo directory: folded names, filters, sorted pages, totals, scope."""
import pytest

from directory import attributes as A
from directory.errors import NotFound
from directory.model import AccountState
from directory.names import fold, sort_name
from directory.search import AccountCriteria, AccountSort

LYC, LP, CLG = "0990003R", "0990002P", "0990001N"


@pytest.fixture(scope="module")
def everyone(demo_directory):
    """Oracle: every student with the attributes the criteria look at, read plainly."""
    found = demo_directory.search(demo_directory.base(A.STUDENTS), "(objectClass=sesameAccount)",
                                  [A.ACCOUNT_ID, A.UAI, A.SURNAME, A.GIVEN_NAME, A.CLASS_CODE,
                                   A.ACCOUNT_STATE, A.MEF_CODE])
    return [e for _, e in found]


def _expected(everyone, uai, name="", classes=(), states=()):
    folded = fold(name)
    result = set()
    for e in everyone:
        keys = {fold(e[A.GIVEN_NAME][0] + e[A.SURNAME][0]), fold(e[A.SURNAME][0] + e[A.GIVEN_NAME][0])}
        if e[A.UAI][0] != uai:
            continue
        if folded and not any(folded in k for k in keys):
            continue
        if classes and e[A.CLASS_CODE][0] not in classes:
            continue
        if states and e[A.ACCOUNT_STATE][0] not in states:
            continue
        result.add(e[A.ACCOUNT_ID][0])
    return result


def _all_pages(students, uai, criteria, **kwargs):
    first = students.search(uai, criteria, **kwargs)
    items = list(first.items)
    for number in range(2, first.pages + 1):
        items += students.search(uai, criteria, page=number, **kwargs).items
    return first, items


def test_zoe_finds_the_zoes_of_the_lycee_and_nobody_elsewhere(demo_directory, everyone):
    page = demo_directory.students.search(LYC, AccountCriteria(name="zoe"))
    assert page.total == len(_expected(everyone, LYC, "zoe")) > 0
    assert all(s.uai == LYC for s in page.items)
    assert any(s.given_name == "Zoé" for s in page.items)


@pytest.mark.parametrize("typed,expected_surname", [("ndiaye", "N'Diaye"), ("N'DIAYE", "N'Diaye"),
                                                    ("le goff", "Le Goff"), ("legoff", "Le Goff"),
                                                    ("mullerludenscheidt", "Müller-Lüdenscheidt")])
def test_names_are_found_however_they_are_typed(demo_directory, everyone, typed, expected_surname):
    matches = [e for e in everyone if expected_surname in e[A.SURNAME][0]]
    uai = matches[0][A.UAI][0]
    page = demo_directory.students.search(uai, AccountCriteria(name=typed))
    assert any(expected_surname in s.surname for s in page.items)
    assert page.total == len(_expected(everyone, uai, typed))


def test_given_name_and_surname_in_either_order(demo_directory, everyone):
    def lucas_martins(page):
        return {s.account_id for s in page.items if (s.given_name, s.surname) == ("Lucas", "Martin")}
    one = demo_directory.students.search(LYC, AccountCriteria(name="Lucas Martin"))
    other = demo_directory.students.search(LYC, AccountCriteria(name="martin lucas"))
    assert len(lucas_martins(one)) == 2 and lucas_martins(one) == lucas_martins(other)
    assert one.total == len(_expected(everyone, LYC, "Lucas Martin"))
    assert other.total == len(_expected(everyone, LYC, "martin lucas"))


def test_class_and_state_filters_match_the_oracle(demo_directory, everyone):
    classes = ("201", "202")
    states = (AccountState.NOT_NOTIFIED, AccountState.NOTIFIED)
    criteria = AccountCriteria(classes=classes, states=states)
    first, items = _all_pages(demo_directory.students, LYC, criteria)
    expected = _expected(everyone, LYC, classes=classes, states=[s.value for s in states])
    assert first.total == len(expected)
    assert {s.account_id for s in items} == expected
    assert set(demo_directory.students.ids(LYC, criteria)) == expected


def test_pages_of_fifty_sorted_by_name_cover_every_student_once(demo_directory, everyone):
    first, items = _all_pages(demo_directory.students, LP, AccountCriteria())
    assert len(first.items) == 50
    assert first.total == len(items) == len({s.account_id for s in items}) == len(_expected(everyone, LP))
    keys = [sort_name(s.given_name, s.surname) for s in items]
    assert keys == sorted(keys)          # accents ignored: AÏT before ARNAUD, MÉNARD before MICHEL


def test_sort_by_class_descending(demo_directory):
    page = demo_directory.students.search(LYC, AccountCriteria(), AccountSort.CLASS, reverse=True)
    codes = [s.class_code for s in page.items]
    assert codes == sorted(codes, reverse=True)
    assert codes[0] >= max(c.code for c in demo_directory.classes(LYC))


def test_a_page_past_the_end_is_empty_with_the_total(demo_directory):
    page = demo_directory.students.search(CLG, AccountCriteria(), page=999)
    assert page.items == [] and page.total > 600


@pytest.mark.parametrize("name", ["*", "(", ")", "\\", "\x00", "*)(uid=*", "a" * 10_000, "   "])
def test_hostile_names_are_taken_literally(demo_directory, name):
    page = demo_directory.students.search(LYC, AccountCriteria(name=name))
    if name.strip() and not fold(name):
        assert page.total == 0
    assert all(s.uai == LYC for s in page.items)


def test_many_sorted_searches_in_a_row_never_exhaust_the_connection(demo_directory):
    for number in range(1, 41):
        assert demo_directory.students.search(LP, AccountCriteria(), page=number % 5 + 1).total > 400


def test_a_student_of_another_establishment_is_not_found(demo_directory):
    lyc_student = demo_directory.students.search(LYC, AccountCriteria()).items[0]
    dn, student = demo_directory.students.get(LYC, lyc_student.account_id)
    assert student.account_id == lyc_student.account_id
    with pytest.raises(NotFound):
        demo_directory.students.get(LP, lyc_student.account_id)
    with pytest.raises(NotFound):
        demo_directory.students.get(LYC, "*")


def test_a_students_parents(demo_directory):
    student = demo_directory.students.search(CLG, AccountCriteria()).items[0]
    dn, _ = demo_directory.students.get(CLG, student.account_id)
    parents = demo_directory.students.guardians(dn)
    assert 1 <= len(parents) <= 2


def test_existing_keeps_only_the_establishments_students(demo_directory):
    lp_ids = demo_directory.students.ids(LP, AccountCriteria())[:3]
    lyc_ids = demo_directory.students.ids(LYC, AccountCriteria())[:2]
    assert demo_directory.students.existing(LP, lp_ids + lyc_ids + ["nope", "*"]) == set(lp_ids)
