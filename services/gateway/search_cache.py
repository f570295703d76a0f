"""The public search's cache, shared by every gateway replica through Redis.

A public search answers the same to everyone, so identical searches — the same parameters once
put in canonical form — share one answer, stored pre-serialised (headers and body) under the
index generation it was read from (services/common/index_generation.py). The catalog moves the
generation forward once the engine has applied a change, so an answer of an older generation is
never served: each lookup reads the current generation and the entry stored under it in one
Redis round trip (a script), together with the caller's quota counters.

Why the generation is read from Redis on every lookup, rather than from a subscription: a
subscriber learns of a new generation some time after it was published, and during that time
would serve the older answers; a read in the same script as the entry cannot lag. The small
in-process layer (the last answers this replica served, by key) only saves moving the body:
the script still reads the current generation and the body comes back whenever the layer's
copy is of another one.

Without Redis nothing is cached (one process: every search reaches the engine).

Not cached: exports, personal answers (every other route), error answers, and answers
read while no generation was published (the catalog has not started with Redis yet)."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import typing
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.responses import Response

from services.common.index_generation import entry_prefix, generation_key
from services.domain.search import SearchParameters

logger = logging.getLogger(__name__)

SEARCH_PATH = "/api/v1/search"
# Set by the early path on a miss: the canonical key and the generation read before forwarding.
NOTED = "mi.search_cache"
CACHE_HEADER = "x-cache"

_DEFAULTS = {"q": "", "sort": "pertinence", "page": "1", "per_page": "20"}
_LISTS = frozenset(
    name
    for name, hint in typing.get_type_hints(SearchParameters).items()
    if list[str] in typing.get_args(hint)
)
_INTEGERS = frozenset({"page", "per_page", "radius_km"})
_DECIMALS = frozenset({"lat", "lng"})
_FLAGS = frozenset({"qpv", "zrr", "has_offers"})
_TRUE = frozenset({"1", "on", "t", "true", "y", "yes"})
_FALSE = frozenset({"0", "off", "f", "false", "n", "no"})
_INTEGER = re.compile(r"^[0-9]{1,9}$")
_DECIMAL = re.compile(r"^-?[0-9]{1,4}(?:\.[0-9]{1,15})?$")


def _scalar(name: str, value: str) -> str:
    """One value as the service reads it: `01` is `1`, `45` is `45.0`, `yes` is `true`;
    anything else stays as sent (and gets its error from the service, never cached)."""
    if name in _INTEGERS and _INTEGER.match(value):
        return str(int(value))
    if name in _DECIMALS and _DECIMAL.match(value):
        return repr(float(value))
    if name in _FLAGS:
        lowered = value.lower()
        if lowered in _TRUE:
            return "true"
        if lowered in _FALSE:
            return "false"
    return value


def canonical_query(query_string: str) -> str:
    """The search's parameters in one form whatever their spelling: names sorted, defaults
    left out, a list's values (repeated or separated by commas) joined once, without
    duplicates, in the order given (a result explains itself with the first place it serves).
    Unknown names are kept, so a refused search never meets a valid search's answer."""
    grouped: dict[str, list[str]] = {}
    for name, value in parse_qsl(query_string, keep_blank_values=True):
        grouped.setdefault(name, []).append(value)
    parts: list[tuple[str, str]] = []
    for name in sorted(grouped):
        values = grouped[name]
        if name in _LISTS:
            items = [v.strip() for value in values for v in value.split(",") if v.strip()]
            if items:
                parts.append((name, ",".join(dict.fromkeys(items))))
        elif len(values) > 1:  # a repeated single value: kept as sent, never merged
            parts.extend((name, value) for value in values)
        else:
            value = _scalar(name, values[0])
            if _DEFAULTS.get(name) != value:
                parts.append((name, value))
    return urlencode(parts)


def cache_key(query_string: str) -> str:
    return hashlib.blake2b(canonical_query(query_string).encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class CachedAnswer:
    headers: list[tuple[bytes, bytes]]  # as stored: content-type and the service's own
    body: bytes

    def encode(self) -> bytes:
        names = [[k.decode("latin-1"), v.decode("latin-1")] for k, v in self.headers]
        return json.dumps(names).encode() + b"\n" + self.body

    @classmethod
    def decode(cls, value: bytes) -> CachedAnswer:
        end = value.index(b"\n")
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in json.loads(value[:end])]
        return cls(headers, value[end + 1 :])

    def response(self) -> Response:
        response = Response(self.body)
        response.raw_headers = [
            *self.headers,
            (b"content-length", str(len(self.body)).encode()),
            (CACHE_HEADER.encode(), b"hit"),
        ]
        return response


@dataclass(frozen=True)
class Lookup:
    counts: list[int]  # each quota counter after counting this request
    generation: bytes | None  # None: nothing published, nothing cached
    answer: CachedAnswer | None


# KEYS[1] the generation, KEYS[2..] quota counters; ARGV[1] the entries' prefix, ARGV[2] the
# search's key, ARGV[3] the generation of the replica's own copy ("" if none), ARGV[4..] the
# counters' windows. The entry's key is built here from the generation just read.
_LOOKUP = """
local counts = {}
for i = 2, #KEYS do
  counts[i - 1] = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[i + 2], 'NX')
end
local generation = redis.call('GET', KEYS[1])
if not generation then
  return {counts, false, false}
end
if generation == ARGV[3] then
  return {counts, generation, 1}
end
return {counts, generation, redis.call('GET', ARGV[1] .. generation .. ':' .. ARGV[2])}
"""


class SearchCache:
    def __init__(
        self, redis: Redis, index: str, ttl_s: int = 300, local_entries: int = 512
    ) -> None:
        self.redis = redis
        self.generation_key = generation_key(index)
        self.prefix = entry_prefix(index)
        # Bounds what an entry can cost if the generation ever stopped moving.
        self.ttl_s = ttl_s
        self.local_entries = local_entries
        self._local: dict[str, tuple[bytes, CachedAnswer]] = {}
        self._lookup = redis.register_script(_LOOKUP)

    async def lookup(self, key: str, counters: list[tuple[str, int]] | None = None) -> Lookup:
        """The current generation and the answer cached under it, counting `counters` (quota
        keys and windows) in the same round trip. Raises RedisError when Redis fails."""
        counters = counters or []
        local = self._local.get(key)
        reply: Any = await self._lookup(
            keys=[self.generation_key, *(k for k, _ in counters)],
            args=[self.prefix, key, local[0] if local else b"", *(w for _, w in counters)],
        )
        counts, generation, found = reply
        counts = [int(c) for c in counts]
        if generation is None:
            return Lookup(counts, None, None)
        if found == 1 and local is not None:
            return Lookup(counts, generation, local[1])
        if not found:
            return Lookup(counts, generation, None)
        answer = CachedAnswer.decode(found)
        self._keep(key, generation, answer)
        return Lookup(counts, generation, answer)

    def _keep(self, key: str, generation: bytes, answer: CachedAnswer) -> None:
        if key not in self._local and len(self._local) >= self.local_entries:
            del self._local[next(iter(self._local))]  # the oldest kept
        self._local[key] = (generation, answer)

    async def store(self, key: str, generation: bytes, response: Response) -> None:
        """Keeps a successful answer under the generation read *before* it was asked for: if
        the index moved meanwhile, the entry is born out of date and never served."""
        answer = CachedAnswer(
            [(k, v) for k, v in response.raw_headers if k not in (b"content-length", b"x-cache")],
            bytes(response.body),
        )
        try:
            await self.redis.set(
                f"{self.prefix}{generation.decode()}:{key}", answer.encode(), ex=self.ttl_s
            )
        except RedisError as exc:
            logger.warning("search answer not cached", extra={"error": type(exc).__name__})
            return
        self._keep(key, generation, answer)
