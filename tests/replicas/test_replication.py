"""The suite's provider and consumer: set up by the migrations, the consumer filled and kept up by syncrepl."""
import ldap3

from directory import attributes as A
from directory.connection import open_connection
from directory.replicas import has_reached
from support import SERVICE_DN, SERVICE_PASSWORD, SUFFIX, own_staff_member, remove_entry


def _entries(url, base, filter_):
    conn = open_connection(url, SERVICE_DN, SERVICE_PASSWORD, 5)
    try:
        conn.search(base, filter_, ldap3.SUBTREE, attributes=["1.1"])
        return [e["dn"] for e in conn.response if e.get("type") == "searchResEntry"]
    finally:
        conn.unbind()


def test_the_consumer_holds_what_the_provider_holds(servers):
    students = f"{A.STUDENTS},{SUFFIX}"
    on_provider = _entries(servers.provider.ldap_url, students, "(objectClass=*)")
    assert len(on_provider) > 2000
    assert sorted(_entries(servers.consumer.ldap_url, students, "(objectClass=*)")) == sorted(on_provider)


def test_a_change_on_the_provider_reaches_the_consumer_and_not_before_the_link_flows(servers):
    servers.link.hold()
    dn = own_staff_member(servers.directory, "replique.tenue", "Mot-de-passe-2026")
    try:
        held_at = servers.directory.reads.provider_state()
        assert _entries(servers.provider.ldap_url, dn, "(objectClass=*)") == [dn]
        assert not has_reached(servers.directory.reads.consumer_states()[0], held_at)
        assert _entries(servers.consumer.ldap_url, f"{A.STAFF},{SUFFIX}", "(uid=replique.tenue)") == []
        servers.link.release()
        servers.wait_until_caught_up()
        assert _entries(servers.consumer.ldap_url, f"{A.STAFF},{SUFFIX}", "(uid=replique.tenue)") == [dn]
    finally:
        servers.link.release()
        remove_entry(servers.directory, dn)


def test_the_consumer_refers_writes_to_the_provider(servers):
    conn = ldap3.Connection(ldap3.Server(servers.consumer.ldap_url), SERVICE_DN, SERVICE_PASSWORD,
                            auto_referrals=False, raise_exceptions=False)
    conn.bind()
    try:
        conn.modify(f"cn={A.MIGRATIONS_CN},{SUFFIX}", {A.DESCRIPTION: [(ldap3.MODIFY_ADD, ["9999_never"])]})
        assert conn.result["description"] == "referral"
        assert conn.result["referrals"][0].startswith(servers.link.url + "/")   # where it replicates from
    finally:
        conn.unbind()


def test_only_the_replicator_reads_password_hashes(servers):
    from directory.migrations import replicator_dn
    head = f"uid=chef.lp,{A.STAFF},{SUFFIX}"

    def hashes(dn, password):
        conn = open_connection(servers.provider.ldap_url, dn, password, 5)
        try:
            conn.search(head, "(objectClass=*)", ldap3.BASE, attributes=[A.USER_PASSWORD])
            return conn.response[0]["attributes"].get(A.USER_PASSWORD)
        finally:
            conn.unbind()
    assert hashes(replicator_dn(SUFFIX), servers.replicator_password)
    assert not hashes(SERVICE_DN, SERVICE_PASSWORD)


def test_migrating_the_consumer_again_changes_nothing(servers):
    from directory.migrations import Migrator
    said = []
    assert Migrator(servers.consumer_migration()).migrate(said.append) == []
    assert said == []       # olcSyncrepl left as it is: replacing it would restart the replication


def test_a_consumer_without_a_usable_replicator_password_is_refused_before_anything(servers):
    import dataclasses

    import pytest

    from directory.errors import DirectoryError
    from directory.migrations import Migrator
    settings = servers.consumer_migration()
    for wrong in ("", 'avec"guillemet', "avec espace"):
        with pytest.raises(DirectoryError, match="SESAME_LDAP_REPLICATOR_PASSWORD"):
            Migrator(dataclasses.replace(settings, replicator_password=wrong)).migrate(say=lambda _: None)
