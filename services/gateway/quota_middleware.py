"""Applies the quotas to every call of the public API, with the standard RateLimit headers."""

from __future__ import annotations

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.errors import problem_response
from services.gateway.quotas import Quotas

_EXEMPT_PREFIXES = ("/api/docs", "/api/openapi.json")


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
        quotas: Quotas = scope["app"].state.quotas
        client = scope.get("client")
        subject = f"ip:{client[0] if client else 'unknown'}"
        decision = await quotas.check(subject)
        headers = decision.headers()
        if not decision.allowed:
            response = problem_response(
                429,
                "too-many-requests",
                "Trop de requêtes",
                f"Limite de {decision.limit.requests} requêtes par "
                f"{'minute' if decision.limit.name == 'minute' else 'jour'} atteinte ; "
                f"réessayez dans {decision.reset_s} s.",
                Request(scope),
                headers={**headers, "Retry-After": str(decision.reset_s)},
            )
            await response(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *message.get("headers", []),
                    *((k.lower().encode(), v.encode()) for k, v in headers.items()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)
