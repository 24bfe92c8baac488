"""The directory's account writer as the app configures it: argon2 cost and sealing key from settings."""
from __future__ import annotations

from flask import current_app

from directory import attributes as A
from directory.accounts import Accounts
from directory.passwords import PasswordHasher, Sealer

from .config import seal_key
from .extensions import directory


def hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(config["SESAME_ARGON2_TIME_COST"], config["SESAME_ARGON2_MEMORY_COST"],
                          config["SESAME_ARGON2_PARALLELISM"])


def student_accounts(external: bool = False, guardians: bool = False) -> Accounts:
    """Students attached to the establishment acted on, or (external) those following a course there,
    or (guardians) the parents of its students."""
    return Accounts(directory.current, A.GUARDIANS if guardians else A.STUDENTS, hasher(),
                    Sealer(seal_key(current_app.config)), external)
