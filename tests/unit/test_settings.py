"""Settings come from SESAME_* variables, with defaults in code."""
from webapp.config import from_environment


def test_defaults_without_environment():
    config = from_environment({})
    assert config["SESAME_LDAP_SUFFIX"] == "dc=sesame,dc=local"
    assert config["SESAME_SSO_TRUSTED_PROXIES"] == ("127.0.0.1", "::1")
    assert config["SESAME_STAFF_TOTP"] == "required"        # a second factor unless said otherwise


def test_environment_overrides_and_parses():
    config = from_environment({"SESAME_LDAP_TIMEOUT": "2.5", "SESAME_LOGIN_ATTEMPTS": "9",
                               "SESAME_SSO_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2",
                               "SESAME_SECURE_COOKIES": "true"})
    assert config["SESAME_LDAP_TIMEOUT"] == 2.5
    assert config["SESAME_LOGIN_ATTEMPTS"] == 9
    assert config["SESAME_SSO_TRUSTED_PROXIES"] == ("10.0.0.1", "10.0.0.2")
    assert config["SESAME_SECURE_COOKIES"] is True


def test_a_missing_secret_stops_the_app_at_start_up_saying_which():
    import base64

    import pytest

    from webapp import create_app
    complete = {"SESAME_SECRET_KEY": "s" * 32, "SESAME_LDAP_BIND_PASSWORD": "p" * 16,
                "SESAME_SEAL_KEY": base64.b64encode(b"k" * 32).decode()}
    for name, wrong in (("SESAME_SEAL_KEY", ""), ("SESAME_SEAL_KEY", "c2hvcnQ="), ("SESAME_LDAP_BIND_PASSWORD", ""),
                        ("SESAME_SECRET_KEY", "")):
        with pytest.raises(RuntimeError, match=name):
            create_app({**complete, name: wrong})
