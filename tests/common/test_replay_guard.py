"""The replay guard shared by a service's replicas, on the real Redis (127.0.0.1:6379): an
identity accepted by one replica is refused by another, each service has its own keys, and a
key goes away once its identity has expired."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from services.common.identity import (
    IDENTITY_HEADER,
    InvalidIdentity,
    Principal,
    ReplayGuard,
    Role,
    SharedReplayGuard,
    sign_identity,
    verify_identity_claims,
)
from services.common.state import replay_guard
from tests.catalog.api_support import SECRET, catalog_settings, make_client
from tests.support import Meili, migrate

REDIS_URL = "redis://127.0.0.1:6379/14"


@pytest.fixture
def client() -> Iterator[redis.Redis]:
    connection = redis.Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis unreachable at {REDIS_URL}: {exc}")
    yield connection
    connection.close()


def _identity(ttl_s: int = 60, audience: str = "catalog") -> str:
    principal = Principal("acheteur-1", Role.PUBLIC_BUYER, "acheteur@exemple.fr")
    return sign_identity(principal, SECRET, ttl_s=ttl_s, audience=audience)


def test_an_identity_accepted_by_one_replica_is_refused_by_another(client: redis.Redis) -> None:
    first, second = (SharedReplayGuard(client, "catalog") for _ in range(2))
    verified = verify_identity_claims(_identity(), SECRET, audience="catalog")
    first.accept(verified)
    with pytest.raises(InvalidIdentity, match="rejeu"):
        second.accept(verified)
    with pytest.raises(InvalidIdentity, match="rejeu"):
        first.accept(verified)
    # The key lives until the identity's last accepted second, under the service's prefix.
    key = f"mi:replay:catalog:{verified.token_id}"
    assert client.expiretime(key) == verified.expires + 1
    # Another service's replicas keep their own keys: its guard does not see this one.
    SharedReplayGuard(client, "sourcing").accept(verified)
    # A fresh identity (another token id) passes.
    second.accept(verify_identity_claims(_identity(), SECRET, audience="catalog"))


def test_a_key_goes_away_once_its_identity_has_expired(client: redis.Redis) -> None:
    guard = SharedReplayGuard(client, "catalog")
    verified = verify_identity_claims(_identity(ttl_s=1), SECRET, audience="catalog")
    guard.accept(verified)
    key = f"mi:replay:catalog:{verified.token_id}"
    assert client.exists(key)
    deadline = time.time() + 5
    while client.exists(key):
        assert time.time() < deadline, "the key outlived its identity"
        time.sleep(0.1)
    assert time.time() >= verified.expires  # not before the identity itself expired


def test_without_redis_the_guard_stays_in_memory() -> None:
    assert type(replay_guard(None, "catalog")) is ReplayGuard
    assert isinstance(replay_guard(REDIS_URL, "catalog"), SharedReplayGuard)


def test_two_catalog_replicas_accept_a_forwarded_identity_once(
    client: redis.Redis, meili: Meili, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'catalog.db'}"
    migrate(url, "catalog")
    settings = catalog_settings(url, tmp_path / "mail", meili.url, meili.key, "replay_test")
    settings.redis_url = REDIS_URL
    header = {IDENTITY_HEADER: _identity()}
    with make_client(settings) as replica_1, make_client(settings) as replica_2:
        assert replica_1.get("/v1/claims", headers=header).status_code == 200
        replayed = replica_2.get("/v1/claims", headers=header)
        assert replayed.status_code == 401
        assert "rejeu" in replayed.json()["detail"]
        assert replica_2.get("/v1/claims", headers={IDENTITY_HEADER: _identity()}).is_success
