"""E-mailed links that carry a token (an invitation, an answer link): the token leaves the
address at once, sealed in a cookie of this browser scoped to the link's pages, so that nothing
of it stays in the history, the logs or a Referer."""

from __future__ import annotations

import base64
import hmac
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from fastapi import Request
from fastapi.responses import RedirectResponse

from services.web.settings import WebSettings
from services.web.visitor import redirect


@dataclass(frozen=True)
class LinkCookie:
    name: str
    path: str  # the clean address the link lands on; the cookie is sent there only
    purpose: bytes  # separates the keys of different links
    max_age_s: int

    def _sealer(self, settings: WebSettings) -> Fernet:
        key = hmac.new(settings.session_secret.encode(), self.purpose, "sha256").digest()
        return Fernet(base64.urlsafe_b64encode(key))

    def _header(self, settings: WebSettings, value: str, max_age: int) -> str:
        secure = "; Secure" if settings.secure_cookies else ""
        return (
            f"{self.name}={value}; Path={self.path}; Max-Age={max_age}; HttpOnly; "
            f"SameSite=Lax{secure}"
        )

    def land(self, settings: WebSettings, token: str) -> RedirectResponse:
        """The e-mail's link: the token kept in this browser, the address made clean."""
        response = redirect(self.path)
        sealed = self._sealer(settings).encrypt(token.encode()).decode()
        response.headers.append("Set-Cookie", self._header(settings, sealed, self.max_age_s))
        return response

    def held(self, settings: WebSettings, request: Request) -> str | None:
        sealed = request.cookies.get(self.name, "")
        if not sealed:
            return None
        try:
            return self._sealer(settings).decrypt(sealed.encode(), ttl=self.max_age_s).decode()
        except (InvalidToken, ValueError):
            return None

    def forget(self, settings: WebSettings) -> str:
        """The Set-Cookie header that drops the token (once used)."""
        return self._header(settings, "", 0)
