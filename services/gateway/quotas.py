"""Rate limits and daily quotas: in Redis when `REDIS_URL` is set (shared by every gateway
replica), in memory otherwise — one algorithm, two stores."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis


@dataclass(frozen=True)
class Limit:
    name: str  # "minute" | "day"
    requests: int
    window_s: int


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: Limit  # the tightest limit for this request
    remaining: int
    reset_s: int  # seconds until that window ends

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Limit": str(self.limit.requests),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_s),
            "RateLimit-Policy": f"{self.limit.requests};w={self.limit.window_s}",
        }


class CounterStore(Protocol):
    async def hit(self, key: str, window_s: int) -> int:
        """Counts one request in the current window of `key`; returns the count so far."""

    async def count(self, key: str) -> int:
        """The count so far in the current window of `key`, without counting."""


class MemoryStore:
    def __init__(self) -> None:
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = asyncio.Lock()

    async def hit(self, key: str, window_s: int) -> int:
        async with self._lock:
            now = time.time()
            expires, count = self._counts.get(key, (0.0, 0))
            if now >= expires:
                expires, count = now + window_s, 0
            self._counts[key] = (expires, count + 1)
            if len(self._counts) > 100_000:  # bounded: drop what has expired
                self._counts = {k: v for k, v in self._counts.items() if v[0] > now}
            return count + 1

    async def count(self, key: str) -> int:
        expires, count = self._counts.get(key, (0.0, 0))
        return count if time.time() < expires else 0


class RedisStore:
    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def hit(self, key: str, window_s: int) -> int:
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_s, nx=True)
            count, _ = await pipe.execute()
        return int(count)

    async def count(self, key: str) -> int:
        value = await self.redis.get(key)
        return int(value) if value else 0


class Quotas:
    def __init__(self, store: CounterStore, limits: list[Limit], prefix: str = "mi:quota") -> None:
        self.store, self.limits, self.prefix = store, limits, prefix

    def key(self, subject: str, limit: Limit) -> str:
        return f"{self.prefix}:{subject}:{limit.name}:{int(time.time()) // limit.window_s}"

    async def peek(self, subject: str, limit: Limit) -> int:
        return await self.store.count(self.key(subject, limit))

    async def add(self, subject: str, limit: Limit) -> int:
        return await self.store.hit(self.key(subject, limit), limit.window_s)

    def windows(self, subject: str, limits: list[Limit] | None = None) -> list[tuple[str, int]]:
        """The counter to add one to for each limit, with its window in seconds."""
        return [(self.key(subject, limit), limit.window_s) for limit in limits or self.limits]

    def decide(self, counts: list[int], limits: list[Limit] | None = None) -> Decision:
        """The answer to a request once each limit's counter (in `windows` order) counted it."""
        now = int(time.time())
        decisions = []
        for count, limit in zip(counts, limits or self.limits, strict=True):
            reset = limit.window_s - now % limit.window_s
            decisions.append(
                Decision(count <= limit.requests, limit, max(0, limit.requests - count), reset)
            )
        refused = [d for d in decisions if not d.allowed]
        if refused:
            return max(refused, key=lambda d: d.reset_s)
        return min(decisions, key=lambda d: d.remaining)

    async def check(self, subject: str, limits: list[Limit] | None = None) -> Decision:
        counts = [
            await self.store.hit(key, window) for key, window in self.windows(subject, limits)
        ]
        return self.decide(counts, limits)
