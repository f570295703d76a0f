"""Signed, expiring links that let a structure's managers answer a need without logging in."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

from services.common.errors import AppError


class LinkRefused(AppError):
    status, slug, title = 401, "invalid-link", "Lien invalide"


class LinkExpired(AppError):
    status, slug, title = 410, "expired-link", "Lien expiré"


@dataclass(frozen=True)
class AnswerLink:
    need_id: int
    structure_id: int
    expires: int


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(f"answer-link:{secret}".encode(), payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(
    secret: str, need_id: int, structure_id: int, ttl_s: int, now: float | None = None
) -> str:
    expires = int((now if now is not None else time.time()) + ttl_s)
    payload = f"{need_id}.{structure_id}.{expires}"
    return f"{payload}.{_mac(secret, payload)}"


def read_token(secret: str, token: str, now: float | None = None) -> AnswerLink:
    parts = token.split(".")
    if len(parts) != 4 or not all(p.isdigit() for p in parts[:3]):
        raise LinkRefused("Ce lien de réponse n'est pas valide.")
    payload = ".".join(parts[:3])
    if not secret or not hmac.compare_digest(parts[3], _mac(secret, payload)):
        raise LinkRefused("Ce lien de réponse n'est pas valide.")
    link = AnswerLink(int(parts[0]), int(parts[1]), int(parts[2]))
    if (now if now is not None else time.time()) > link.expires:
        raise LinkExpired("Ce lien de réponse a expiré : demandez-en un nouveau à l'acheteur.")
    return link
