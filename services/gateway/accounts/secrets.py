"""Passwords (argon2), and the random tokens the gateway hands out, stored only as hashes."""

from __future__ import annotations

import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
API_KEY_PREFIX = "mik"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def token_hash(token: str) -> str:
    """High-entropy tokens need no slow hash: SHA-256 is enough to keep them unusable if read."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(48)


def new_api_key() -> tuple[str, str]:
    """(prefix, key): the key is shown once; the prefix finds it again. 72 alphanumerics."""
    prefix = secrets.token_hex(4)
    return prefix, f"{API_KEY_PREFIX}{prefix}{secrets.token_hex(32)}"


def prefix_of(key: str) -> str | None:
    if len(key) == 3 + 8 + 64 and key.startswith(API_KEY_PREFIX) and key.isalnum():
        return key[3:11]
    return None
