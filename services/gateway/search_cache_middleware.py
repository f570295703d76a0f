"""The search cache's early path: an anonymous public search answered before routing.

A hit costs one Redis round trip (quota counters, generation and entry in one script) and
no FastAPI work at all: no routing, no dependencies, no parameter parsing. Searches by callers
who identify themselves go the ordinary way (their credential must be checked), and meet the
same cached answers in the route. A miss carries what the round trip learnt — the quota
decision, the key and the generation — to the quota middleware and the route, which forwards
the search and keeps its answer."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError
from starlette.types import ASGIApp, Receive, Scope, Send

from services.common.state import state_of
from services.gateway.quota_middleware import COUNTED, quota_subject, refusal
from services.gateway.search_cache import CACHE_HEADER, NOTED, SEARCH_PATH, cache_key
from services.gateway.state import GatewayState

logger = logging.getLogger(__name__)
_CREDENTIALS = (b"authorization", b"x-api-key")


class SearchCacheMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["path"] != SEARCH_PATH
            or scope["method"] != "GET"
            or any(name in _CREDENTIALS for name, _ in scope["headers"])
        ):
            await self.app(scope, receive, send)
            return
        state = state_of(scope["app"], GatewayState)
        cache = state.search_cache
        if cache is None:
            await self.app(scope, receive, send)
            return
        subject, limits = quota_subject(scope, state)
        key = cache_key(scope["query_string"].decode("latin-1"))
        try:
            found = await cache.lookup(key, state.quotas.windows(subject, limits))
        except RedisError as exc:
            logger.warning("search cache unavailable", extra={"error": type(exc).__name__})
            await self.app(scope, receive, send)
            return
        decision = state.quotas.decide(found.counts, limits)
        if not decision.allowed:
            await refusal(decision, scope)(scope, receive, send)
            return
        if found.answer is None:
            scope[COUNTED] = decision
            scope[NOTED] = (key, found.generation)
            await self.app(scope, receive, send)
            return
        body = found.answer.body
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    *found.answer.headers,
                    (b"content-length", str(len(body)).encode()),
                    (CACHE_HEADER.encode(), b"hit"),
                    *((k.lower().encode(), v.encode()) for k, v in decision.headers().items()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
