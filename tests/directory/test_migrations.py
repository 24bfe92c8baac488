"""Migrations: applied in order through cn=config, recorded, idempotent, clear about missing rights."""
import dataclasses
import shutil

import ldap3
import pytest

from devtools.slapd import EmbeddedSlapd
from directory.migrations import MigrationRightsError, Migrator, available
from support import SERVICE_DN, SERVICE_PASSWORD, SUFFIX


@pytest.fixture
def fresh_slapd(tmp_path):
    with EmbeddedSlapd(tmp_path / "slapd", SUFFIX) as server:
        yield server


def test_all_migrations_apply_once_then_nothing(fresh_slapd, migration_settings):
    settings = dataclasses.replace(migration_settings, url=fresh_slapd.ldapi_url,
                                   migrator_dn=fresh_slapd.manager_dn)
    first = Migrator(settings).migrate(say=lambda _: None)
    assert first == [p.stem for p in available()]
    assert Migrator(settings).migrate(say=lambda _: None) == []
    assert Migrator(settings).pending() == []


def test_the_service_identity_binds_after_migrating(migrated, slapd):
    conn = ldap3.Connection(ldap3.Server(slapd.ldap_url), SERVICE_DN, SERVICE_PASSWORD)
    assert conn.bind()
    conn.unbind()


def test_schema_and_overlays_are_in_cn_config(migrated, slapd):
    conn = ldap3.Connection(ldap3.Server(slapd.ldapi_url), authentication=ldap3.SASL,
                            sasl_mechanism=ldap3.EXTERNAL, sasl_credentials="", auto_bind=True)
    conn.search("cn=config", "(objectClass=olcOverlayConfig)", attributes=["olcOverlay"])
    overlays = {str(e.olcOverlay).split("}")[-1] for e in conn.entries}
    assert {"ppolicy", "unique", "refint"} <= overlays
    conn.search("cn=schema,cn=config", "(cn={*}sesame)", attributes=["olcObjectClasses"])
    assert any("sesameAccount" in v for v in conn.entries[0].olcObjectClasses.values)
    conn.unbind()


def test_a_migrator_without_rights_on_cn_config_is_told_so(migrated, slapd, migration_settings, tmp_path):
    for path in available():
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "0099_more_indexes.ldif").write_text(
        "dn: {{database}}\nchangetype: modify\nadd: olcDbIndex\nolcDbIndex: mail eq\n-\n")
    settings = dataclasses.replace(migration_settings, url=slapd.ldap_url, admin_dn=SERVICE_DN,
                                   admin_password=SERVICE_PASSWORD)
    with pytest.raises(MigrationRightsError, match="cn=config"):
        Migrator(settings, tmp_path).migrate(say=lambda _: None)
    assert [p.name for p in Migrator(migration_settings, tmp_path).pending()] == ["0099_more_indexes.ldif"]


def test_without_a_migrator_dn_the_runner_asks_slapd_who_it_is(fresh_slapd, migration_settings):
    settings = dataclasses.replace(migration_settings, url=fresh_slapd.ldapi_url, migrator_dn="")
    Migrator(settings).migrate(say=lambda _: None)
    conn = ldap3.Connection(ldap3.Server(fresh_slapd.ldapi_url), authentication=ldap3.SASL,
                            sasl_mechanism=ldap3.EXTERNAL, sasl_credentials="", auto_bind=True)
    conn.search("cn=config", "(olcSuffix=*)", ldap3.LEVEL, attributes=["olcAccess"])
    assert any(fresh_slapd.manager_dn in str(rule) for rule in conn.entries[0].olcAccess.values)


def _database_config(server) -> dict:
    conn = ldap3.Connection(ldap3.Server(server.ldapi_url), authentication=ldap3.SASL,
                            sasl_mechanism=ldap3.EXTERNAL, sasl_credentials="", auto_bind=True)
    conn.search("cn=config", "(olcSuffix=*)", ldap3.LEVEL, attributes=["olcAccess", "olcDbIndex"])
    config = conn.entries[0].entry_attributes_as_dict
    conn.unbind()
    return config


def test_a_later_migration_that_adds_indexes_merges_them(fresh_slapd, migration_settings, tmp_path):
    settings = dataclasses.replace(migration_settings, url=fresh_slapd.ldapi_url,
                                   migrator_dn=fresh_slapd.manager_dn)
    Migrator(settings).migrate(say=lambda _: None)
    for path in available():
        shutil.copy(path, tmp_path / path.name)
    (tmp_path / "0099_more_indexes.ldif").write_text(
        "dn: {{database}}\nchangetype: modify\nadd: olcDbIndex\n"
        "olcDbIndex: uid sub\nolcDbIndex: objectClass eq\nolcDbIndex: mail eq\n-\n")
    assert Migrator(settings, tmp_path).migrate(say=lambda _: None) == ["0099_more_indexes"]
    indexes = _database_config(fresh_slapd)["olcDbIndex"]
    assert "uid eq,pres,sub" in indexes and "mail eq" in indexes
    assert sum(v.split()[0].lower() == "objectclass" for v in indexes) == 1


def test_an_identity_that_already_manages_the_database_is_granted_nothing(fresh_slapd, migration_settings):
    settings = dataclasses.replace(migration_settings, url=fresh_slapd.ldapi_url,
                                   migrator_dn=fresh_slapd.manager_dn)
    said = []
    Migrator(settings).migrate(say=said.append)
    assert not any(line.startswith("granted") for line in said)
    assert sum("manage" in rule for rule in _database_config(fresh_slapd)["olcAccess"]) == 1


def test_a_single_directory_gets_its_replicator_password_when_given_one_later(fresh_slapd, migration_settings):
    from directory.migrations import replicator_dn
    from support import binds
    settings = dataclasses.replace(migration_settings, url=fresh_slapd.ldapi_url, migrator_dn=fresh_slapd.manager_dn)
    Migrator(settings).migrate(say=lambda _: None)
    with ldap3.Connection(ldap3.Server(fresh_slapd.ldapi_url), authentication=ldap3.SASL,
                          sasl_mechanism=ldap3.EXTERNAL, sasl_credentials="") as conn:
        conn.search("cn=config", "(olcSyncrepl=*)", attributes=["1.1"])
        assert conn.entries == []                   # the embedded default replicates from nobody
    assert not binds(fresh_slapd.ldap_url, replicator_dn(SUFFIX), "Réplique-2026")
    said = []
    with_password = dataclasses.replace(settings, replicator_password="Réplique-2026")
    assert Migrator(with_password).migrate(said.append) == []
    assert binds(fresh_slapd.ldap_url, replicator_dn(SUFFIX), "Réplique-2026")
    assert said == [f"replicator password set ({replicator_dn(SUFFIX)})"]
    said.clear()
    Migrator(with_password).migrate(said.append)
    assert said == []                              # set once
