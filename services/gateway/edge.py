"""What the public edge adds to every answer and refuses before reading: security headers,
and bodies over the size limit (413). A buyer's spend file (up to 200 Mio) is never held here:
its body is counted as it streams on to sourcing."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.docs import DOCS_CSP
from services.common.errors import AppError, problem_response

MAX_BODY_BYTES = 1024 * 1024
# The routes that take a file, a claim's proof and a structure's images: 5 Mio (checked exactly
# by the catalog) and a margin; beyond it, refused here like any other body.
PROOF_MAX_BODY_BYTES = 5 * 1024 * 1024 + 64 * 1024
UPLOAD_MAX_BODY_BYTES = PROOF_MAX_BODY_BYTES
_UPLOAD_ROUTES = (
    ("PUT", re.compile(r"^/api/v1/claims/[0-9]+/proof/?$")),
    ("PUT", re.compile(r"^/api/v1/structures/[0-9]+/logo/?$")),
    ("POST", re.compile(r"^/api/v1/structures/[0-9]+/photos/?$")),
    ("POST", re.compile(r"^/api/v1/structures/[0-9]+/offers/[0-9]+/photos/?$")),
)
# Spend files: capped at 200 Mio (sourcing checks the same), streamed on, never buffered.
SPEND_MAX_BODY_BYTES = 200 * 1024 * 1024
_STREAMED_ROUTES = (("POST", re.compile(r"^/api/v1/organisations/[0-9]+/spend/files/?$")),)
_DOCS = ("/api/docs",)


class BodyTooLarge(AppError):
    status, slug, title = 413, "payload-too-large", "Requête trop volumineuse"


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-resource-policy": "same-site",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
}
# The API answers data, never pages to run; the docs page runs the scripts it serves.
API_CSP = "default-src 'none'; frame-ancestors 'none'"


class EdgeMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        headers = dict(scope.get("headers", []))
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._too_large(scope, receive, send, limit)
            return
        if declared is None and self._streamed(scope):
            receive = _counted(receive, limit)
        elif declared is None and scope.get("method") in ("POST", "PUT", "PATCH"):
            # No length announced (chunked): read up to the limit first, then replay.
            messages: list[Message] = []
            received = 0
            while True:
                message = await receive()
                messages.append(message)
                received += len(message.get("body", b""))
                if received > limit:
                    await self._too_large(scope, receive, send, limit)
                    return
                if message["type"] != "http.request" or not message.get("more_body"):
                    break

            async def replay() -> Message:
                return messages.pop(0) if messages else await receive()

            receive = replay

        is_docs = scope.get("path", "").startswith(_DOCS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = {
                    **SECURITY_HEADERS,
                    "content-security-policy": DOCS_CSP if is_docs else API_CSP,
                }
                present = {k for k, _ in message.get("headers", [])}
                message["headers"] = [
                    *message.get("headers", []),
                    *(
                        (k.encode(), v.encode())
                        for k, v in extra.items()
                        if k.encode() not in present
                    ),
                ]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    @staticmethod
    def _streamed(scope: Scope) -> bool:
        method, path = scope.get("method"), scope.get("path", "")
        return any(method == m and route.match(path) for m, route in _STREAMED_ROUTES)

    def _limit(self, scope: Scope) -> int:
        method, path = scope.get("method"), scope.get("path", "")
        if self._streamed(scope):
            return max(self.max_body_bytes, SPEND_MAX_BODY_BYTES)
        if any(method == m and route.match(path) for m, route in _UPLOAD_ROUTES):
            return max(self.max_body_bytes, UPLOAD_MAX_BODY_BYTES)
        return self.max_body_bytes

    async def _too_large(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413,
            "payload-too-large",
            "Requête trop volumineuse",
            f"Le corps de la requête dépasse {limit // 1024} Kio.",
            Request(scope),
        )
        await response(scope, receive, send)


def _counted(receive: Receive, limit: int) -> Receive:
    """A chunked body passed on as it comes, refused (413) once past `limit`: the route
    reading it stops there, and nothing beyond is read."""
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > limit:
            raise BodyTooLarge(f"Le corps de la requête dépasse {limit // 1024} Kio.")
        return message

    return counted
