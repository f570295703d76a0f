"""The relay moves the index generation forward in Redis (the real server on 127.0.0.1:6379)
once the engine applied a batch or a rebuild was swapped in — and, when Redis cannot be told,
the batch stays pending, so no cached answer outlives a change."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.asyncio import Redis
from sqlalchemy.engine import Engine

from services.common.index_generation import RedisGenerations
from tests.catalog.test_relay import _change
from tests.conftest import relay_for
from tests.support import Meili, free_port, load_catalog, migrate, pending_events

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def esat_catalog(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    migrate(url, "catalog")
    engine = load_catalog(url, ("esat",))
    yield engine
    engine.dispose()


def test_each_applied_change_moves_the_generation(
    esat_catalog: Engine, meili: Meili, run_id: str
) -> None:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis unreachable at {REDIS_URL}: {exc}")
    index = f"test_{run_id}_generation_{secrets.token_hex(3)}"
    seen: list[int | None] = []

    async def go() -> None:
        relay, client = relay_for(esat_catalog, meili, index)
        generations = RedisGenerations(Redis.from_url(REDIS_URL), index)
        relay.generations = generations
        async with client:
            seen.append(await generations.current())  # nothing published yet
            await relay.drain()
            seen.append(await generations.current())
            assert await relay.drain_once() == 0  # nothing applied: the generation stays
            seen.append(await generations.current())
            _change(esat_catalog, "010001261", name="ESAT GÉNÉRATION")
            await relay.drain_once()
            seen.append(await generations.current())
            await relay.rebuild()
            seen.append(await generations.current())

            # Redis out of reach: the change is applied but cannot be published, so its
            # batch fails and stays pending, to be relayed (and published) again.
            relay.generations = RedisGenerations(
                Redis.from_url(f"redis://127.0.0.1:{free_port()}/0"), index
            )
            _change(esat_catalog, "010001261", name="ESAT SANS REDIS")
            with pytest.raises(redis.RedisError):
                await relay.drain_once()
            assert pending_events(esat_catalog) == 1
            relay.generations = generations
            assert await relay.drain_once() == 1
            seen.append(await generations.current())
        await generations.aclose()

    asyncio.run(go())
    assert seen[0] is None
    first, idle, changed, rebuilt, recovered = seen[1:]
    assert first is not None and idle == first
    assert changed is not None and rebuilt is not None and recovered is not None
    assert first < changed < rebuilt < recovered
