"""The rules that tell one person entered twice from two people: the INE's check key, the verdicts and their French
reasons, the account kept by default."""
from __future__ import annotations

from directory import ine
from directory.duplicates.rules import DUPLICATE, PARENT, SIBLINGS, STUDENT, Person, judge, keeper, keys, phone_key


def pupil(account_id: str, given="Zoé", surname="N'Diaye", birth="20100312", number="", uai="0990001N", **more):
    return Person(STUDENT, account_id, surname, given, birth, number, (uai,), **more)


VALID, OTHER_VALID = ine.with_key("1234567890"), ine.with_key("0987654321")
WRONG = VALID[:10] + ("A" if VALID[10] != "A" else "B")


def test_the_ine_key_tells_a_real_ine_from_one_typed_wrong():
    assert ine.is_valid(VALID) and ine.is_valid(OTHER_VALID) and ine.is_valid(VALID.lower() + " ")
    assert not ine.is_valid(WRONG) and not ine.is_valid("123") and not ine.is_valid("")
    assert ine.check_key("0000000023") == "A" and ine.check_key("0000000024") == "B"   # the UAI's table, mod 23
    assert ine.is_valid(ine.with_key("12345678AB"))                                       # RNIE: letters in the body


def test_the_same_ine_twice_is_one_pupil_whatever_the_names_say():
    verdict = judge(pupil("a", number=VALID), pupil("b", number=VALID.lower(), uai="0990002P"))
    assert (verdict.kind, verdict.score) == (DUPLICATE, 100)
    assert verdict.reasons == ("même INE", "même nom", "même date de naissance", "établissements différents")
    retyped = judge(pupil("a", number=VALID), pupil("b", given="Zoe", birth="20100313", number=VALID))
    assert retyped.kind == DUPLICATE and "dates de naissance différentes" in retyped.reasons and retyped.score == 90


def test_a_pupil_recreated_without_ine_in_another_school_is_a_duplicate_said_in_french():
    verdict = judge(pupil("a", number=VALID), pupil("b", given="ZOE", surname="Ndiaye", uai="0990002P"))
    assert verdict.kind == DUPLICATE and verdict.score == 85
    assert verdict.reasons == ("même nom et même date de naissance, établissements différents", "un élève sans INE")
    typed_wrong = judge(pupil("a", number=VALID), pupil("b", number=WRONG))
    assert typed_wrong.reasons[1] == f"INE {WRONG} invalide (clé de contrôle fausse)"


def test_twins_siblings_and_namesakes_with_two_real_ines_are_never_duplicates():
    twins = judge(pupil("a", given="Léa", number=VALID), pupil("b", given="Lou", number=OTHER_VALID))
    assert twins.kind == SIBLINGS and "jumeaux probables" in twins.reasons[0]
    namesakes = judge(pupil("a", number=VALID), pupil("b", number=OTHER_VALID, uai="0990002P"))
    assert namesakes.kind == SIBLINGS and "deux INE valides différents" in namesakes.reasons[0]
    siblings = judge(pupil("a", given="Léa", birth="20100312"), pupil("b", given="Lou", birth="20120506"))
    assert siblings is None
    # twins in two schools share nothing the rules call a duplicate either
    assert judge(pupil("a", given="Léa"), pupil("b", given="Lou", uai="0990002P")) is None


def test_a_parent_twice_by_name_and_email_phone_or_child():
    def parent(account_id, given="Sam", mails=(), phones=(), children=()):
        return Person(PARENT, account_id, "Martin", given, uais=("0990001N",), mails=tuple(mails), phones=tuple(phones),
                      children=tuple(children))
    by_mail = judge(parent("a", mails=["Sam@Example.org"]), parent("b", mails=["sam@example.org"]))
    assert by_mail.reasons == ("même nom et même adresse mail",)
    by_phone = judge(parent("a", phones=["06 12 34 56 78"]), parent("b", phones=["+33 6 12 34 56 78"]))
    assert by_phone.reasons == ("même nom et même téléphone",) and phone_key("0612345678") == "612345678"
    both = judge(parent("a", mails=["s@e.org"], children=["c"]), parent("b", mails=["s@e.org"], children=["c"]))
    assert both.score == 95 and both.reasons[0] == "même nom et même enfant"
    assert judge(parent("a", given="Sam", children=["c"]), parent("b", given="Alex", children=["c"])) is None
    assert judge(parent("a"), parent("b")) is None          # a name alone is never enough


def test_the_keys_fold_names_so_accents_and_punctuation_do_not_hide_a_pair():
    assert dict(keys(pupil("a")))["name-birth"] == dict(keys(pupil("b", given="ZOE", surname="Ndiaye")))["name-birth"]


def test_the_activated_account_stays_by_default_else_the_one_with_an_identifier_else_the_older():
    active = pupil("a", state="ACTIVE", identifier="zoe.ndiaye2", created="20260101")
    assert keeper(pupil("b", state="NOTIFIED", identifier="zoe.ndiaye", created="20200101"), active) is active
    identified = pupil("a", state="NOT_NOTIFIED", identifier="zoe.ndiaye", created="20260101")
    assert keeper(pupil("b", state="NOT_NOTIFIED", created="20200101"), identified) is identified
    older = pupil("b", state="NOTIFIED", identifier="x", created="20200101")
    assert keeper(pupil("a", state="NOTIFIED", identifier="y", created="20260101"), older) is older
