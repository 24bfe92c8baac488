"""olcDbIndex values merge per attribute: nothing added twice, no index type lost."""
import pytest

from directory.indexes import IndexDefinitionError, merge_indexes, parse_index, render_types

DEBIAN = ["objectClass eq", "cn,uid eq", "uidNumber,gidNumber eq", "member,memberUid eq"]


def test_an_attribute_indexed_as_wanted_is_left_alone():
    assert merge_indexes(DEBIAN, ["objectClass eq", "member eq"]) == ([], [])


def test_a_shared_value_is_split_to_give_one_attribute_more_types():
    delete, add = merge_indexes(DEBIAN, ["uid eq,pres"])
    assert delete == ["cn,uid eq"]
    assert add == ["cn eq", "uid eq,pres"]


def test_an_attribute_not_indexed_yet_is_added():
    assert merge_indexes(DEBIAN, ["sesameUAI eq", "sesameSearchKey eq,sub"]) == (
        [], ["sesameUAI eq", "sesameSearchKey eq,sub"])


def test_types_already_there_are_kept_when_more_are_wanted():
    delete, add = merge_indexes(["mail eq,sub"], ["mail pres"])
    assert (delete, add) == (["mail eq,sub"], ["mail eq,pres,sub"])


def test_attribute_names_compare_without_case_and_keep_the_databases_spelling():
    assert merge_indexes(["objectClass eq"], ["objectclass eq"]) == ([], [])
    assert merge_indexes(["objectClass eq"], ["OBJECTCLASS pres"]) == (
        ["objectClass eq"], ["objectClass eq,pres"])


def test_older_names_of_types_are_the_same_types():
    assert merge_indexes(["cn substr"], ["cn sub"]) == ([], [])
    assert merge_indexes(["cn subinitial,subany,subfinal"], ["cn sub"]) == ([], [])
    assert merge_indexes(["cn subinitial"], ["cn sub"]) == (["cn subinitial"], ["cn sub"])


def test_a_value_without_types_has_the_default_ones():
    existing = ["default eq,pres", "uid"]
    assert merge_indexes(existing, ["uid eq"]) == ([], [])
    assert merge_indexes(existing, ["uid sub"]) == (["uid"], ["uid eq,pres,sub"])


def test_a_migration_run_on_its_own_result_changes_nothing():
    wanted = ["objectClass eq", "uid eq,pres", "sesameSearchKey eq,sub", "member eq"]
    delete, add = merge_indexes(DEBIAN, wanted)
    after = [v for v in DEBIAN if v not in delete] + add
    assert merge_indexes(after, wanted) == ([], [])


def test_an_unknown_type_is_refused():
    with pytest.raises(IndexDefinitionError):
        parse_index("cn equal")


def test_types_render_in_one_order():
    assert render_types(frozenset({"pres", "eq"})) == "eq,pres"
    assert render_types(parse_index("x subany,eq,subfinal,subinitial").types) == "eq,sub"
