"""Generated files: kept outside any served folder, readable by the person who asked only, short-lived."""
from __future__ import annotations

import json
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from redis import Redis


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
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = secrets.token_urlsafe(24)
        path = self.folder / token
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(content)
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
