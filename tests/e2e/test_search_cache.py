"""The gateway's search cache with real processes, a real Redis (127.0.0.1:6379) and a real
Meilisearch: identical public searches are answered from it whoever asks, and never once the
index has moved on — a catalog write becomes searchable through it."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import httpx
import pytest
import redis

from services.common.identity import Principal, Role, sign_identity
from services.common.index_generation import RedisGenerations, entry_prefix, generation_key
from services.gateway.search_cache import cache_key
from tests.conftest import IndexedCatalog
from tests.e2e.test_accounts import _account
from tests.e2e.test_services import System, running_system
from tests.support import run_async, wait_until

REDIS_URL = "redis://127.0.0.1:6379/15"
SECRET = "e2e-identity-secret-0123456789"


@pytest.fixture(scope="module")
def cached(
    indexed_catalog: IndexedCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[System, str]]:
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis unreachable at {REDIS_URL}: {exc}")
    suffix = f"_cache{secrets.token_hex(3)}"
    index = indexed_catalog.index + suffix
    with running_system(
        indexed_catalog,
        tmp_path_factory.mktemp("cache"),
        suffix,
        # The gateway reads the index's name only to find its generation.
        gateway_env={"MEILI_INDEX": index},
        every_service_env={"REDIS_URL": REDIS_URL},
    ) as system:
        wait_until(lambda: _generation(index) is not None, timeout_s=15)  # the relay published
        yield system, index


def _generation(index: str) -> bytes | None:
    value: bytes | None = redis.Redis.from_url(REDIS_URL).get(generation_key(index))
    return value


def test_identical_searches_are_served_from_the_cache(cached: tuple[System, str]) -> None:
    system, index = cached
    first = system.get("/api/v1/search", params={"q": "jardin", "department": "69"})
    assert first.status_code == 200 and first.headers["x-cache"] == "miss"
    # The same search spelt otherwise: parameters reordered, defaults written out, one comma.
    again = system.get("/api/v1/search?department=69&sort=pertinence&q=jardin&page=1")
    assert again.headers["x-cache"] == "hit"
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert again.headers["x-content-type-options"] == "nosniff"
    assert int(again.headers["ratelimit-remaining"]) < int(first.headers["ratelimit-remaining"])
    stored = redis.Redis.from_url(REDIS_URL).keys(f"{entry_prefix(index)}*")
    key = cache_key("q=jardin&department=69")
    assert any(k.decode().endswith(":" + key) for k in stored)


def test_a_newer_generation_retires_cached_answers(cached: tuple[System, str]) -> None:
    system, index = cached
    params = {"kind": "ESAT", "department": "13"}
    system.get("/api/v1/search", params=params)
    assert system.get("/api/v1/search", params=params).headers["x-cache"] == "hit"
    before = _generation(index)

    async def publish() -> None:
        generations = RedisGenerations(redis.asyncio.Redis.from_url(REDIS_URL), index)
        await generations.publish()
        await generations.aclose()

    run_async(publish())
    assert _generation(index) != before
    after = system.get("/api/v1/search", params=params)
    assert after.headers["x-cache"] == "miss"
    assert system.get("/api/v1/search", params=params).headers["x-cache"] == "hit"


def test_a_catalog_write_is_searchable_through_the_cache(cached: tuple[System, str]) -> None:
    system, _ = cached
    word = f"cachefraicheur{secrets.token_hex(4)}"
    # Nothing found yet, and that answer cached.
    assert system.get("/api/v1/search", params={"q": word}).json()["total"] == 0
    nothing = system.get("/api/v1/search", params={"q": word})
    assert nothing.headers["x-cache"] == "hit" and nothing.json()["total"] == 0
    structure = system.get("/api/v1/search", params={"department": "75"}).json()["hits"][0]
    staff = {"x-mi-identity": sign_identity(Principal("staff-cache", Role.STAFF), SECRET)}
    path = f"{system.catalog.url}/v1/structures/{structure['id']}"
    etag = httpx.get(path, headers=staff).headers["etag"]
    staff = {"x-mi-identity": sign_identity(Principal("staff-cache", Role.STAFF), SECRET)}
    written = httpx.patch(path, json={"brand": word}, headers={**staff, "If-Match": etag})
    assert written.status_code == 200, written.text
    found: list[dict[str, object]] = []

    def searchable() -> bool:
        answer = system.get("/api/v1/search", params={"q": word}).json()
        found[:] = answer["hits"]
        return answer["total"] == 1

    wait_until(searchable, timeout_s=20, interval_s=0.02)
    assert found[0]["id"] == structure["id"]
    assert system.get("/api/v1/search", params={"q": word}).headers["x-cache"] == "hit"


def test_errors_are_not_cached(cached: tuple[System, str]) -> None:
    system, _ = cached
    for _ in range(2):
        refused = system.get("/api/v1/search", params={"kind": "ESATT"})
        assert refused.status_code == 422 and refused.headers["x-cache"] == "miss"
    # An unknown parameter never meets the valid search's answer.
    system.get("/api/v1/search", params={"q": "traiteur"})
    unknown = system.get("/api/v1/search", params={"q": "traiteur", "inconnu": "1"})
    assert unknown.status_code == 422


def test_identities_share_public_answers_not_personal_ones(cached: tuple[System, str]) -> None:
    system, _ = cached
    callers = []
    for role in ("private_buyer", "public_buyer"):
        address, tokens = _account(system, role)
        callers.append((address, {"Authorization": f"Bearer {tokens['access_token']}"}))
    params = {"sector": "nettoyage-de-locaux-16", "department": "93", "per_page": "7"}
    anonymous = system.get("/api/v1/search", params=params)
    assert anonymous.headers["x-cache"] == "miss"
    for _, headers in callers:
        answer = system.get("/api/v1/search", params=params, headers=headers)
        assert answer.headers["x-cache"] == "hit" and answer.content == anonymous.content
    for address, headers in callers:
        for _ in range(2):
            me = system.get("/api/v1/me", headers=headers)
            assert me.status_code == 200 and me.json()["account"]["email"] == address
            assert "x-cache" not in me.headers
    # A refused credential is refused even where a cached answer waits.
    forged = {"X-Api-Key": "mik" + "0" * 72}
    assert system.get("/api/v1/search", params=params, headers=forged).status_code == 401


def test_exports_are_not_cached(cached: tuple[System, str]) -> None:
    system, _ = cached
    params = {"department": "2A", "format": "csv"}
    for _ in range(2):
        export = system.get("/api/v1/search/export", params=params)
        assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
        assert "x-cache" not in export.headers
