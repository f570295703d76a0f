"""The search index's generation: a counter in Redis that the catalog moves forward each time
the index changed (a batch applied by the engine, a rebuild swapped in), and that the gateway's
search cache reads to know whether an answer it holds still describes the index.

Both sides name the counter the same way, from the index's name: one Redis can serve several
deployments (or test runs), each with its own index."""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis


def generation_key(index: str) -> str:
    return f"mi:search:{index}:generation"


def entry_prefix(index: str) -> str:
    """Cached answers live under `<prefix><generation>:<key>`."""
    return f"mi:search:{index}:entry:"


# A counter lost (evicted, deleted) starts again from the clock in milliseconds, far above any
# value it held: answers cached under an earlier generation can never look current again.
_ADVANCE = """
local current = redis.call('GET', KEYS[1])
if not current then
  redis.call('SET', KEYS[1], ARGV[1])
  return tonumber(ARGV[1])
end
return redis.call('INCR', KEYS[1])
"""


class GenerationPublisher(Protocol):
    async def publish(self) -> None:
        """Moves the generation forward: every answer cached before now is out of date."""

    async def aclose(self) -> None: ...


class NoGenerations:
    """Without Redis there is no shared cache to invalidate (the gateway caches nothing)."""

    async def publish(self) -> None:
        return None

    async def aclose(self) -> None:
        return None


class RedisGenerations:
    def __init__(self, redis: Redis, index: str) -> None:
        self.redis = redis
        self.key = generation_key(index)
        self._advance = redis.register_script(_ADVANCE)

    async def publish(self) -> None:
        await self._advance(keys=[self.key], args=[int(time.time() * 1000)])

    async def current(self) -> int | None:
        value = await self.redis.get(self.key)
        return int(value) if value is not None else None

    async def aclose(self) -> None:
        await self.redis.aclose()


def generation_publisher(redis_url: str | None, index: str) -> GenerationPublisher:
    if not redis_url:
        return NoGenerations()
    return RedisGenerations(Redis.from_url(redis_url), index)
