"""The rules of « Paramétrage », without a server: what a delegation may be, what a letter setting may hold."""
from datetime import date, timedelta

import pytest

from directory.delegations import Grant, Kind, StaffMember, problems, school_year_end
from directory.letter_settings import StoredLetterSettings, problems as letter_problems
from directory.texts import text_problem

TODAY = date(2026, 12, 1)
SECRETARY = StaffMember("secretariat.lp", "Sophie Bernard", "Secrétaire", ("0990002P",))


def _grant(**changes):
    values = dict(uai="0990002P", delegate="secretariat.lp", kind=Kind.SUPPORT, start=TODAY,
                  end=TODAY + timedelta(days=1), reason="", granted_by="chef.lp")
    return Grant(**{**values, **changes})


@pytest.mark.parametrize("today, end", [(date(2026, 12, 1), date(2027, 8, 31)), (date(2027, 8, 31), date(2027, 8, 31)),
                                        (date(2027, 9, 1), date(2028, 8, 31))])
def test_the_school_year_ends_on_31_august(today, end):
    assert school_year_end(today) == end


def test_a_valid_grant_has_no_problem():
    assert problems(_grant(), TODAY, SECRETARY, granter_is_admin=False) == {}
    assert problems(_grant(end=date(2027, 8, 31)), TODAY, SECRETARY, granter_is_admin=False) == {}


def test_each_problem_is_on_its_field():
    assert set(problems(_grant(start=TODAY - timedelta(days=1)), TODAY, SECRETARY, False)) == {"start"}
    assert set(problems(_grant(end=date(2027, 9, 1)), TODAY, SECRETARY, False)) == {"end"}
    assert set(problems(_grant(start=TODAY + timedelta(days=2)), TODAY, SECRETARY, False)) == {"end"}
    assert set(problems(_grant(delegate="chef.lp", granted_by="CHEF.LP"), TODAY,
                        StaffMember("chef.lp", "", "", ("0990002P",)), False)) == {"delegate"}
    assert set(problems(_grant(), TODAY, None, False)) == {"delegate"}
    assert set(problems(_grant(uai="0990002Q"), TODAY, SECRETARY, True)) == {"uai"}


def test_only_the_identity_team_delegates_outside_the_staff_members_establishment():
    elsewhere = _grant(uai="0990001N")
    assert set(problems(elsewhere, TODAY, SECRETARY, granter_is_admin=False)) == {"delegate"}
    assert problems(elsewhere, TODAY, SECRETARY, granter_is_admin=True) == {}


@pytest.mark.parametrize("value, refused", [
    ("le secrétariat, 03 80 00 00 00", False), ("", False), ("a" * 201, True), ("<i>", True), ("=A1", True),
    ("+33 3 80", True), ("-x", True), ("@SUM", True), ("|cmd", True), ("zéro\u200bwidth", False), ("ligne\x07", False),
    ("\u200b=A1", True), ("\u2060\u200e+1", True), (" \t@SUM", True), ("-", False)])
def test_free_text_is_cleaned_then_refuses_length_markup_and_formulas(value, refused):
    """Invisible and control characters are removed first: one in front of `=` does not hide the formula."""
    assert (text_problem("Motif", value, 200) is not None) is refused


def test_one_cleaning_composes_removes_the_invisible_and_says_so():
    from directory.texts import cleaning
    assert cleaning("Zoe\u0301\u0007 Le\u200b  Goff\u202e").text == "Zoé Le Goff"
    assert cleaning("Zoe\u0301").recomposed and cleaning("a\u200bb").removed_invisible
    assert cleaning("ligne\nsuivante\tici").text == "ligne suivante ici"


def test_letter_settings_refuse_an_address_that_is_not_a_web_address():
    assert set(letter_problems(StoredLetterSettings(activation_url="javascript:alert(1)"))) == {"activation_url"}
    assert letter_problems(StoredLetterSettings(activation_url="https://ent.example.org/compte?x=1")) == {}


def test_stored_settings_that_are_not_json_read_as_none():
    assert StoredLetterSettings.from_json("{not json") == StoredLetterSettings()
    assert StoredLetterSettings.from_json('["a"]') == StoredLetterSettings()
    assert StoredLetterSettings.from_json('{"contact": "x", "other": 1}') == StoredLetterSettings(contact="x")
