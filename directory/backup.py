"""Backups of the directory, online: cn=config and the accounts' database written by slapcat while slapd
serves, each file checksummed; and put back by slapadd into an empty slapd.

Consistent while slapd writes: slapcat reads an mdb database through one LMDB read-only transaction,
opened at its first entry and kept to its last (back-mdb's tools.c), and LMDB's readers see the database
as it was when their transaction began, whatever is written meanwhile (copy-on-write pages, no locks).
slapcat(8) says so: « It is always safe to run slapcat with the slapd-mdb(5) … backends ». cn=config
(back-ldif, one file per entry) changes only when the migrations run: never back up during one.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import socket
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from .ldif import LdifError, parse
from .processes import Overdue, bounded

SLAPCAT = shutil.which("slapcat") or "/usr/sbin/slapcat"
SLAPADD = shutil.which("slapadd") or "/usr/sbin/slapadd"
CONFIG, DATA, MANIFEST, SUMS = "config.ldif.gz", "directory.ldif.gz", "manifest.json", "SHA256SUMS"
FORMAT = 1
_BLOCK = 1 << 20
BOUND = 3 * 3600        # seconds slapcat or slapadd may take (a directory of millions of entries takes minutes)


class BackupError(RuntimeError):
    """Said to the operator as it is (in French): nothing was changed."""


@dataclass(frozen=True)
class Copy:
    folder: Path
    entries: int
    files: dict[str, str]          # name → sha256


def _private_folder(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        for block in iter(lambda: source.read(_BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def _program(command: list[str], what: str, overrun: str, **popen):
    """`command` within BOUND, for the block to feed or read; its failure (its status and message) and its overrun
    (`overrun`: what to do then) said as BackupError."""
    name = Path(command[0]).name
    try:
        with bounded(command, BOUND, stderr=subprocess.PIPE, **popen) as process:
            yield process
            error = process.stderr.read().decode("utf-8", "replace").strip()
            if process.wait() != 0:
                raise BackupError(f"{name} a échoué ({what}) : {error[-2000:] or process.returncode}")
    except Overdue as overdue:
        raise BackupError(f"{name} ne s'est pas terminé en {BOUND} s ({what}) : arrêté. {overrun}") from overdue


def _slapcat(config_dir: Path, target: Path, *selection: str) -> int:
    """slapcat's LDIF of one database, gzipped into `target` (mode 600); the number of entries."""
    command = [SLAPCAT, "-F", str(config_dir), "-o", "ldif_wrap=no", *selection]
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    entries = 0
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out, \
            _program(command, " ".join(selection), "La copie n'est pas faite.", stdout=subprocess.PIPE) as process:
        for line in process.stdout:
            entries += line.startswith(b"dn:")
            out.write(line)
    return entries


def write_sums(folder: Path, names) -> dict[str, str]:
    """SHA256SUMS as `sha256sum -c` reads it, beside the files."""
    sums = {name: _sha256(folder / name) for name in names}
    fd = os.open(folder / SUMS, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.writelines(f"{digest}  {name}\n" for name, digest in sums.items())
    return sums


def start(destination: Path | str, now: datetime | None = None) -> tuple[Path, Path]:
    """A new copy's folder being written (hidden), and the name it takes once complete."""
    now = now or datetime.now(timezone.utc)
    destination = Path(destination).resolve()
    _private_folder(destination)
    final = destination / f"sesame-{now:%Y%m%dT%H%M%SZ}"
    if final.exists():
        raise BackupError(f"{final} existe déjà : une copie par seconde au plus.")
    partial = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partiel", dir=destination))
    return partial, final


def copy_directory(partial: Path, config_dir: Path | str, suffix: str) -> int:
    """cn=config then the accounts' database, read by slapcat while slapd serves. The entries copied."""
    config_dir = Path(config_dir)
    if not (config_dir / "cn=config.ldif").exists():
        raise BackupError(f"pas de cn=config dans {config_dir} : SESAME_SLAPD_CONFIG_DIR doit nommer le "
                          "slapd.d de l'annuaire, sur la machine de l'annuaire.")
    _slapcat(config_dir, partial / CONFIG, "-n", "0")
    return _slapcat(config_dir, partial / DATA, "-b", suffix)


def finish(partial: Path, final: Path, manifest: dict, names) -> Copy:
    """The manifest and the checksums written, the folder renamed: a copy is there whole or not at all."""
    manifest = {"format": FORMAT, "made": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "host": socket.gethostname(), **manifest}
    fd = os.open(partial / MANIFEST, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=1)
    sums = write_sums(partial, [*names, MANIFEST])
    os.replace(partial, final)
    return Copy(final, manifest.get("entries", 0), sums)


def older_than(destination: Path, days: int, keep: Path) -> list[Path]:
    """Copies in `destination` made more than `days` days ago, removed (never `keep`, the one just made,
    nor anything that is not a copy of Sésame's)."""
    removed = []
    limit = datetime.now(timezone.utc).timestamp() - days * 86400
    for folder in sorted(destination.glob("sesame-*")):
        if folder == keep or not (folder / SUMS).exists() or not (folder / MANIFEST).exists():
            continue
        try:
            made = datetime.fromisoformat(json.loads((folder / MANIFEST).read_text())["made"]).timestamp()
        except (ValueError, KeyError, OSError):
            continue
        if made < limit:
            shutil.rmtree(folder)
            removed.append(folder)
    return removed


def verify(folder: Path | str) -> dict:
    """Every file named in SHA256SUMS present and unchanged; the manifest. BackupError otherwise."""
    folder = Path(folder)
    sums_path = folder / SUMS
    if not sums_path.exists():
        raise BackupError(f"{folder} n'est pas une copie de Sésame : pas de fichier {SUMS}.")
    expected = {}
    for line in sums_path.read_text().splitlines():
        digest, _, name = line.partition("  ")
        if not name or "/" in name or name.startswith("."):
            raise BackupError(f"{SUMS} illisible : {line!r}")
        expected[name] = digest
    for needed in (CONFIG, DATA, MANIFEST):
        if needed not in expected:
            raise BackupError(f"{SUMS} ne nomme pas {needed} : copie incomplète.")
    for name, digest in expected.items():
        if not (folder / name).exists():
            raise BackupError(f"{name} manque dans {folder} : copie incomplète.")
        if _sha256(folder / name) != digest:
            raise BackupError(f"{name} ne correspond pas à sa somme de contrôle : copie abîmée, ne la restaurez pas.")
    return json.loads((folder / MANIFEST).read_text())


def _is_empty(path: Path) -> bool:
    return not path.exists() or not any(path.iterdir())


def database_folder(config_ldif: bytes, suffix: str) -> Path:
    """Where the copied cn=config keeps the database of `suffix` (olcDbDirectory)."""
    try:
        changes = parse(config_ldif.decode("utf-8"))
    except (LdifError, UnicodeDecodeError) as error:
        raise BackupError(f"cn=config de la copie illisible : {error}") from error
    for change in changes:
        values = {name.lower(): found for name, found in change.attributes.items()}
        if [s.lower() for s in values.get("olcsuffix", [])] == [suffix.lower()] and values.get("olcdbdirectory"):
            return Path(values["olcdbdirectory"][0])
    raise BackupError(f"la copie n'a pas de base pour le suffixe {suffix}.")


def refuse_unless_empty(config_dir: Path, data_dir: Path) -> None:
    for path, what in ((config_dir, "la configuration de slapd (cn=config)"), (data_dir, "la base de l'annuaire")):
        if not _is_empty(path):
            raise BackupError(
                f"Restauration refusée : {path} ({what}) n'est pas vide. Une copie ne se restaure que dans une "
                f"instance vide : arrêtez slapd, mettez de côté le contenu de {path}, puis recommencez. "
                "Rien n'a été modifié.")


def _give_to_owner(path: Path) -> None:
    """As root, what slapadd wrote goes to whoever owns the folder (openldap on Debian), or slapd could not open it."""
    if os.geteuid() != 0:
        return
    owner = path.stat()
    for root, folders, files in os.walk(path):
        for name in folders + files:
            os.chown(os.path.join(root, name), owner.st_uid, owner.st_gid)


def _slapadd(config_dir: Path, source: Path, *arguments: str) -> None:
    with _program([SLAPADD, "-F", str(config_dir), *arguments], " ".join(arguments),
                  "Recommencez la restauration dans un annuaire vidé.", stdin=subprocess.PIPE,
                  stdout=subprocess.DEVNULL) as process:
        try:
            with gzip.open(source, "rb") as ldif:
                shutil.copyfileobj(ldif, process.stdin, _BLOCK)
            process.stdin.close()
        except BrokenPipeError:
            pass                    # slapadd stopped reading: its message says why


def _empty(path: Path) -> None:
    for child in path.iterdir() if path.exists() else ():
        shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()


@dataclass(frozen=True)
class Plan:
    """A copy checked and a target found empty: what `restore_directory` writes where."""
    folder: Path
    manifest: dict
    config_dir: Path
    data_dir: Path
    suffix: str


def check_restore(folder: Path | str, config_dir: Path | str, suffix: str) -> Plan:
    """The copy's checksums, its suffix, and the target empty (slapd stopped, its cn=config folder and its
    database folder empty or absent): BackupError, in French, at the first that is not so."""
    folder, config_dir = Path(folder), Path(config_dir)
    manifest = verify(folder)
    if manifest.get("suffix", "").lower() != suffix.lower():
        raise BackupError(f"Restauration refusée : cette copie est celle du suffixe {manifest.get('suffix')!r}, "
                          f"pas de {suffix!r}. Rien n'a été modifié.")
    with gzip.open(folder / CONFIG, "rb") as source:
        data_dir = database_folder(source.read(), suffix)
    refuse_unless_empty(config_dir, data_dir)
    return Plan(folder, manifest, config_dir, data_dir, suffix)


def restore_directory(plan: Plan) -> int:
    """cn=config then the database put back by slapadd; the entries restored. Folders that exist keep
    their owner (openldap on Debian: empty them, do not remove them); those made here are this user's."""
    for path in (plan.config_dir, plan.data_dir):
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        _slapadd(plan.config_dir, plan.folder / CONFIG, "-n", "0")
        _slapadd(plan.config_dir, plan.folder / DATA, "-q", "-b", plan.suffix)
    except BaseException:
        for path in (plan.config_dir, plan.data_dir):   # empty before: empty again, nothing half restored
            _empty(path)
        raise
    _give_to_owner(plan.config_dir)
    _give_to_owner(plan.data_dir)
    return int(plan.manifest.get("entries", 0))
