"""Applies the versioned LDIF files of migrations/ in order, through cn=config, and records them."""
from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import ldap3

from . import attributes as A
from .connection import open_connection, translated
from .errors import DirectoryError, InsufficientRights, InvalidCredentials, NotFound
from .escaping import equals
from .indexes import merge_indexes
from .ldif import Change, parse
from .passwords import PasswordHasher

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
CONSUMER_LDIF = "consumer.ldif"         # not numbered: applied to a consumer only, after the others
_FILE = re.compile(r"^(\d{4})_[a-z0-9_]+\.ldif$")
# overlays a migration may name by a placeholder: their DN carries an index only cn=config knows
_OVERLAYS = {"ppolicy_overlay": "olcPPolicyConfig", "unique_overlay": "olcUniqueConfig"}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@dataclass(frozen=True)
class MigrationSettings:
    """Who applies the migrations: an identity that manages cn=config and the accounts database."""
    url: str                                  # e.g. ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi
    suffix: str
    service_dn: str
    service_password: str = field(repr=False)
    admin_dn: str | None = None               # None: SASL EXTERNAL (ldapi, as the local user)
    admin_password: str | None = field(default=None, repr=False)
    migrator_dn: str = ""                     # the DN slapd sees for that identity (for the ACLs)
    module_path: str = "/usr/lib/ldap"
    argon2: tuple[int, int, int] = (2, 19456, 1)   # t, m (KiB), p
    replicator_password: str = field(default="", repr=False)  # what consumers bind with (0015)
    replicate_from: str = ""                  # set on a consumer: the provider's URL (consumer.ldif)
    sso_password: str = field(default="", repr=False)  # what the SSO engine binds with (0023)


def replicator_dn(suffix: str) -> str:
    return f"cn=replicator,ou=services,{suffix}"


def sso_dn(suffix: str) -> str:
    """The SSO engine's identity (LemonLDAP::NG, migration 0023)."""
    return f"cn=sso,ou=services,{suffix}"


# The service identity's password is a long random secret, not a person's: a light argon2 cost takes
# nothing from it, and keeps its binds cheap (the pool rebinds after a restart and to release
# sorted-search contexts).
SERVICE_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class MigrationRightsError(DirectoryError):
    pass


def available(directory: Path = MIGRATIONS_DIR) -> list[Path]:
    return sorted(p for p in directory.iterdir() if _FILE.match(p.name))


def _name(path: Path) -> str:
    return path.stem


class Migrator:
    def __init__(self, settings: MigrationSettings, directory: Path = MIGRATIONS_DIR):
        self.settings = settings
        self.directory = directory
        self.record_dn = f"cn={A.MIGRATIONS_CN},{settings.suffix}"

    def _connect(self) -> ldap3.Connection:
        s = self.settings
        return open_connection(s.url, s.admin_dn, s.admin_password, 10.0,
                               sasl_external=s.admin_dn is None)

    def _database_dn(self, conn) -> str:
        try:
            with translated():
                conn.search("cn=config", equals("olcSuffix", self.settings.suffix), ldap3.LEVEL,
                            attributes=["olcSuffix"])
        except (NotFound, InsufficientRights):
            found = False
        else:
            found = bool(conn.entries)
        if not found:
            raise MigrationRightsError(
                f"no database with suffix {self.settings.suffix} is visible under cn=config: "
                "the migration identity must manage cn=config and the database must exist")
        return conn.entries[0].entry_dn

    def _values(self, database: str, migrator: str) -> dict[str, str]:
        s = self.settings
        t, m, p = s.argon2
        return {
            "suffix": s.suffix,
            "database": database,
            "service_dn": s.service_dn,
            "service_cn": s.service_dn.split(",", 1)[0].split("=", 1)[1],
            "service_password_hash": SERVICE_HASHER.hash(s.service_password),
            "migrator_dn": migrator,
            "module_path": s.module_path,
            "argon2_params": f"t={t} m={m} p={p}",
            "replicator_dn": replicator_dn(s.suffix),
            # none given: a secret nobody knows, so that nobody binds as the replicator
            "replicator_password_hash": SERVICE_HASHER.hash(s.replicator_password or secrets.token_urlsafe(32)),
            "replicator_password": s.replicator_password,
            "sso_dn": sso_dn(s.suffix),
            "sso_password_hash": SERVICE_HASHER.hash(s.sso_password or secrets.token_urlsafe(32)),
            "provider_url": s.replicate_from,
        }

    def _migrator_dn(self, conn) -> str:
        s = self.settings
        return s.migrator_dn or s.admin_dn or self._who_am_i(conn)

    def _grant_migrator(self, conn, database: str, migrator: str, say) -> None:
        """Give the migration identity `manage` on the accounts database, through cn=config.

        An identity that manages cn=config may already give itself anything; it is not always given
        the data too: Debian's package gives root over ldapi cn=config, and the database's own ACLs
        (`to * by * read`) shadow the frontend rule that would let it write the entries. 0003 puts
        this same rule first when it replaces the database's ACLs, so a database migrated once
        already has it and nothing is changed.
        """
        with translated():
            conn.search(database, "(objectClass=*)", ldap3.BASE, attributes=["olcAccess"])
        rules = conn.entries[0].entry_attributes_as_dict.get("olcAccess", []) if conn.entries else []
        if rules and _grants_manage(_in_order(rules)[0], migrator):
            return
        with translated():
            conn.modify(database, {"olcAccess": [(ldap3.MODIFY_ADD, ["{0}" + _manage_rule(migrator)])]})
        say(f"granted {migrator} manage on {self.settings.suffix} (first ACL of {database})")

    def _overlays(self, conn, database: str) -> dict[str, str]:
        """`ppolicy_overlay`, `unique_overlay`: the DN of the database's ppolicy and unique overlays, whatever
        their index (a deployment may have had overlays of its own before Sésame's); absent before migration
        0004 adds them."""
        found = {}
        for placeholder, object_class in _OVERLAYS.items():
            with translated():
                conn.search(database, f"(objectClass={object_class})", ldap3.LEVEL, attributes=["1.1"])
            if conn.entries:
                found[placeholder] = conn.entries[0].entry_dn
        return found

    def _who_am_i(self, conn) -> str:
        """The DN slapd gives the migration identity: the ACLs grant it `manage`. Without one, the
        ACL migration would stop half-applied, so it is refused before anything is changed."""
        with translated():
            answer = conn.extend.standard.who_am_i() or ""
        identity = answer[3:] if answer.startswith("dn:") else ""
        if not identity:
            raise MigrationRightsError("cannot tell which DN the migration identity has: set "
                                       "SESAME_LDAP_MIGRATOR_DN (for root over ldapi: "
                                       "gidNumber=0+uidNumber=0,cn=peercred,cn=external,cn=auth)")
        return identity

    def applied(self, conn) -> set[str]:
        if not self._exists(conn, self.record_dn):
            return set()
        with translated():
            conn.search(self.record_dn, "(objectClass=*)", ldap3.BASE, attributes=[A.DESCRIPTION])
        return set(conn.entries[0].entry_attributes_as_dict.get(A.DESCRIPTION, []))

    def pending(self) -> list[Path]:
        conn = self._connect()
        try:
            return self._pending(conn)
        finally:
            conn.unbind()

    def migrate(self, say=print) -> list[str]:
        """Apply what is not yet applied; return the names applied (none the second time, when
        nothing is written, not even cn=config read).

        On a consumer (`replicate_from` set) only the cn=config part of each migration is applied:
        its entries, and the record of what was applied, come from the provider by replication. Then
        `consumer.ldif` points its database at the provider."""
        consumer = bool(self.settings.replicate_from)
        if consumer:
            _check_replicator_password(self.settings.replicator_password)
        conn = self._connect()
        try:
            try:
                applied = []
                if self._pending(conn):
                    applied = self._migrate(conn, consumer, say)
                if consumer:
                    self._replicate(conn, say)
                else:
                    self._ensure_passwords(conn, say)
                return applied
            except InsufficientRights as error:
                raise MigrationRightsError(
                    "the migration identity lacks the rights to change the directory "
                    f"({self.settings.admin_dn or 'SASL EXTERNAL over ldapi'}): it must manage cn=config "
                    f"(it then grants itself manage on the database of {self.settings.suffix}), and "
                    "SESAME_LDAP_MIGRATOR_DN, when set, must be the DN slapd gives it (ldapwhoami). "
                    f"LDAP said: {error}") from error
        finally:
            conn.unbind()

    def _migrate(self, conn, consumer: bool, say) -> list[str]:
        database = self._database_dn(conn)
        migrator = self._migrator_dn(conn)
        self._grant_migrator(conn, database, migrator, say)
        if not consumer:
            self._ensure_base(conn)
        values = self._values(database, migrator)
        applied = []
        for path in self._pending(conn):   # again: the record may be readable only now
            name = _name(path)
            text = path.read_text(encoding="utf-8")
            if any("{{%s}}" % name in text for name in _OVERLAYS):   # made by an earlier migration of this run, maybe
                values = {**values, **self._overlays(conn, database)}
            say(f"applying {name}" + (" (its cn=config part: a consumer)" if consumer else ""))
            for change in parse(_fill(text, values, path)):
                if consumer and not _is_config(change.dn):
                    continue
                _apply(conn, change, say)
            if not consumer:
                self._record(conn, name)
            applied.append(name)
        return applied

    def _replicate(self, conn, say) -> None:
        """Point this consumer's database at the provider, unless it already is (same provider,
        same password): replacing olcSyncrepl restarts the replication."""
        s = self.settings
        database = self._database_dn(conn)
        with translated():
            conn.search(database, "(objectClass=*)", ldap3.BASE, attributes=["olcSyncrepl"])
        current = conn.entries[0].entry_attributes_as_dict.get("olcSyncrepl", []) if conn.entries else []
        if any(f"provider={s.replicate_from} " in value and s.replicator_password in value for value in current):
            return
        path = self.directory / CONSUMER_LDIF
        values = self._values(database, self._migrator_dn(conn))
        say(f"replicating {s.suffix} from {s.replicate_from}")
        for change in parse(_fill(path.read_text(encoding="utf-8"), values, path)):
            _apply(conn, change, say)

    def _ensure_passwords(self, conn, say) -> None:
        """On a provider: the replicator and the SSO engine bind with the passwords given, or are given them
        (a single directory that gets its first consumer, a directory that gets its SSO engine)."""
        s = self.settings
        for who, dn, password in (("replicator", replicator_dn(s.suffix), s.replicator_password),
                                  ("SSO engine", sso_dn(s.suffix), s.sso_password)):
            if password and self._exists(conn, dn):
                self._ensure_password(conn, who, dn, password, say)

    def _ensure_password(self, conn, who: str, dn: str, password: str, say) -> None:
        try:
            open_connection(self.settings.url, dn, password, 10.0).unbind()
            return
        except InvalidCredentials:
            pass
        with translated():
            conn.modify(dn, {"userPassword": [(ldap3.MODIFY_REPLACE, [SERVICE_HASHER.hash(password)])]})
        say(f"{who} password set ({dn})")

    def _pending(self, conn) -> list[Path]:
        done = self.applied(conn)
        return [p for p in available(self.directory) if _name(p) not in done]

    def _exists(self, conn, dn: str) -> bool:
        try:
            with translated():
                return conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["1.1"])
        except NotFound:
            return False

    def _ensure_base(self, conn) -> None:
        """The suffix entry and the record of applied migrations, before any migration."""
        suffix = self.settings.suffix
        if not self._exists(conn, suffix):
            attribute, value = suffix.split(",", 1)[0].split("=", 1)
            with translated():
                if attribute.lower() == "dc":
                    conn.add(suffix, ["dcObject", "organization"], {"dc": value, "o": "Sésame"})
                else:
                    conn.add(suffix, ["organization"], {"o": value})
        if not self._exists(conn, self.record_dn):
            with translated():
                conn.add(self.record_dn, ["applicationProcess"], {"cn": A.MIGRATIONS_CN})

    def _record(self, conn, name: str) -> None:
        with translated():
            conn.modify(self.record_dn, {A.DESCRIPTION: [(ldap3.MODIFY_ADD, [name])]})


def _is_config(dn: str) -> bool:
    return dn.strip().lower().endswith("cn=config")


def _check_replicator_password(password: str) -> None:
    """It goes into olcSyncrepl between double quotes: it must not end them."""
    if not password:
        raise DirectoryError("a consumer needs SESAME_LDAP_REPLICATOR_PASSWORD, the provider's replicator password")
    if any(c in password for c in '"\\') or any(c.isspace() for c in password):
        raise DirectoryError("SESAME_LDAP_REPLICATOR_PASSWORD may not hold quotes, backslashes or spaces")


def _fill(text: str, values: dict[str, str], path: Path) -> str:
    def replace(match):
        key = match.group(1)
        if key not in values:
            raise DirectoryError(f"{path.name}: unknown placeholder {{{{{key}}}}}")
        return values[key]
    return _PLACEHOLDER.sub(replace, text)


def _manage_rule(migrator: str) -> str:
    """The first ACL of the accounts database, as 0003 writes it too."""
    return f'to * by dn.exact="{migrator}" manage by * break'


_ORDER_PREFIX = re.compile(r"^\{(\d+)\}")
_MANAGE = re.compile(r'^to\s+\*\s+by\s+dn(?:\.exact|\.base)?\s*=\s*"?([^"]+?)"?\s+manage(?:\s|$)',
                     re.IGNORECASE)


def _in_order(rules: list[str]) -> list[str]:
    """olcAccess values by their {n} prefix, without it."""
    def position(rule):
        match = _ORDER_PREFIX.match(rule)
        return int(match.group(1)) if match else 0
    return [_ORDER_PREFIX.sub("", rule, count=1) for rule in sorted(rules, key=position)]


def _normal_dn(dn: str) -> str:
    return re.sub(r"\s*([,=+])\s*", r"\1", dn.strip()).lower()


def _grants_manage(rule: str, migrator: str) -> bool:
    match = _MANAGE.match(rule.strip())
    return bool(match) and _normal_dn(match.group(1)) == _normal_dn(migrator)


def _merge_indexes(conn, dn: str, wanted: list[str], say) -> None:
    """Indexes are merged with those the database has, never added blindly: see merge_indexes.
    Delete and add go in one modify, so that slapd reindexes only the types that are new."""
    with translated():
        conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["olcDbIndex"])
    existing = conn.entries[0].entry_attributes_as_dict.get("olcDbIndex", []) if conn.entries else []
    delete, add = merge_indexes(list(existing), wanted)
    changes = ([(ldap3.MODIFY_DELETE, delete)] if delete else []) + ([(ldap3.MODIFY_ADD, add)] if add else [])
    if delete:
        say(f"  indexes merged with those already defined (rewritten: {'; '.join(delete)})")
    if changes:
        with translated():
            conn.modify(dn, {"olcDbIndex": changes})


def _apply(conn, change: Change, say=print) -> None:
    with translated():
        if change.kind == "add":
            object_classes = change.attributes.get("objectClass", [])
            rest = {k: v for k, v in change.attributes.items() if k != "objectClass"}
            conn.add(change.dn, object_classes, rest)
        elif change.kind == "modify":
            ops = {"add": ldap3.MODIFY_ADD, "replace": ldap3.MODIFY_REPLACE, "delete": ldap3.MODIFY_DELETE}
            # one modify per attribute keeps the order of the file, which cn=config cares about
            for op, attribute, values in change.modifications:
                if op == "add" and attribute.lower() == "olcdbindex":
                    _merge_indexes(conn, change.dn, values, say)
                else:
                    conn.modify(change.dn, {attribute: [(ops[op], values)]})
        else:
            conn.delete(change.dn)
