"""The directory's account writer as the app configures it: argon2 cost and sealing key from settings."""
from __future__ import annotations

from flask import current_app

from directory.accounts import Accounts
from directory.passwords import PasswordHasher, Sealer
from directory.populations import Population

from .config import seal_key
from .extensions import directory, redis

CLAIM_SECONDS = 600      # a claim whose writer died lapses by itself


class IdentifierClaims:
    """Identifiers being written, in Redis: workers that share a job never write the same one at once."""

    def __init__(self, connection):
        self.redis = connection

    def claim(self, identifier: str) -> bool:
        return bool(self.redis.set(f"sesame:identifier:{identifier}", 1, nx=True, ex=CLAIM_SECONDS))

    def release(self, identifier: str) -> None:
        self.redis.delete(f"sesame:identifier:{identifier}")


def hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(config["SESAME_ARGON2_TIME_COST"], config["SESAME_ARGON2_MEMORY_COST"],
                          config["SESAME_ARGON2_PARALLELISM"])


def accounts_of(population: Population) -> Accounts:
    """The writer for one population's accounts, as the establishment acting on them sees them."""
    return Accounts(directory.current, population, hasher(), Sealer(seal_key(current_app.config)),
                    IdentifierClaims(redis.current))
