"""Unsubscribe tokens: signed with the identity secret, so that an e-mail's link stops a digest
without logging in; never stored, never logged."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from services.common.errors import AppError


class UnsubscribeRefused(AppError):
    status, slug, title = 401, "invalid-link", "Lien invalide"


REFUSED = "Ce lien de désinscription n'est pas valide : utilisez celui du dernier e-mail reçu."


def new_salt() -> str:
    return secrets.token_hex(16)


def _mac(secret: str, saved_search_id: int, salt: str) -> str:
    key = f"alert-unsubscribe:{secret}".encode()
    digest = hmac.new(key, f"{saved_search_id}.{salt}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def make_token(secret: str, saved_search_id: int, salt: str) -> str:
    return f"{saved_search_id}.{_mac(secret, saved_search_id, salt)}"


def token_target(token: str) -> int:
    """The saved search a token names, before its signature is checked against it."""
    head, _, signature = token.partition(".")
    if not head.isascii() or not head.isdigit() or not signature or int(head[:12]) > 2**31 - 1:
        raise UnsubscribeRefused(REFUSED)
    return int(head)


def check_token(secret: str, token: str, saved_search_id: int, salt: str) -> None:
    expected = make_token(secret, saved_search_id, salt)
    if not secret or not hmac.compare_digest(token.encode(), expected.encode()):
        raise UnsubscribeRefused(REFUSED)
