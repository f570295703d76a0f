"""The outbox relay: settings before documents, every accepted change reaches the index,
nothing is lost while the search engine is down, deletions leave no ghost."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from services.catalog.outbox.models import OutboxEvent
from services.catalog.outbox.service import record_structure_changes
from services.catalog.structures.models import Structure
from services.domain.search_index import FILTERABLE_ATTRIBUTES
from tests.conftest import relay_for
from tests.support import Meili, free_port, load_catalog, pending_events


@pytest.fixture
def esat_catalog(empty_catalog_url: str) -> Iterator[Engine]:
    engine = load_catalog(empty_catalog_url, ("esat",))
    yield engine
    engine.dispose()


@pytest.fixture
def index_name(run_id: str) -> str:
    return f"test_{run_id}_relay_{secrets.token_hex(3)}"


def _meili(meili: Meili, path: str) -> httpx.Response:
    return httpx.get(meili.url + path, headers={"Authorization": f"Bearer {meili.key}"}, timeout=5)


def _documents(meili: Meili, index: str) -> int:
    return int(_meili(meili, f"/indexes/{index}/stats").json()["numberOfDocuments"])


def _change(engine: Engine, finess: str, **values: object) -> int:
    """A catalog write as every write must be: the change and its outbox row, one commit."""
    with Session(engine) as session:
        structure = session.exec(select(Structure).where(Structure.finess == finess)).one()
        for name, value in values.items():
            setattr(structure, name, value)
        session.add(structure)
        session.flush()
        assert structure.id is not None
        record_structure_changes(session, [structure.id])
        session.commit()
        return structure.id


def test_drain_applies_settings_then_every_document(
    esat_catalog: Engine, meili: Meili, index_name: str
) -> None:
    async def go() -> int:
        relay, client = relay_for(esat_catalog, meili, index_name)
        async with client:
            return await relay.drain()

    assert asyncio.run(go()) == 1_504
    assert pending_events(esat_catalog) == 0
    assert _documents(meili, index_name) == 1_504
    settings = _meili(meili, f"/indexes/{index_name}/settings").json()
    assert set(FILTERABLE_ATTRIBUTES) <= set(settings["filterableAttributes"])
    assert settings["pagination"]["maxTotalHits"] >= 1_000_000
    assert settings["typoTolerance"]["disableOnNumbers"] is True


def test_nothing_is_lost_while_the_engine_is_down(
    esat_catalog: Engine, meili: Meili, index_name: str
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"

    async def down() -> None:
        relay, client = relay_for(esat_catalog, meili, index_name, url=dead)
        async with client:
            with pytest.raises(Exception):  # noqa: B017  (any transport failure)
                await relay.drain_once()

    asyncio.run(down())
    with Session(esat_catalog) as session:
        failed = session.exec(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.attempts == 1, col(OutboxEvent.last_error).is_not(None))
        ).one()
    assert failed == 1_000  # the one batch tried, recorded as failed, still pending
    assert pending_events(esat_catalog) == 1_504

    renamed = _change(esat_catalog, "010001261", name="ESAT DES BROSSES RENOMMÉ")
    delisted = _change(esat_catalog, "010005288", is_active=False)

    async def up() -> int:
        relay, client = relay_for(esat_catalog, meili, index_name)
        async with client:
            return await relay.drain()

    assert asyncio.run(up()) == 1_506
    assert pending_events(esat_catalog) == 0
    assert _documents(meili, index_name) == 1_503  # no duplicate, no ghost
    assert _meili(meili, f"/indexes/{index_name}/documents/{delisted}").status_code == 404
    document = _meili(meili, f"/indexes/{index_name}/documents/{renamed}").json()
    assert document["name"] == "ESAT DES BROSSES RENOMMÉ"


def test_running_relay_makes_a_write_searchable_quickly(
    esat_catalog: Engine, meili: Meili, index_name: str
) -> None:
    async def go() -> None:
        relay, client = relay_for(esat_catalog, meili, index_name)
        relay.interval_s = 0.05
        async with client:
            await relay.drain()
            stop = asyncio.Event()
            task = asyncio.create_task(relay.run(stop))
            structure_id = _change(esat_catalog, "010001261", name="ATELIER DES BROSSES")
            for _ in range(200):
                found = await client.index(index_name).search("ATELIER DES BROSSES", limit=1)
                if found.hits and found.hits[0]["id"] == structure_id:
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the change never became searchable")
            stop.set()
            await task

    asyncio.run(go())


def test_rebuild_swaps_in_a_complete_index(
    esat_catalog: Engine, meili: Meili, index_name: str
) -> None:
    async def go() -> int:
        relay, client = relay_for(esat_catalog, meili, index_name)
        async with client:
            await relay.drain()
            return await relay.rebuild()

    assert asyncio.run(go()) == 1_504
    assert _documents(meili, index_name) == 1_504
    names = [i["uid"] for i in _meili(meili, "/indexes?limit=1000").json()["results"]]
    assert not [n for n in names if n.startswith(f"{index_name}_rebuild")]


def test_sync_rebuilds_when_the_document_shape_changes(
    esat_catalog: Engine, meili: Meili, index_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def sync() -> str:
        relay, client = relay_for(esat_catalog, meili, index_name)
        async with client:
            state, _ = await relay.sync()
            return state

    assert asyncio.run(sync()).startswith("reconstruit")  # first time: no recorded shape
    assert pending_events(esat_catalog) == 0  # the rebuild settled the import's events
    assert asyncio.run(sync()) == "à jour"
    monkeypatch.setattr("services.catalog.indexing.relay.DOCUMENT_VERSION", "changed")
    assert asyncio.run(sync()).startswith("reconstruit")
    assert _documents(meili, index_name) == 1_504
