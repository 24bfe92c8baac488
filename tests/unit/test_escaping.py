"""Every value that reaches a filter or a DN is escaped by directory.escaping."""
from directory.escaping import all_of, any_of, contains, dn, equals, filter_value, rdn


def test_filter_metacharacters_are_escaped():
    assert filter_value("*)(uid=*") == r"\2a\29\28uid=\2a"
    assert filter_value("a\\b") == r"a\5cb"
    assert filter_value("nul\x00") == r"nul\00"


def test_plain_and_accented_values_pass_unchanged():
    assert filter_value("Zoé N'Diaye") == "Zoé N'Diaye"


def test_equals_builds_one_assertion_even_for_hostile_input():
    assert equals("uid", "*)(|(uid=*") == r"(uid=\2a\29\28|\28uid=\2a)"


def test_contains_keeps_its_own_wildcards_only():
    assert contains("sesameSearchKey", "a*b") == r"(sesameSearchKey=*a\2ab*)"


def test_all_of_and_any_of_skip_empty_parts():
    assert all_of("(a=1)", None, "") == "(a=1)"
    assert all_of("(a=1)", "(b=2)") == "(&(a=1)(b=2))"
    assert any_of() == "(!(objectClass=*))"


def test_dn_values_are_escaped():
    assert rdn("cn", "a,b+c") == r"cn=a\,b\+c"
    assert dn("uid", "x=y,ou=evil", "ou=staff,dc=x") == r"uid=x\=y\,ou\=evil,ou=staff,dc=x"
