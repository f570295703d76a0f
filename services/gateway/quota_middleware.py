"""Applies the quotas to every call of the public API, with the standard RateLimit headers."""

from __future__ import annotations

import hashlib
import ipaddress

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import Unauthorized, problem_response
from services.common.state import state_of
from services.gateway.accounts.service import session_principal
from services.gateway.auth import credential_of
from services.gateway.quotas import Decision, Limit
from services.gateway.state import GatewayState

_EXEMPT_PREFIXES = ("/api/docs", "/api/openapi")
_MEDIA_PREFIX = "/api/v1/media/"


def _credential(scope: Scope) -> str | None:
    headers = Headers(scope=scope)
    try:
        return credential_of(headers.get("authorization"), headers.get("x-api-key"))
    except Unauthorized:
        return None  # counted per address; the 401 comes further in


def _subject(credential: str, session_secret: str) -> str:
    """Sessions count per account (their tokens rotate), keys per key; a bad credential is
    counted on its own and gets its 401 further in."""
    try:
        principal = session_principal(credential, session_secret)
    except Unauthorized:
        principal = None
    if principal is not None:
        return "account:" + principal.account_id
    return "cred:" + hashlib.sha256(credential.encode()).hexdigest()[:24]


def _trusted(address: str, trusted_proxies: list[str]) -> bool:
    """Whether the address is one of the trusted proxies (addresses or networks in CIDR)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in trusted_proxies:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(scope: Scope, trusted_proxies: list[str]) -> str:
    """The caller's address: the peer's, or — when the peer is a trusted proxy — the nearest
    address in X-Forwarded-For that is not itself a trusted proxy."""
    client = scope.get("client")
    peer = client[0] if client else "unknown"
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer
    forwarded = Headers(scope=scope).get("x-forwarded-for", "")
    for address in reversed([a.strip() for a in forwarded.split(",") if a.strip()]):
        if not _trusted(address, trusted_proxies):
            return address[:64]
    return peer


# Set by the search cache's early path when it counted the request already.
COUNTED = "mi.quota_decision"


def quota_subject(scope: Scope, state: GatewayState) -> tuple[str, list[Limit] | None]:
    """Whom a call counts against, and the limits that apply (None: the anonymous ones)."""
    credential = _credential(scope)
    if credential is not None:
        subject = _subject(credential, state.settings.session_secret)
        limits: list[Limit] | None = state.identified_limits
    else:
        subject = f"ip:{client_address(scope, state.settings.trusted_proxies)}"
        limits = None
    if scope.get("path", "").startswith(_MEDIA_PREFIX) and state.media_limits:
        subject, limits = f"media:{subject}", state.media_limits
    return subject, limits


def refusal(decision: Decision, scope: Scope) -> Response:
    return problem_response(
        429,
        "too-many-requests",
        "Trop de requêtes",
        f"Limite de {decision.limit.requests} requêtes par "
        f"{'minute' if decision.limit.name == 'minute' else 'jour'} atteinte ; "
        f"réessayez dans {decision.reset_s} s.",
        Request(scope),
        headers={**decision.headers(), "Retry-After": str(decision.reset_s)},
    )


class QuotaMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or not path.startswith("/api/")
            or path.startswith(_EXEMPT_PREFIXES)
        ):
            await self.app(scope, receive, send)
            return
        decision: Decision | None = scope.get(COUNTED)
        if decision is None:
            state = state_of(scope["app"], GatewayState)
            decision = await state.quotas.check(*quota_subject(scope, state))
        headers = decision.headers()
        if not decision.allowed:
            await refusal(decision, scope)(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *((k.lower().encode(), v.encode()) for k, v in headers.items()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
