"""`flask directory …`: the directory's release steps (migrate), its backups and their restore, and upkeep (a lost
second factor, the journal's purge, the figures computed ahead)."""
from __future__ import annotations

import sys
from contextlib import contextmanager

import click
from flask import current_app
from flask.cli import AppGroup

from directory.errors import DirectoryError
from directory.migrations import MigrationRightsError, MigrationSettings, Migrator

from redis.exceptions import RedisError

from .extensions import directory, redis, service_dn
from .config import seal_key

directory_cli = AppGroup("directory", help="Directory schema, configuration and demo data.")


@contextmanager
def exit_on_directory_error():
    """A command the directory refused: the reason on standard error, exit status 1."""
    try:
        yield
    except DirectoryError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(1)


def migration_settings(config) -> MigrationSettings:
    suffix = config["SESAME_LDAP_SUFFIX"]
    return MigrationSettings(
        url=config["SESAME_LDAP_ADMIN_URL"] or config["SESAME_LDAP_URL"],
        suffix=suffix,
        service_dn=config["SESAME_LDAP_BIND_DN"] or service_dn(suffix),
        service_password=config["SESAME_LDAP_BIND_PASSWORD"],
        admin_dn=config["SESAME_LDAP_ADMIN_DN"] or None,
        admin_password=config["SESAME_LDAP_ADMIN_PASSWORD"] or None,
        migrator_dn=config["SESAME_LDAP_MIGRATOR_DN"] or config["SESAME_LDAP_ADMIN_DN"],
        argon2=(config["SESAME_ARGON2_TIME_COST"], config["SESAME_ARGON2_MEMORY_COST"],
                config["SESAME_ARGON2_PARALLELISM"]),
        replicator_password=config["SESAME_LDAP_REPLICATOR_PASSWORD"],
        replicate_from=config["SESAME_LDAP_REPLICATE_FROM"],
        sso_password=config["SESAME_LDAP_SSO_PASSWORD"],
    )


@directory_cli.command("migrate")
def migrate_command():
    """Apply the migrations not yet applied; does nothing when all are."""
    try:
        applied = Migrator(migration_settings(current_app.config)).migrate(say=click.echo)
    except MigrationRightsError as error:      # before the DirectoryError it is: another exit status
        click.echo(f"error: {error}", err=True)
        sys.exit(2)
    except DirectoryError as error:
        click.echo(f"error: the directory refused a migration: {error}", err=True)
        sys.exit(1)
    click.echo(f"{len(applied)} migration(s) applied" if applied else "directory up to date: nothing to apply")


@directory_cli.command("remove-second-factor")
@click.argument("uid")
def remove_second_factor_command(uid):
    """Remove a staff member's TOTP second factor (lost phone, no recovery code left): when
    SESAME_STAFF_TOTP is `required`, they enroll again at their next sign-in."""
    from directory.passwords import Sealer
    from directory.second_factor import SecondFactors
    with exit_on_directory_error():
        member = directory.current.staff(uid)
        SecondFactors(directory.current, Sealer(seal_key(current_app.config))).remove(member.dn)
    click.echo(f"second factor of {uid} removed")


@directory_cli.command("purge-journal")
def purge_journal_command():
    """Remove the « Journal des opérations » records older than SESAME_AUDIT_RETENTION_DAYS now
    (the workers do it by themselves once a day, for the days just past the period; this looks at every
    record, those of days a purge missed included)."""
    from .journal.purge import purge_now
    with exit_on_directory_error():
        removed = purge_now(everything=True)
    click.echo(f"{removed} journal record(s) removed")


@directory_cli.command("refresh-figures")
def refresh_figures_command():
    """Compute every establishment's « Statistiques » figures again into Redis (issue 15): run it from a
    timer every few minutes so that the identity team's all-establishments view never computes them."""
    import time

    from .figures import figures_of
    started = time.monotonic()
    establishments = directory.current.establishments()
    for establishment in establishments:
        figures_of(establishment.uai, max_age=0)
    click.echo(f"figures of {len(establishments)} establishment(s) computed in {time.monotonic() - started:.1f} s")


@directory_cli.command("backup")
@click.argument("destination", type=click.Path(file_okay=False))
@click.option("--keep-days", type=click.IntRange(min=1), default=None,
              help="Puis supprimer de DESTINATION les copies de plus de N jours.")
def backup_command(destination, keep_days):
    """Copy the directory online into a new folder of DESTINATION: what Redis holds of the jobs, then
    cn=config and the accounts' database (slapcat, on the directory's host), checksummed (SHA256SUMS).
    Never during a migration."""
    from pathlib import Path

    from directory import backup
    from .jobs import backup as jobs_backup
    config = current_app.config
    partial, final = backup.start(destination)
    try:
        jobs, keys = jobs_backup.export(redis.current, partial / jobs_backup.FILE)   # first: jobs/backup.py says why
        entries = backup.copy_directory(partial, config["SESAME_SLAPD_CONFIG_DIR"], config["SESAME_LDAP_SUFFIX"])
        copy = backup.finish(partial, final, {"suffix": config["SESAME_LDAP_SUFFIX"], "entries": entries,
                                              "jobs": jobs, "redis_keys": keys},
                             [jobs_backup.FILE, backup.CONFIG, backup.DATA])
    except (backup.BackupError, RedisError, OSError) as error:
        import shutil
        shutil.rmtree(partial, ignore_errors=True)
        click.echo(f"erreur : aucune copie faite : {error}", err=True)
        sys.exit(1)
    click.echo(f"copie faite : {copy.folder} ({entries} entrées de l'annuaire, {jobs} opération(s))")
    if keep_days:
        for old in backup.older_than(Path(destination), keep_days, keep=copy.folder):
            click.echo(f"copie de plus de {keep_days} jours supprimée : {old}")


@directory_cli.command("restore")
@click.argument("source", type=click.Path(exists=True, file_okay=False))
def restore_command(source):
    """Put a copy made by `directory backup` back into an empty instance: slapd stopped with its cn=config
    and database folders empty, and a Redis without jobs. Checksums are checked first; nothing is written
    when anything is not so."""
    from pathlib import Path

    from directory import backup
    from .jobs import backup as jobs_backup
    config = current_app.config
    try:
        plan = backup.check_restore(source, config["SESAME_SLAPD_CONFIG_DIR"], config["SESAME_LDAP_SUFFIX"])
        if not (Path(source) / jobs_backup.FILE).exists():
            raise backup.BackupError(f"{jobs_backup.FILE} manque : copie incomplète.")
        jobs_backup.refuse_unless_empty(redis.current)
        entries = backup.restore_directory(plan)
        jobs = jobs_backup.restore(redis.current, Path(source) / jobs_backup.FILE, plan.manifest["made"])
    except (backup.BackupError, RuntimeError, RedisError, OSError) as error:
        click.echo(f"erreur : {error}", err=True)
        sys.exit(1)
    click.echo(f"restauré : {entries} entrées de l'annuaire (copie du {plan.manifest['made']}), {jobs} opération(s). "
               "Démarrez slapd, puis `flask --app wsgi directory migrate` (les migrations venues depuis la copie), "
               "puis les services de Sésame.")
