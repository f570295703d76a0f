"""Request ids: the gateway creates one per request, services adopt the one they are given."""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.common.logging import loggable_path, request_id_var

REQUEST_ID_HEADER = "x-request-id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

access_logger = logging.getLogger("access")


def new_request_id() -> str:
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Binds a request id to the request, echoes it, and writes one access log line.

    With `trust_incoming=False` (the gateway, facing the public) any id sent by the
    client is replaced; services behind it trust the id the gateway forwards.
    """

    def __init__(self, app: ASGIApp, trust_incoming: bool = True) -> None:
        self.app = app
        self.trust_incoming = trust_incoming

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = None
        if self.trust_incoming:
            for name, value in scope["headers"]:
                if name == REQUEST_ID_HEADER.encode():
                    candidate = value.decode("latin-1")
                    incoming = candidate if _VALID_ID.match(candidate) else None
                    break
        request_id = incoming or new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k != REQUEST_ID_HEADER.encode()
                ]
                headers.append((REQUEST_ID_HEADER.encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_logger.info(
                "request",
                extra={
                    "method": scope["method"],
                    "path": loggable_path(scope["path"]),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
            request_id_var.reset(token)
