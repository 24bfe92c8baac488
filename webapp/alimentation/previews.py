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


def replace(preview_id: str, preview: Preview) -> None:
    """The preview as changed on its page (a probable duplicate's choice), kept for what is left of its day."""
    key = _key(preview_id)
    raw = redis.current.get(key)
    if raw:
        data = json.loads(raw)
        redis.current.set(key, json.dumps({"owner": data["owner"], "preview": preview.to_dict()}), keepttl=True)


CHOICES = "sesame:import:choices"      # INE → what the identity team chose for a probable duplicate


def remember(ine: str, decision: list) -> None:
    """A choice kept a day: a new preview of the same files makes it again by itself."""
    pipe = redis.current.pipeline()
    pipe.hset(CHOICES, ine, json.dumps(decision))
    pipe.expire(CHOICES, PREVIEW_TTL)
    pipe.execute()


def decisions() -> dict[str, tuple]:
    return {k.decode(): tuple(json.loads(v)) for k, v in redis.current.hgetall(CHOICES).items()}


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


def _sent_key(preview_id: str) -> str:
    return f"sesame:import:preview:{preview_id}:sent"


LAST = "-last-"      # in the hash beside the rows: the preview's latest import job


def sent(preview_id: str) -> dict[str, str]:
    """The preview's rows already given to an import job: row key → job id (the brake may hold some back)."""
    return {k.decode(): v.decode() for k, v in redis.current.hgetall(_sent_key(preview_id)).items()
            if k.decode() != LAST}


def last_job(preview_id: str) -> str | None:
    found = redis.current.hget(_sent_key(preview_id), LAST)
    return found.decode() if found else None


def mark_sent(preview_id: str, keys, job_id: str) -> None:
    if not keys:
        return
    pipe = redis.current.pipeline()
    pipe.hset(_sent_key(preview_id), mapping={**{k: job_id for k in keys}, LAST: job_id})
    pipe.expire(_sent_key(preview_id), PREVIEW_TTL)
    pipe.execute()
