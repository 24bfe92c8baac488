"""The README's « Pointing Sésame at a real directory », followed on a slapd configured as Debian's
package configures the system's one: migrate twice, seed, a head signs in and finds students."""
from __future__ import annotations

import base64
import html
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import ldap3
import pytest

from directory import attributes as A
from devtools.demo import LP, build_demo
from devtools.demo_load import DEMO_HASHER
from devtools.slapd import DebianPackage, EmbeddedSlapd, peercred_dn
from directory.migrations import available
from directory.passwords import Sealer
from support import DEMO_PASSWORD, csrf_token

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "deploy" / "sesame.env.example"
SUFFIX = "dc=nodomain"                       # what the package writes on a host without a domain
SERVICE_DN = f"cn=sesame,ou=services,{SUFFIX}"
STUDENTS_SEEDED = 12


@pytest.fixture(scope="module")
def debian_slapd(tmp_path_factory):
    with EmbeddedSlapd(tmp_path_factory.mktemp("debian-slapd"), SUFFIX,
                       initial=DebianPackage()) as server:
        yield server


def example_settings() -> dict:
    """deploy/sesame.env.example, the file the README has an operator fill in, read as systemd does."""
    settings = {}
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, value = line.partition("=")
            settings[name] = value.strip('"')
    return settings


@pytest.fixture(scope="module")
def readme_settings(debian_slapd, redis_server, tmp_path_factory):
    """The example's settings with its blanks filled as the README says; only the addresses differ,
    those of this temporary slapd (not the system's socket and port) and of the suite's Redis."""
    settings = example_settings()
    assert settings["SESAME_LDAP_SUFFIX"] == SUFFIX
    assert settings["SESAME_LDAP_MIGRATOR_DN"] == DebianPackage.ROOT_OVER_LDAPI
    blanks = {name for name, value in settings.items() if not value}
    assert blanks == {"SESAME_SECRET_KEY", "SESAME_SEAL_KEY", "SESAME_LDAP_BIND_PASSWORD", "SESAME_SSO_SECRET",
                      "SESAME_OPERATOR_TOKEN"}
    settings.update({
        "SESAME_SECRET_KEY": secrets.token_urlsafe(48),
        "SESAME_STAFF_TOTP": "off",          # the second factor has tests of its own; this one is the directory
        "SESAME_SEAL_KEY": base64.b64encode(secrets.token_bytes(32)).decode(),
        "SESAME_LDAP_BIND_PASSWORD": secrets.token_urlsafe(48),
        "SESAME_SSO_SECRET": secrets.token_urlsafe(48),
        "SESAME_OPERATOR_TOKEN": secrets.token_urlsafe(48),
        "SESAME_LDAP_URL": debian_slapd.ldap_url,
        "SESAME_LDAP_ADMIN_URL": debian_slapd.ldapi_url,
        # root's own identity when the suite runs as root, as in the example
        "SESAME_LDAP_MIGRATOR_DN": peercred_dn(),
        # a database of its own: no session or rate limit of the other tests
        "SESAME_REDIS_URL": re.sub(r"/0$", "/7", redis_server.url),
        "SESAME_FILES_DIR": str(tmp_path_factory.mktemp("files")),
    })
    return settings


def flask(settings: dict, *args: str) -> subprocess.CompletedProcess:
    """`flask --app wsgi ...` as the README runs it, with only those settings in the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SESAME_")} | settings
    return subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def package_config(debian_slapd):
    """The database's configuration as the package left it, read before any migration."""
    return _config_of_the_database(debian_slapd)


@pytest.fixture(scope="module")
def migrations_run_twice(package_config, readme_settings):
    return flask(readme_settings, "directory", "migrate"), flask(readme_settings, "directory", "migrate")


def _config_of_the_database(slapd) -> dict:
    conn = ldap3.Connection(ldap3.Server(slapd.ldapi_url), authentication=ldap3.SASL,
                            sasl_mechanism=ldap3.EXTERNAL, sasl_credentials="", auto_bind=True)
    try:
        conn.search("cn=config", f"(olcSuffix={SUFFIX})", ldap3.LEVEL,
                    attributes=["olcAccess", "olcDbIndex", "olcRootDN"])
        return conn.entries[0].entry_attributes_as_dict
    finally:
        conn.unbind()


def test_the_database_starts_as_debians_package_configures_it(package_config):
    assert package_config["olcRootDN"] == [f"cn=admin,{SUFFIX}"]
    assert package_config["olcAccess"][-1] == "{2}to * by * read"     # root may read, not write
    assert not any("manage" in rule for rule in package_config["olcAccess"])
    assert set(package_config["olcDbIndex"]) == {"objectClass eq", "cn,uid eq", "uidNumber,gidNumber eq",
                                                 "member,memberUid eq"}


def test_migrate_applies_every_migration_then_nothing(migrations_run_twice):
    first, second = migrations_run_twice
    assert first.returncode == 0, first.stderr
    assert f"{len(available())} migration(s) applied" in first.stdout
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "directory up to date: nothing to apply"


def test_the_migration_identity_granted_itself_the_data_first(migrations_run_twice, debian_slapd):
    rules = _config_of_the_database(debian_slapd)["olcAccess"]
    first = next(r for r in rules if r.startswith("{0}"))
    assert f'dn.exact="{peercred_dn()}" manage' in first
    assert sum("manage" in r for r in rules) == 1


def test_indexes_merge_with_debians_per_attribute(migrations_run_twice, debian_slapd):
    values = _config_of_the_database(debian_slapd)["olcDbIndex"]
    indexed = {}
    for value in values:
        names, _, types = value.partition(" ")
        for name in names.split(","):
            assert name.lower() not in indexed, f"{name} indexed twice: {values}"
            indexed[name.lower()] = set(types.split(","))
    assert indexed["objectclass"] == {"eq"}
    assert indexed["cn"] == {"eq"}                        # Debian's, kept
    assert indexed["uid"] == {"eq", "pres", "subinitial"}  # Debian's eq, Sésame's pres and beginnings (0016)
    assert indexed["memberuid"] == {"eq"} and indexed["member"] == {"eq"}
    assert indexed["uidnumber"] == indexed["gidnumber"] == {"eq"}
    assert indexed["sesamesearchkey"] == {"eq", "sub"}


def _seed_one_school(settings: dict) -> list[str]:
    """A minimal seed of the demo's own entries, over LDAP as the service identity as `python -m devtools.demo_load`
    adds them: the LP's establishment, MEFs and classes, its head and a few of its students."""
    data = build_demo(SUFFIX, hash_password=DEMO_HASHER.hash,
                      seal=Sealer(base64.b64decode(settings["SESAME_SEAL_KEY"])).seal)
    school = f"{A.UAI}={LP},ou=establishments,{SUFFIX}"
    structure = [e for e in data.entries if e.dn.endswith(school)]
    students = [e for e in data.entries if e.dn.endswith(f"ou=students,{SUFFIX}")
                and e.attributes.get(A.UAI) == [LP]][:STUDENTS_SEEDED]
    head = [e for e in data.entries if e.dn.startswith("uid=chef.lp,")]
    conn = ldap3.Connection(ldap3.Server(settings["SESAME_LDAP_URL"]), SERVICE_DN,
                            settings["SESAME_LDAP_BIND_PASSWORD"], auto_bind=True)
    try:
        for entry in structure + students + head:
            attributes = {k: v for k, v in entry.attributes.items() if k not in (A.PWD_LAST_SUCCESS, A.PWD_CHANGED_TIME)}  # slapd keeps them
            assert conn.add(entry.dn, list(entry.object_classes), attributes), (entry.dn, conn.result)
    finally:
        conn.unbind()
    return [e.attributes[A.SURNAME][0] for e in students]


# What the reverse proxy of deploy/nginx/sesame.conf adds to each request it forwards to gunicorn
NGINX = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https",
         "X-Forwarded-Host": "sesame.example.org"}
BROWSER = {"Referer": "https://sesame.example.org/connexion"}   # checked by the CSRF guard on HTTPS


def test_chef_lp_signs_in_through_the_proxy_and_finds_the_students(migrations_run_twice, readme_settings):
    from webapp import create_app
    from webapp.config import from_environment
    surnames = _seed_one_school(readme_settings)
    app = create_app({**from_environment(readme_settings), "TESTING": True})
    client = app.test_client()
    page = client.get("/connexion", headers=NGINX).get_data(as_text=True)
    response = client.post("/connexion", headers=NGINX | BROWSER, data={
        "csrf_token": csrf_token(page), "uid": "chef.lp", "password": DEMO_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Secure" in response.headers["Set-Cookie"]
    students = html.unescape(client.get("/eleves", headers=NGINX).get_data(as_text=True))
    assert f"<strong>{STUDENTS_SEEDED}</strong> élève(s)" in students
    assert all(surname.upper() in students.upper() for surname in surnames)
    found = html.unescape(client.get("/eleves", headers=NGINX, query_string={"q": surnames[0]})
                          .get_data(as_text=True))
    assert surnames[0].upper() in found.upper()
