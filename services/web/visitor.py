"""Who is on the page: their session, the signed-in user if any, the CSRF token of their forms;
and the rendering of a page with all of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.datastructures import FormData

from services.web.api import LoginRequired
from services.web.security import rotate_session, session_id_of
from services.web.sessions import SignedIn
from services.web.state import WebState, web_state


class CsrfRefused(Exception):
    """A form came without the token of the visitor's session (or with another's)."""


@dataclass
class Visitor:
    request: Request
    state: WebState
    session_id: str
    user: SignedIn | None
    _refresh_token: str | None = None

    @property
    def csrf_token(self) -> str:
        return self.state.sessions.csrf_token(self.session_id)

    @property
    def client_ip(self) -> str | None:
        client = self.request.client
        return client.host if client else None

    @property
    def is_htmx(self) -> bool:
        return self.request.headers.get("HX-Request") == "true"

    def render(
        self,
        template: str,
        context: Mapping[str, Any] | None = None,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        return self.state.templates.TemplateResponse(
            self.request,
            template,
            {"visitor": self, "user": self.user, "csrf_token": self.csrf_token, **(context or {})},
            status_code=status_code,
            headers=dict(headers or {}),
        )

    async def sign_in(self, user: SignedIn) -> None:
        """Logs the user in on a new session identifier (none fixed before log-in survives)."""
        self.session_id = rotate_session(self.request)
        self.user = user
        self._refresh_token = user.refresh_token
        await self.state.sessions.save(self.session_id, user)

    async def sign_out(self) -> None:
        await self.state.sessions.drop(self.session_id)
        self.session_id = rotate_session(self.request)
        self.user = None

    async def keep_renewed_tokens(self) -> None:
        """The API rotates the refresh token when it renews a session: the new one is kept."""
        if self.user is not None and self.user.refresh_token != self._refresh_token:
            await self.state.sessions.save(self.session_id, self.user)
            self._refresh_token = self.user.refresh_token


async def current_visitor(request: Request) -> AsyncIterator[Visitor]:
    state = web_state(request)
    session_id = session_id_of(request)
    # An identifier made for this very request has no session yet: nothing to read.
    user = None if request.scope.get("mi_session_new") else await state.sessions.load(session_id)
    visitor = Visitor(request, state, session_id, user, user.refresh_token if user else None)
    try:
        yield visitor
    finally:
        await visitor.keep_renewed_tokens()


VisitorDep = Annotated[Visitor, Depends(current_visitor)]


async def signed_in_visitor(visitor: VisitorDep) -> Visitor:
    if visitor.user is None:
        raise LoginRequired
    return visitor


SignedInDep = Annotated[Visitor, Depends(signed_in_visitor)]


async def checked_form(request: Request, visitor: VisitorDep) -> FormData:
    """The posted form, once its CSRF token matches the visitor's session."""
    form = await request.form()
    token = form.get("csrf_token")
    if not isinstance(token, str) or not visitor.state.sessions.csrf_valid(
        visitor.session_id, token
    ):
        raise CsrfRefused
    return form


CheckedForm = Annotated[FormData, Depends(checked_form)]


def redirect(url: str) -> RedirectResponse:
    """After a POST: the browser GETs the next page (and htmx follows)."""
    return RedirectResponse(url, status_code=303)
