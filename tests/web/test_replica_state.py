"""What two replicas of the website must agree on lives in the session database (a SQLite file,
then PostgreSQL): a key form's one-use mark, the renewal of a refresh token (the API rotates
them: renewed twice, the visitor would be logged out), a session saved by both at once."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from services.web.sessions import SessionStore, SignedIn

SECRET = "web-session-secret-0123456789"


@pytest.fixture
def replicas(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[list[SessionStore]]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'web.db'}"
    else:
        url = str(request.getfixturevalue("new_postgres_database"))
    stores = [SessionStore(url, SECRET, timedelta(days=1)) for _ in range(2)]
    yield stores
    for store in stores:
        store.close()


def test_a_form_mark_is_used_once_across_replicas(replicas: list[SessionStore]) -> None:
    async def scenario() -> list[bool]:
        first = [await replicas[0].first_use("marque-1"), await replicas[1].first_use("marque-1")]
        return [*first, await replicas[1].first_use("marque-2")]

    assert asyncio.run(scenario()) == [True, False, True]


def test_a_refresh_token_is_renewed_once_whichever_replica_asks(
    replicas: list[SessionStore],
) -> None:
    calls: list[int] = []

    async def renew() -> dict[str, object]:
        calls.append(1)
        await asyncio.sleep(0.3)  # the API's answer, while the other replica asks too
        return {"access_token": f"acces-{len(calls)}", "refresh_token": f"renouv-{len(calls)}"}

    async def scenario() -> list[dict[str, object] | None]:
        return list(
            await asyncio.gather(
                replicas[0].renewal("jeton-1", renew), replicas[1].renewal("jeton-1", renew)
            )
        )

    results = asyncio.run(scenario())
    assert calls == [1]
    assert results[0] == results[1] == {"access_token": "acces-1", "refresh_token": "renouv-1"}
    # Asked again later (a request that loaded the session before it was saved): same tokens.
    assert asyncio.run(replicas[1].renewal("jeton-1", renew)) == results[0]
    assert calls == [1]


def test_a_failed_renewal_lets_the_next_request_try_again(replicas: list[SessionStore]) -> None:
    async def refused() -> dict[str, object]:
        raise RuntimeError("API injoignable")

    async def accepted() -> dict[str, object]:
        return {"access_token": "acces", "refresh_token": "renouv"}

    with pytest.raises(RuntimeError):
        asyncio.run(replicas[0].renewal("jeton-2", refused))
    assert asyncio.run(replicas[1].renewal("jeton-2", accepted)) == {
        "access_token": "acces",
        "refresh_token": "renouv",
    }


def test_two_replicas_saving_one_session_at_once_both_succeed(
    replicas: list[SessionStore],
) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def save(store: SessionStore, n: int) -> None:
        signed_in = SignedIn("acheteur@exemple.fr", "public_buyer", f"a{n}", f"r{n}", 0.0)
        barrier.wait()
        try:
            for _ in range(20):
                store._save("session-1", signed_in)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(s, n)) for n, s in enumerate(replicas)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    loaded = replicas[0]._load("session-1")
    assert loaded is not None and loaded.access_token in {"a0", "a1"}


@pytest.mark.postgres
def test_replicas_starting_together_on_a_new_database_all_start(new_postgres_database: str) -> None:
    """Each replica creates the tables it misses at its start; the race's losers go on."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def start() -> None:
        barrier.wait()
        try:
            SessionStore(new_postgres_database, SECRET, timedelta(days=1)).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
