"""What a backup keeps of Redis: the jobs' records and reports, the lists of each person's jobs and the
registry previews (what the directory does not hold), each job read in one transaction; and how they come
back: the jobs under way at the backup set « Interrompu », to be resumed with « Relancer ».

The copy of Redis is taken before the directory's: an account a job noted was written before the note, so
it is in the directory's copy; an account written between the two copies carries the job's mark in the
directory, and the report counts it from that mark (its kind's outcomes: jobs/kind.py). Sessions, rate limits,
links sent by mail and leases are not kept: after a restore people sign in again and ask again."""
from __future__ import annotations

import base64
import gzip
import json
import os
import time
from datetime import datetime
from pathlib import Path

from redis import Redis

from ..formatting import PARIS
from .kind import kind_of
from .store import FAILED, FINISHED, QUEUED, RUNNING

FILE = "redis.json.gz"
JOB, JOBS, PREVIEWS = "sesame:job:", "sesame:jobs:", "sesame:import:preview:"
_PARTS = ("", ":outcomes", ":chunks-done", ":parts", ":pdfs")     # a job's keys kept; its leases are not
RESTORED = ("Cette opération était en cours lors de la sauvegarde du {made} d'où Sésame a été restauré. Les "
            "comptes marqués « Fait » sont traités (l'annuaire restauré le confirme) ; les autres n'ont pas été "
            "modifiés par elle. Relancez-la pour terminer.")


def _b(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _read(connection: Redis, keys: list[bytes]) -> list[dict]:
    """These keys as they are at one instant (one MULTI … EXEC), with the time each has left to live."""
    types = connection.pipeline(transaction=False)
    for key in keys:
        types.type(key)
    kinds = [k.decode() if isinstance(k, bytes) else k for k in types.execute()]
    pipe = connection.pipeline(transaction=True)
    kept = []
    for key, kind in zip(keys, kinds):
        read = {"string": pipe.get, "hash": pipe.hgetall, "list": lambda k: pipe.lrange(k, 0, -1),
                "set": pipe.smembers}.get(kind)
        if read is None:
            continue                # gone meanwhile
        read(key)
        pipe.pttl(key)
        kept.append((key, kind))
    answers = pipe.execute()
    found = []
    for (key, kind), value, ttl in zip(kept, answers[0::2], answers[1::2]):
        if value is None or value == {} or value == [] or value == set():
            continue
        if kind == "hash":
            value = {_b(k): _b(v) for k, v in value.items()}
        elif kind in ("list", "set"):
            value = [_b(v) for v in value]
        else:
            value = _b(value)
        found.append({"key": _b(key), "type": kind, "ttl_ms": ttl, "value": value})
    return found


def _job_ids(connection: Redis) -> set[str]:
    ids = set()
    for key in connection.scan_iter(f"{JOB}*", count=1000):
        rest = key.decode()[len(JOB):]
        ids.add(rest.split(":", 1)[0])
    return ids


def export(connection: Redis, path: Path) -> tuple[int, int]:
    """The jobs, their people's lists and the previews into `path` (gzipped JSON lines, mode 600):
    (jobs, keys) written."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    jobs = keys = 0
    with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
        def write(records):
            nonlocal keys
            for record in records:
                out.write(json.dumps(record).encode() + b"\n")
                keys += 1
        out.write(json.dumps({"format": "sesame-redis", "version": 1, "made": time.time()}).encode() + b"\n")
        for job_id in sorted(_job_ids(connection)):
            records = _read(connection, [f"{JOB}{job_id}{part}".encode() for part in _PARTS])
            if any(base64.b64decode(r["key"]).decode() == f"{JOB}{job_id}" for r in records):
                jobs += 1
                write(records)
        lists = [k for k in connection.scan_iter(f"{JOBS}*", count=1000)
                 if not k.decode().startswith((f"{JOBS}recovered:", f"{JOBS}open"))]
        write(_read(connection, sorted(lists)))
        write(_read(connection, sorted(connection.scan_iter(f"{PREVIEWS}*", count=1000))))
    return jobs, keys


def refuse_unless_empty(connection: Redis) -> None:
    for pattern in (f"{JOB}*", f"{JOBS}*", f"{PREVIEWS}*"):
        for key in connection.scan_iter(pattern, count=1000):
            raise RuntimeError(
                f"Restauration refusée : Redis contient déjà des opérations ({key.decode()}). Une copie ne se "
                "restaure que dans un Redis sans opérations : videz-le (FLUSHDB sur sa base) ou donnez-en un "
                "autre (SESAME_REDIS_URL), puis recommencez. Rien n'a été modifié.")


def _as_restored(record: dict, made: str) -> dict:
    """A job under way at the backup: « Interrompu », to be resumed; a finished one loses its document
    (files are not in backups)."""
    if record["status"] in (QUEUED, RUNNING):
        record.update(status=FAILED, message=RESTORED.format(made=made), finished=time.time())
    elif record["status"] == FINISHED and record.get("file"):
        record["file"] = ""
        kind = kind_of(record["kind"])      # what its kind says of a document a backup does not keep
        record["message"] = record.get("message") or (kind.lost_document if kind else "")
    return record


def restore(connection: Redis, path: Path, made: str) -> int:
    """The records of `path` back into Redis, each with the time it had left; the jobs restored."""
    when = datetime.fromisoformat(made).astimezone(PARIS).strftime("%d/%m/%Y à %H h %M")
    jobs = 0
    with gzip.open(path, "rb") as source:
        header = json.loads(source.readline())
        if header.get("format") != "sesame-redis":
            raise RuntimeError(f"{path.name} n'est pas une copie de Redis faite par Sésame.")
        pipe = connection.pipeline(transaction=False)
        for line in source:
            record = json.loads(line)
            key = base64.b64decode(record["key"])
            kind, value = record["type"], record["value"]
            if kind == "string":
                value = base64.b64decode(value)
                if key.startswith(JOB.encode()) and key.count(b":") == 2:
                    value = json.dumps(_as_restored(json.loads(value), when)).encode()
                    jobs += 1
                pipe.set(key, value)
            elif kind == "hash":
                pipe.hset(key, mapping={base64.b64decode(k): base64.b64decode(v) for k, v in value.items()})
            elif kind == "list":
                pipe.rpush(key, *[base64.b64decode(v) for v in value])
            elif kind == "set":
                pipe.sadd(key, *[base64.b64decode(v) for v in value])
            if record["ttl_ms"] > 0:
                pipe.pexpire(key, record["ttl_ms"])
            if len(pipe) > 500:
                pipe.execute()
        pipe.execute()
    return jobs
