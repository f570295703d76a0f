"""The browser side of security: the session cookie, CSRF tokens, and the headers every answer
carries (a content security policy without inline scripts, no framing, no referrer leak)."""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.web.sessions import new_session_id
from services.web.settings import WebSettings

COOKIE = "mi_session"
_SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{43}$")
STATIC_PREFIX = "/static/"


def content_security_policy(settings: WebSettings) -> str:
    tiles = f" {settings.tile_origin}" if settings.tile_origin else ""
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data:{tiles}; font-src 'self'; connect-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


def session_cookie(session_id: str, settings: WebSettings) -> str:
    secure = "; Secure" if settings.secure_cookies else ""
    max_age = settings.session_days * 86_400
    return f"{COOKIE}={session_id}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"


def session_id_of(connection: HTTPConnection) -> str:
    """The visitor's session identifier (made by the middleware when the browser had none)."""
    return str(connection.scope["mi_session_id"])


def rotate_session(connection: HTTPConnection) -> str:
    """A new identifier for the visitor, at log-in and log-out (no fixation); sent by the
    middleware with the answer."""
    session_id = new_session_id()
    connection.scope["mi_session_id"] = session_id
    connection.scope["mi_session_new"] = True
    return session_id


class BrowserSecurityMiddleware:
    def __init__(self, app: ASGIApp, settings: WebSettings) -> None:
        self.app = app
        self.settings = settings
        self.policy = content_security_policy(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith(STATIC_PREFIX)
        if not static:
            cookie = HTTPConnection(scope).cookies.get(COOKIE, "")
            if _SESSION_ID.match(cookie):
                scope["mi_session_id"], scope["mi_session_new"] = cookie, False
            else:
                scope["mi_session_id"], scope["mi_session_new"] = new_session_id(), True

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
                if static:
                    if message.get("status") == 200:
                        headers["Cache-Control"] = "public, max-age=31536000, immutable"
                else:
                    headers["Content-Security-Policy"] = self.policy
                    headers["X-Frame-Options"] = "DENY"
                    headers["Permissions-Policy"] = "geolocation=(self), camera=(), microphone=()"
                    headers.setdefault("Cache-Control", "no-store")
                    if scope.get("mi_session_new"):
                        headers.append(
                            "Set-Cookie", session_cookie(scope["mi_session_id"], self.settings)
                        )
            await send(message)

        await self.app(scope, receive, send_with_headers)
