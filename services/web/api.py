"""The website's client of the public API: every page is built from what the gateway answers,
with the signed-in user's token when there is one (renewed once when it has expired)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.responses import StreamingResponse

from services.web.sessions import SessionStore, SignedIn

Params = Mapping[str, Any] | list[tuple[str, Any]] | str | None


@dataclass
class FieldProblem:
    field: str
    message: str


@dataclass
class ApiProblem(Exception):
    """A refusal of the API (4xx), as problem+json: shown to the user beside the fields."""

    status: int
    title: str
    detail: str = ""
    errors: list[FieldProblem] = field(default_factory=list)
    body: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, response: httpx.Response) -> ApiProblem:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        errors = [
            FieldProblem(str(e.get("field", "")), str(e.get("message", e.get("detail", ""))))
            for e in body.get("errors", []) or []
            if isinstance(e, dict)
        ]
        return cls(
            status=response.status_code,
            title=str(body.get("title", "Requête refusée")),
            detail=str(body.get("detail", "")),
            errors=errors,
            body=body,
        )

    def by_field(self) -> dict[str, str]:
        """The first message for each field, for the forms."""
        found: dict[str, str] = {}
        for error in self.errors:
            found.setdefault(error.field.split(".")[-1], error.message)
        return found


class ApiUnavailable(Exception):
    """The API did not answer, or failed: the page says so and keeps what the user typed."""


class LoginRequired(Exception):
    """The page needs a signed-in user (none, or the session could not be renewed)."""


class Api:
    def __init__(
        self, base_url: str, timeout_s: float, sessions: SessionStore | None = None
    ) -> None:
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/api/v1",
            timeout=httpx.Timeout(timeout_s, connect=2.0),
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
        )
        self._renewing: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._renewed: dict[str, tuple[float, dict[str, Any]]] = {}
        # With replicas, the renewals are shared through the session database.
        self.sessions = sessions

    async def aclose(self) -> None:
        await self.client.aclose()

    async def send(
        self,
        method: str,
        path: str,
        *,
        user: SignedIn | None = None,
        params: Params = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        client_ip: str | None = None,
        content: bytes | None = None,
        user_agent: str | None = None,
    ) -> httpx.Response:
        """The API's answer; 4xx become `ApiProblem`, failures `ApiUnavailable`. When the access
        token has expired, it is renewed once with the refresh token (the caller saves `user`)."""
        sent = dict(headers or {})
        if client_ip:
            sent["X-Forwarded-For"] = client_ip
        if user_agent:
            # The visitor's browser, so that the API can tell robots from people (listing views).
            sent["User-Agent"] = user_agent
        for attempt in (1, 2):
            if user is not None:
                if attempt == 1 and user.access_expires_at < time.time() + 5:
                    await self.refresh(user)
                sent["Authorization"] = f"Bearer {user.access_token}"
            try:
                response = await self.client.request(
                    method,
                    path,
                    params=params,
                    json=json,
                    headers=sent,
                    content=content,
                )
            except httpx.HTTPError as exc:
                raise ApiUnavailable(type(exc).__name__) from exc
            if response.status_code == 401 and user is not None and attempt == 1:
                await self.refresh(user)
                continue
            break
        if response.status_code == 401 and user is not None:
            raise LoginRequired
        if response.status_code >= 500:
            raise ApiUnavailable(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            raise ApiProblem.of(response)
        return response

    async def get(self, path: str, **kwargs: Any) -> Any:
        response = await self.send("GET", path, **kwargs)
        return response.json()

    async def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        response = await self.send("POST", path, json=body, **kwargs)
        return response.json() if response.content else None

    async def refresh(self, user: SignedIn) -> None:
        """Renews the access token in place. The API rotates refresh tokens, and a browser sends
        several requests at once: requests holding the same refresh token share one renewal,
        whose result is kept a minute for those that loaded the session before it was saved."""
        token = user.refresh_token
        now = time.monotonic()
        self._renewed = {k: v for k, v in self._renewed.items() if now - v[0] < 60}
        if token in self._renewed:
            tokens = self._renewed[token][1]
        else:
            task = self._renewing.get(token)
            if task is None:
                task = asyncio.ensure_future(self._renew_once(token))
                self._renewing[token] = task
                task.add_done_callback(lambda _t: self._renewing.pop(token, None))
            tokens = await task
            self._renewed[token] = (time.monotonic(), tokens)
        user.access_token = tokens["access_token"]
        user.refresh_token = tokens.get("refresh_token", token)
        user.access_expires_at = time.time() + float(tokens.get("expires_in", 900))

    async def _renew_once(self, refresh_token: str) -> dict[str, Any]:
        """Through the session database when there is one, so that no other replica renews
        the same refresh token (the second would be refused and its visitor logged out)."""
        if self.sessions is None:
            return await self._renew(refresh_token)
        tokens = await self.sessions.renewal(refresh_token, lambda: self._renew(refresh_token))
        if tokens is None:
            raise LoginRequired
        return dict(tokens)

    async def _renew(self, refresh_token: str) -> dict[str, Any]:
        try:
            response = await self.client.post(
                "/auth/refresh", json={"refresh_token": refresh_token}
            )
        except httpx.HTTPError as exc:
            raise ApiUnavailable(type(exc).__name__) from exc
        if response.status_code != 200:
            raise LoginRequired
        tokens: dict[str, Any] = response.json()
        return tokens

    def stream(
        self,
        path: str,
        *,
        params: Params = None,
        user: SignedIn | None = None,
        client_ip: str | None = None,
    ) -> Any:
        """A streamed GET (exports): the caller iterates it inside `async with`."""
        headers: dict[str, str] = {}
        if user is not None:
            headers["Authorization"] = f"Bearer {user.access_token}"
        if client_ip:
            headers["X-Forwarded-For"] = client_ip
        return self.client.stream(
            "GET",
            path,
            params=params,
            headers=headers,
            timeout=120,
        )


def relayed(
    stream: Any, upstream: httpx.Response, media_type: str, headers: Mapping[str, str]
) -> StreamingResponse:
    """An answer of `Api.stream`, opened and accepted by the caller, passed on to the browser as
    it comes; the upstream stream closes once sent, or when the browser goes away."""

    async def chunks() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        finally:
            await stream.__aexit__(None, None, None)

    return StreamingResponse(chunks(), media_type=media_type, headers=dict(headers))


async def download(
    api: Api,
    path: str,
    filename: str,
    *,
    params: Params = None,
    user: SignedIn | None = None,
    client_ip: str | None = None,
    media_type: str | None = None,
) -> StreamingResponse:
    """A file of the API passed on as it comes, or its refusal raised as the API's problem; the
    caller has read something first, so that the token is fresh (a stream cannot be retried)."""
    context = api.stream(path, params=params, user=user, client_ip=client_ip)
    try:
        response = await context.__aenter__()
    except httpx.HTTPError as exc:
        raise ApiUnavailable(type(exc).__name__) from exc
    if response.status_code != 200:
        await response.aread()
        await context.__aexit__(None, None, None)
        if response.status_code >= 500:
            raise ApiUnavailable(f"HTTP {response.status_code}")
        raise ApiProblem.of(response)
    kind = media_type or response.headers.get("content-type", "application/octet-stream")
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return relayed(context, response, kind, disposition)
