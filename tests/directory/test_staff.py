"""Staff sign-in by bind, and their role and establishments read from the directory."""
import pytest

from directory.errors import InvalidCredentials, NotFound
from directory.model import Role
from support import DEMO_PASSWORD


@pytest.mark.parametrize("uid,role,uais", [
    ("chef.clg", Role.HEAD, ("0990001N",)),
    ("chef.lp", Role.HEAD, ("0990002P",)),
    ("chef.lyc", Role.HEAD, ("0990003R",)),
    ("support.lp", Role.SUPPORT, ("0990002P",)),
    ("admin.idt", Role.ADMIN, ("0990001N", "0990002P", "0990003R")),
])
def test_demo_staff_roles(demo_directory, uid, role, uais):
    staff = demo_directory.staff(uid)
    assert (staff.role, staff.uais) == (role, uais)


@pytest.mark.parametrize("uid", ["chef.lp", "admin.idt"])
def test_heads_and_the_identity_team_sign_in_by_password(demo_directory, uid):
    assert demo_directory.authenticate_staff(uid, DEMO_PASSWORD).uid == uid


def test_support_staff_do_not_sign_in_by_password_even_the_right_one(demo_directory):
    with pytest.raises(InvalidCredentials):
        demo_directory.authenticate_staff("support.lp", DEMO_PASSWORD)


@pytest.mark.parametrize("uid,password", [("chef.lp", "nope"), ("chef.lp", ""), ("", DEMO_PASSWORD),
                                          ("*", DEMO_PASSWORD), ("*)(uid=*", DEMO_PASSWORD),
                                          ("ghost", DEMO_PASSWORD)])
def test_bad_credentials_are_one_exception(demo_directory, uid, password):
    with pytest.raises(InvalidCredentials):
        demo_directory.authenticate_staff(uid, password)


def test_unknown_staff_is_not_found(demo_directory):
    with pytest.raises(NotFound):
        demo_directory.staff("nobody")


def test_establishments_and_their_classes_and_mefs(demo_directory):
    lp = demo_directory.establishment("0990002P")
    assert lp.name == "LP Métiers Auguste Perret"
    classes = {c.code: c.label for c in demo_directory.classes("0990002P")}
    assert classes["1BTS2"] == "1ère année BTS"
    assert demo_directory.mefs("0990002P")
    with pytest.raises(NotFound):
        demo_directory.establishment("0990009A")
