"""Forwarding to the services behind the gateway, with their answers passed through."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from starlette.background import BackgroundTask

from services.common.errors import PROBLEM_JSON, UpstreamTimeout, UpstreamUnavailable
from services.common.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from services.common.request_id import REQUEST_ID_HEADER

_PASSED_HEADERS = (
    "content-type",
    "etag",
    "cache-control",
    "content-language",
    "content-disposition",
)


def public_problem(content: bytes, content_type: str, request: Request) -> bytes:
    """A service's problem names its own path (`/v1/...`) as `instance`; the client called
    the public one, which it gets instead. Other answers pass unchanged."""
    if not content_type.startswith(PROBLEM_JSON):
        return content
    try:
        problem = json.loads(content)
    except ValueError:
        return content
    if not isinstance(problem, dict) or "instance" not in problem:
        return content
    problem["instance"] = request.url.path
    return json.dumps(problem, ensure_ascii=False).encode()


class Upstream:
    """One service behind the gateway, reached over a pooled client made at start-up."""

    def __init__(
        self, name: str, label: str, client: httpx.AsyncClient, identity_secret: str = ""
    ) -> None:
        self.name = name
        self.label = label
        self.client = client
        self.identity_secret = identity_secret

    @contextmanager
    def _failures(self) -> Iterator[None]:
        """Timeouts → 504, refused or broken connections → 503, as problem+json."""
        try:
            yield
        except httpx.TimeoutException as exc:
            raise UpstreamTimeout(
                f"Le service {self.label} n'a pas répondu à temps.", upstream=self.name
            ) from exc
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(
                f"Le service {self.label} est momentanément indisponible.", upstream=self.name
            ) from exc

    def _headers(self, request: Request) -> dict[str, str]:
        # JSON, unless the client asks for one of the CSV exports the services offer.
        accept = (
            "text/csv" if "text/csv" in request.headers.get("accept", "") else "application/json"
        )
        headers = {REQUEST_ID_HEADER: request.state.request_id, "accept": accept}
        caller = getattr(request.state, "caller", None)
        if caller is not None and self.identity_secret:
            # Signed here, per request: the services trust no identity the gateway did not sign.
            headers[IDENTITY_HEADER] = sign_identity(
                caller.principal, self.identity_secret, audience=self.name
            )
        if if_match := request.headers.get("if-match"):
            headers["if-match"] = if_match
        if if_none_match := request.headers.get("if-none-match"):
            headers["if-none-match"] = if_none_match
        return headers

    @staticmethod
    def _passed(upstream: httpx.Response) -> dict[str, str]:
        return {k: v for k, v in upstream.headers.items() if k.lower() in _PASSED_HEADERS}

    def _answer(self, upstream: httpx.Response, request: Request) -> Response:
        content_type = upstream.headers.get("content-type", "")
        return Response(
            content=public_problem(upstream.content, content_type, request),
            status_code=upstream.status_code,
            headers=self._passed(upstream),
        )

    async def get(self, path: str, request: Request) -> Response:
        """GETs are idempotent: a failed connection is tried once more before giving up."""
        params = httpx.QueryParams(str(request.query_params))
        try:
            upstream = await self.client.get(path, params=params, headers=self._headers(request))
        except httpx.ConnectError:
            with self._failures():
                upstream = await self.client.get(
                    path, params=params, headers=self._headers(request)
                )
        except httpx.HTTPError as exc:
            with self._failures():
                raise exc
        return self._answer(upstream, request)

    async def post(self, path: str, request: Request) -> Response:
        return await self.send(request.method, path, request)

    async def send(self, method: str, path: str, request: Request) -> Response:
        """Writes are forwarded once: never retried, so never applied twice."""
        headers = {
            **self._headers(request),
            "content-type": request.headers.get("content-type", "application/json"),
        }
        with self._failures():
            upstream = await self.client.request(
                method,
                path,
                params=httpx.QueryParams(str(request.query_params)),
                content=await request.body(),
                headers=headers,
            )
        return self._answer(upstream, request)

    async def send_streamed(self, method: str, path: str, request: Request) -> Response:
        """A large body (a spend file) passed on as it arrives, never held whole; sent once."""
        headers = {
            **self._headers(request),
            "content-type": request.headers.get("content-type", "application/octet-stream"),
        }
        if length := request.headers.get("content-length"):
            headers["content-length"] = length
        with self._failures():
            upstream = await self.client.request(
                method,
                path,
                params=httpx.QueryParams(str(request.query_params)),
                content=request.stream(),
                headers=headers,
                # Up to 200 Mio from a slow link: each chunk has its own write timeout.
                timeout=httpx.Timeout(300.0, connect=5.0),
            )
        return self._answer(upstream, request)

    async def post_json(self, path: str, request: Request, body: Any) -> httpx.Response:
        """A body the gateway composed (e.g. translated from the historical API); sent once."""
        headers = {**self._headers(request), "content-type": "application/json"}
        with self._failures():
            return await self.client.post(path, json=body, headers=headers)

    async def stream(self, path: str, request: Request) -> Response:
        """Large answers (exports) pass through as they come, never held whole in memory."""
        outgoing = self.client.build_request(
            "GET",
            path,
            params=list(request.query_params.multi_items()),
            headers=self._headers(request),
        )
        with self._failures():
            upstream = await self.client.send(outgoing, stream=True)
            if upstream.status_code >= 400:  # a problem, small: read whole to name the path
                await upstream.aread()
                await upstream.aclose()
                return self._answer(upstream, request)
        return StreamingResponse(
            upstream.aiter_raw(),
            status_code=upstream.status_code,
            headers=self._passed(upstream),
            background=BackgroundTask(upstream.aclose),
        )

    async def fetch(
        self,
        path: str,
        request: Request,
        params: dict[str, str] | None = None,
        as_staff: bool = False,
    ) -> tuple[int, Any] | None:
        """A JSON answer for aggregation, or None when this upstream cannot answer now."""
        headers = self._headers(request)
        if as_staff and self.identity_secret:
            service = Principal("service:gateway", Role.STAFF)
            headers[IDENTITY_HEADER] = sign_identity(
                service, self.identity_secret, audience=self.name
            )
        try:
            response = await self.client.get(path, params=params, headers=headers)
        except httpx.HTTPError:
            return None
        if response.status_code >= 500:
            return None
        return response.status_code, response.json()

    async def ping(self) -> None:
        response = await self.client.get("/healthz", timeout=2.0)
        response.raise_for_status()
