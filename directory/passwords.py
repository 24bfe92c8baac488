"""Password hashes ({ARGON2}), provisional passwords, and sealing a provisional password for later lists."""
from __future__ import annotations

import os
import secrets

from argon2 import PasswordHasher as _Argon2, Type
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

# Upper-case letters and digits without look-alikes: no 0/O, 1/I/L.
PROVISIONAL_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
PROVISIONAL_LENGTH = 8
ARGON2_PREFIX = "{ARGON2}"


def provisional_password() -> str:
    return "".join(secrets.choice(PROVISIONAL_ALPHABET) for _ in range(PROVISIONAL_LENGTH))


class PasswordHasher:
    """argon2id hashes in the form slapd's argon2 module verifies: `{ARGON2}$argon2id$v=19$...`."""

    def __init__(self, time_cost: int = 2, memory_cost: int = 19456, parallelism: int = 1):
        self._argon2 = _Argon2(time_cost=time_cost, memory_cost=memory_cost,
                               parallelism=parallelism, type=Type.ID)

    def hash(self, password: str) -> str:
        return ARGON2_PREFIX + self._argon2.hash(password)

    def verify(self, stored: str, password: str) -> bool:
        if not stored.startswith(ARGON2_PREFIX):
            return False
        try:
            return self._argon2.verify(stored[len(ARGON2_PREFIX):], password)
        except Exception:  # noqa: BLE001 - argon2 raises several kinds for "does not match"
            return False


class Sealer:
    """AES-GCM under the application key; the account's id is bound in as associated data, so a
    sealed value copied onto another account does not open."""

    NONCE = 12

    def __init__(self, key: bytes):
        if len(key) not in (16, 24, 32):
            raise ValueError("the sealing key must be 16, 24 or 32 bytes")
        self._aead = AESGCM(key)

    def seal(self, password: str, account_id: str) -> bytes:
        return self.seal_bytes(password.encode(), account_id)

    def open(self, sealed: bytes, account_id: str) -> str:
        return self.open_bytes(sealed, account_id).decode()

    def seal_bytes(self, data: bytes, bound_to: str) -> bytes:
        """`data` (e.g. a PDF of letters) sealed, opening only with the same `bound_to`."""
        nonce = os.urandom(self.NONCE)
        return nonce + self._aead.encrypt(nonce, data, bound_to.encode())

    def open_bytes(self, sealed: bytes, bound_to: str) -> bytes:
        nonce, body = sealed[: self.NONCE], sealed[self.NONCE:]
        return self._aead.decrypt(nonce, body, bound_to.encode())
