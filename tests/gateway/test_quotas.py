"""Quotas behave the same in memory and in Redis (the real server on 127.0.0.1:6379)."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from redis.asyncio import Redis

from services.common.state import state_of
from services.gateway.app import create_app
from services.gateway.quotas import Limit, MemoryStore, Quotas, RedisStore
from services.gateway.state import GatewayState
from tests.support import free_port, gateway_settings

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["memory", "redis"])
def redis_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    if request.param == "memory":
        yield None
        return
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis unreachable at {REDIS_URL}: {exc}")
    yield REDIS_URL


def test_limits_count_and_refuse(redis_url: str | None) -> None:
    async def go() -> list[tuple[bool, int]]:
        client = Redis.from_url(redis_url) if redis_url else None
        store = RedisStore(client) if client else MemoryStore()
        quotas = Quotas(
            store,
            [Limit("minute", 3, 60), Limit("day", 100, 86_400)],
            prefix=f"test:{secrets.token_hex(4)}",
        )
        results = [
            (d.allowed, d.remaining) for d in [await quotas.check("ip:1.2.3.4") for _ in range(5)]
        ]
        other = await quotas.check("ip:5.6.7.8")  # subjects are counted apart
        assert other.allowed and other.remaining == 2
        if client:
            await client.aclose()
        return results

    assert asyncio.run(go()) == [(True, 2), (True, 1), (True, 0), (False, 0), (False, 0)]


def test_gateway_answers_429_with_headers(redis_url: str | None, tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(
        tmp_path, catalog_url=dead, sourcing_url=dead, redis_url=redis_url, anonymous_per_minute=2
    )
    with TestClient(create_app(settings)) as client:  # type: ignore[arg-type]
        state_of(client.app, GatewayState).quotas.prefix = f"test:{secrets.token_hex(4)}"  # type: ignore[arg-type]
        first = client.get("/api/v1/insertion-hours")
        assert (
            first.headers["ratelimit-limit"] == "2" and first.headers["ratelimit-remaining"] == "1"
        )
        client.get("/api/v1/insertion-hours")
        refused = client.get("/api/v1/insertion-hours")
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) > 0
        assert refused.json()["request_id"] == refused.headers["x-request-id"]
        # Documentation and health stay reachable.
        assert client.get("/api/openapi.json").status_code == 200
        assert client.get("/healthz").status_code == 200
