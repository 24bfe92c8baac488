"""The LDIF reader for migrations: records, folded lines, base64, modify blocks."""
import pytest

from directory.ldif import LdifError, parse


def test_add_record_with_folded_line_and_comment():
    changes = parse("# comment\ndn: cn=a,dc=x\nobjectClass: top\ndescription: one\n  two\n")
    assert len(changes) == 1
    assert changes[0].kind == "add"
    assert changes[0].attributes == {"objectClass": ["top"], "description": ["one two"]}


def test_base64_value():
    change = parse("dn: cn=a\ndescription:: w6lsw6h2ZQ==\n")[0]
    assert change.attributes["description"] == ["élève"]


def test_modify_record_keeps_operations_in_order():
    text = "dn: cn=config\nchangetype: modify\nreplace: a\na: 1\n-\nadd: b\nb: 2\nb: 3\n-\n"
    change = parse(text)[0]
    assert change.modifications == [("replace", "a", ["1"]), ("add", "b", ["2", "3"])]


def test_several_records():
    assert [c.dn for c in parse("dn: a=1\nx: 1\n\ndn: a=2\nx: 2\n")] == ["a=1", "a=2"]


def test_a_value_of_another_attribute_inside_a_modify_block_is_refused():
    with pytest.raises(LdifError):
        parse("dn: cn=x\nchangetype: modify\nadd: a\nb: 1\n-\n")


def test_record_without_dn_is_refused():
    with pytest.raises(LdifError):
        parse("objectClass: top\n")
