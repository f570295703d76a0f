"""The index stays true: writes accepted while Meilisearch is down become searchable once it
is back (a real process stopped and restarted); drift is found and repaired; a rebuild is
swapped in while searches keep answering."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from services.catalog.settings import CatalogSettings
from services.catalog.structures.models import Structure
from tests.catalog.api_support import SECRET, STAFF, CatalogApi, make_client
from tests.conftest import relay_for
from tests.support import Meili, MeiliProcess, load_catalog, pending_events, wait_until


@pytest.fixture
def esat_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = load_catalog(f"sqlite:///{tmp_path / 'catalog.db'}", ("esat",))
    yield engine
    engine.dispose()


def _search(meili: MeiliProcess | Meili, index: str, q: str) -> list[int]:
    response = httpx.post(
        f"{meili.url}/indexes/{index}/search",
        json={"q": q, "limit": 5},
        headers={"Authorization": f"Bearer {meili.key}"},
        timeout=5,
    )
    return [hit["id"] for hit in response.json()["hits"]]


def test_writes_accepted_while_the_engine_is_down_become_searchable(
    esat_engine: Engine, tmp_path: Path
) -> None:
    meili = MeiliProcess(tmp_path).start()
    settings = CatalogSettings(
        database_url=str(esat_engine.url),
        identity_secret=SECRET,
        meili_url=meili.url,
        meili_master_key=meili.key,
        meili_index="structures",
        relay_interval_s=0.05,
        relay_max_backoff_s=0.5,
        mail_relay_enabled=False,
        mail_dir=tmp_path / "mail",
        environment="test",
    )
    try:
        with make_client(settings) as client:
            api = CatalogApi(client, esat_engine, tmp_path / "mail")
            wait_until(lambda: pending_events(esat_engine) == 0, timeout_s=60)
            with Session(esat_engine) as session:
                ids = [
                    s.id
                    for s in session.exec(select(Structure).order_by(col(Structure.id)).limit(20))
                ]
            meili.stop()
            for n, structure_id in enumerate(ids):
                response = api.patch(
                    f"/v1/structures/{structure_id}", {"brand": f"Panne{n:02d}zq"}, STAFF
                )
                assert response.status_code == 200  # accepted while the engine is down
            assert pending_events(esat_engine) >= 1
            meili.start()
            wait_until(lambda: pending_events(esat_engine) == 0, timeout_s=60)
            for n, structure_id in enumerate(ids):
                assert _search(meili, "structures", f"Panne{n:02d}zq")[:1] == [structure_id]
            stats = httpx.get(
                f"{meili.url}/indexes/structures/stats",
                headers={"Authorization": f"Bearer {meili.key}"},
            ).json()
            assert stats["numberOfDocuments"] == 1_504  # no duplicate
    finally:
        meili.stop()


def test_drift_is_found_and_repaired(esat_engine: Engine, meili: Meili, run_id: str) -> None:
    index = f"test_{run_id}_drift"
    headers = {"Authorization": f"Bearer {meili.key}"}

    async def run(action: str) -> object:
        relay, client = relay_for(esat_engine, meili, index)
        async with client:
            if action == "drain":
                return await relay.drain()
            return await relay.check_drift(repair=action == "repair")

    asyncio.run(run("drain"))
    with Session(esat_engine) as session:
        first, second, third = session.exec(
            select(Structure.id).order_by(col(Structure.id)).limit(3)
        ).all()
    deleted = httpx.post(
        f"{meili.url}/indexes/{index}/documents/delete-batch", json=[first], headers=headers
    )
    altered = httpx.put(
        f"{meili.url}/indexes/{index}/documents",
        json=[{"id": second, "name": "FAUX"}],
        headers=headers,
    )
    ghost = httpx.post(
        f"{meili.url}/indexes/{index}/documents",
        json=[{"id": 99_999_999, "name": "FANTÔME"}],
        headers=headers,
    )
    for task in (deleted, altered, ghost):
        httpx.get(f"{meili.url}/tasks/{task.json()['taskUid']}", headers=headers)
    wait_until(
        lambda: (
            httpx.get(f"{meili.url}/tasks?statuses=enqueued,processing", headers=headers).json()[
                "total"
            ]
            == 0
        )
    )
    report = asyncio.run(run("check"))
    assert (report.missing, report.stale, report.ghosts) == ([first], [second], [99_999_999])  # type: ignore[attr-defined]
    repaired = asyncio.run(run("repair"))
    assert repaired.repaired  # type: ignore[attr-defined]
    after = asyncio.run(run("check"))
    assert after.total == 0  # type: ignore[attr-defined]
    assert third


def test_searches_keep_answering_during_a_rebuild(
    esat_engine: Engine, meili: Meili, run_id: str
) -> None:
    index = f"test_{run_id}_swap"
    headers = {"Authorization": f"Bearer {meili.key}"}

    relay_done = threading.Event()
    failures: list[int] = []
    totals: list[int] = []

    async def first_fill() -> None:
        relay, client = relay_for(esat_engine, meili, index)
        async with client:
            await relay.drain()

    asyncio.run(first_fill())

    def search_loop() -> None:
        with httpx.Client(timeout=5) as http:
            while not relay_done.is_set():
                response = http.post(
                    f"{meili.url}/indexes/{index}/search",
                    json={"q": "", "limit": 0},
                    headers=headers,
                )
                if response.status_code != 200:
                    failures.append(response.status_code)
                else:
                    totals.append(response.json()["estimatedTotalHits"])

    searcher = threading.Thread(target=search_loop)
    searcher.start()

    async def rebuild() -> None:
        relay, client = relay_for(esat_engine, meili, index)
        relay.batch_size = 200
        async with client:
            await relay.rebuild()

    try:
        asyncio.run(rebuild())
    finally:
        relay_done.set()
        searcher.join()
    assert failures == []
    assert totals and set(totals) == {1_504}  # never empty, never partial
