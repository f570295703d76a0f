"""The identity the gateway forwards to the services: signed, short-lived, never trusted unsigned.

Format of the `X-MI-Identity` header: base64url(JSON claims) "." base64url(HMAC-SHA256).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from redis import Redis

IDENTITY_HEADER = "x-mi-identity"
IDENTITY_TTL_S = 60


class Role(StrEnum):
    PUBLIC_BUYER = "public_buyer"
    PRIVATE_BUYER = "private_buyer"
    SUPPLIER_MANAGER = "supplier_manager"
    STAFF = "staff"


class InvalidIdentity(ValueError):
    pass


@dataclass(frozen=True)
class Principal:
    account_id: str
    role: Role
    email: str | None = None

    @property
    def is_staff(self) -> bool:
        return self.role == Role.STAFF


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    return _b64(hmac.new(secret.encode(), payload.encode(), hashlib.sha256).digest())


def sign_identity(
    principal: Principal,
    secret: str,
    now: float | None = None,
    ttl_s: int = IDENTITY_TTL_S,
    audience: str | None = None,
) -> str:
    """With an `audience` (the service it is sent to), no other service accepts it."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, object] = {
        "sub": principal.account_id,
        "role": principal.role.value,
        "email": principal.email,
        "iat": issued,
        "exp": issued + ttl_s,
        "jti": secrets.token_hex(8),
    }
    if audience is not None:
        claims["aud"] = audience
    payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
    return f"{payload}.{_mac(secret, payload)}"


@dataclass(frozen=True)
class VerifiedIdentity:
    principal: Principal
    token_id: str
    expires: int


class ReplayGuard:
    """Remembers the identities a service accepted until they expire: each is used once.

    In this process's memory: the single-process default. With replicas, `SharedReplayGuard`."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def accept(self, identity: VerifiedIdentity, now: float | None = None) -> None:
        moment = now if now is not None else time.time()
        if len(self._seen) > 10_000:
            self._seen = {k: v for k, v in self._seen.items() if v >= moment}
        if identity.token_id in self._seen:
            raise InvalidIdentity("identité déjà utilisée (rejeu)")
        self._seen[identity.token_id] = identity.expires

    def close(self) -> None:
        """Lets go of what the guard holds open (nothing, in memory)."""


class SharedReplayGuard(ReplayGuard):
    """The same, for every replica of a service: one Redis key per identity accepted, set only if
    absent (SET NX) and expiring with the identity, under the service's own prefix."""

    def __init__(self, redis: Redis, service: str) -> None:
        super().__init__()
        self.redis, self.prefix = redis, f"mi:replay:{service}:"

    def accept(self, identity: VerifiedIdentity, now: float | None = None) -> None:
        # One second past `exp`, since an identity is still accepted during its last second.
        if not self.redis.set(
            self.prefix + identity.token_id, 1, nx=True, exat=identity.expires + 1
        ):
            raise InvalidIdentity("identité déjà utilisée (rejeu)")

    def close(self) -> None:
        self.redis.close()


def verify_identity(token: str, secret: str, now: float | None = None) -> Principal:
    return verify_identity_claims(token, secret, now).principal


def verify_identity_claims(
    token: str, secret: str, now: float | None = None, audience: str | None = None
) -> VerifiedIdentity:
    try:
        payload, signature = token.split(".")
    except ValueError as exc:
        raise InvalidIdentity("identité mal formée") from exc
    if not hmac.compare_digest(signature, _mac(secret, payload)):
        raise InvalidIdentity("signature d'identité invalide")
    try:
        claims = json.loads(_unb64(payload))
        role = Role(claims["role"])
        subject = str(claims["sub"])
        expires = int(claims["exp"])
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidIdentity("identité mal formée") from exc
    if (now if now is not None else time.time()) > expires:
        raise InvalidIdentity("identité expirée")
    if audience is not None and claims.get("aud", audience) != audience:
        raise InvalidIdentity("identité destinée à un autre service")
    email = claims.get("email")
    principal = Principal(
        account_id=subject, role=role, email=email if isinstance(email, str) else None
    )
    return VerifiedIdentity(principal, str(claims.get("jti", "")), expires)
