"""Generated files: kept outside any served folder, readable by the person who asked only, short-lived."""
from __future__ import annotations

import errno
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from redis import Redis

from .failures import FilesUnwritable

log = logging.getLogger(__name__)
FULL = ("Le serveur n'a plus de place pour enregistrer le document : il n'a pas été gardé, et ce qui en était déjà "
        "écrit a été effacé aussitôt. Les comptes marqués « Fait » sont traités. Prévenez l'équipe technique (le "
        "dossier des fichiers générés est plein), puis relancez l'opération pour refaire le document.")
UNWRITABLE = ("Le serveur n'a pas pu enregistrer le document : il n'a pas été gardé, et ce qui en était déjà écrit a "
              "été effacé aussitôt. Les comptes marqués « Fait » sont traités. Prévenez l'équipe technique (le dossier "
              "des fichiers générés refuse l'écriture), puis relancez l'opération pour refaire le document.")


@dataclass(frozen=True)
class StoredFile:
    token: str
    owner: str
    path: Path
    download_name: str
    mimetype: str


class FileStore:
    def __init__(self, folder: Path | str, redis: Redis, lifetime: int):
        self.folder = Path(folder)
        self.redis = redis
        self.lifetime = lifetime

    def _key(self, token: str) -> str:
        return f"sesame:file:{token}"

    def save(self, owner: str, content: bytes, download_name: str, mimetype: str) -> str:
        """The document kept for its owner; a folder that refuses it (full, read-only) raises `FilesUnwritable`,
        and what was written of it (it may hold passwords) is deleted at once."""
        token = secrets.token_urlsafe(24)
        path = self.folder / token
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as out:
                out.write(content)
                out.flush()
                os.fsync(out.fileno())
        except OSError as error:
            try:
                path.unlink(missing_ok=True)
            except OSError as left:
                log.error("a begun document could not be deleted from %s: %s", self.folder, left)
            log.error("a document of %d bytes could not be kept in %s (%s): what was written of it is deleted",
                      len(content), self.folder, error)
            full = error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
            raise FilesUnwritable(FULL if full else UNWRITABLE, f"{self.folder}: {error}") from error
        self.redis.set(self._key(token), json.dumps({
            "owner": owner, "name": download_name, "mimetype": mimetype, "created": time.time()}),
            ex=self.lifetime)
        return token

    def get(self, token: str, owner: str) -> StoredFile | None:
        """The file if it exists, has not expired, and is this person's; None otherwise."""
        if not token or not token.replace("-", "").replace("_", "").isalnum():
            return None
        raw = self.redis.get(self._key(token))
        path = self.folder / token
        if not raw or not path.exists():
            return None
        meta = json.loads(raw)
        if meta["owner"] != owner:
            return None
        return StoredFile(token, owner, path, meta["name"], meta["mimetype"])

    def purge(self) -> int:
        """Delete the files whose record expired; returns how many."""
        if not self.folder.exists():
            return 0
        removed = 0
        now = time.time()
        for path in self.folder.iterdir():
            # a minute old at least: a file being saved has no record yet
            if path.is_file() and now - path.stat().st_mtime > 60 and not self.redis.exists(self._key(path.name)):
                path.unlink(missing_ok=True)
                removed += 1
        return removed
