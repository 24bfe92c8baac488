"""Each establishment's figures, computed from the directory and kept in Redis with when they were."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from flask import current_app

from directory.figures import Figures, PopulationFigures

from .extensions import directory, redis

KEY = "sesame:figures:{uai}"


@dataclass(frozen=True)
class Snapshot:
    uai: str
    computed_at: float                     # epoch seconds
    populations: dict[str, PopulationFigures]

    @property
    def computed(self) -> datetime:
        return datetime.fromtimestamp(self.computed_at, timezone.utc)


def _compute(uai: str) -> Snapshot:
    today = datetime.now(timezone.utc).date()
    found = Figures(directory.current).establishment(uai, today, current_app.config["SESAME_PROVISIONAL_DAYS"])
    return Snapshot(uai, time.time(), found)


def figures_of(uai: str, max_age: float | None = None) -> Snapshot:
    """The establishment's figures, at most `max_age` seconds old (default SESAME_FIGURES_SECONDS): a
    head sees an action of anyone's within that time, and their own at once (`forget`)."""
    settings = current_app.config
    max_age = settings["SESAME_FIGURES_SECONDS"] if max_age is None else max_age
    key = KEY.format(uai=uai)
    raw = redis.current.get(key)
    if raw:
        data = json.loads(raw)
        if time.time() - data["computed_at"] <= max_age:
            return Snapshot(uai, data["computed_at"],
                            {k: PopulationFigures.from_dict(v) for k, v in data["populations"].items()})
    snapshot = _compute(uai)
    keep = max(settings["SESAME_FIGURES_SECONDS"], settings["SESAME_FIGURES_OVERVIEW_SECONDS"])
    redis.current.set(key, json.dumps({"computed_at": snapshot.computed_at, "populations": {
        k: v.to_dict() for k, v in snapshot.populations.items()}}), ex=int(keep) + 1)
    return snapshot


def forget(uai: str) -> None:
    """An action changed accounts of `uai`: its next figures are read from the directory again."""
    redis.current.delete(KEY.format(uai=uai))
