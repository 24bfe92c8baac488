"""Previews kept in Redis between the upload and the apply: the apply follows exactly what was shown."""
from __future__ import annotations

import json
import secrets

from directory.registry.preview import Preview

from ..extensions import redis

PREVIEW_TTL = 24 * 3600


def _key(preview_id: str) -> str:
    return f"sesame:import:preview:{preview_id}"


def save(preview: Preview, owner: str) -> str:
    preview_id = secrets.token_hex(16)
    redis.current.set(_key(preview_id), json.dumps({"owner": owner, "preview": preview.to_dict()}), ex=PREVIEW_TTL)
    return preview_id


def load(preview_id: str, owner: str | None = None) -> Preview | None:
    """The preview, if it exists and (when `owner` is given) is that person's."""
    if not preview_id.isalnum():
        return None
    raw = redis.current.get(_key(preview_id))
    if not raw:
        return None
    data = json.loads(raw)
    if owner is not None and data["owner"] != owner:
        return None
    return Preview.from_dict(data["preview"])
