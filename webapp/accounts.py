"""The directory's account writer as the app configures it: argon2 cost and sealing key from settings."""
from __future__ import annotations

from flask import current_app

from directory.accounts import Accounts
from directory.passwords import PasswordHasher, Sealer
from directory.populations import Population

from .config import seal_key
from .extensions import directory


def hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(config["SESAME_ARGON2_TIME_COST"], config["SESAME_ARGON2_MEMORY_COST"],
                          config["SESAME_ARGON2_PARALLELISM"])


def accounts_of(population: Population) -> Accounts:
    """The writer for one population's accounts, as the establishment acting on them sees them."""
    return Accounts(directory.current, population, hasher(), Sealer(seal_key(current_app.config)))
