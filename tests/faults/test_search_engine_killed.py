"""Meilisearch is killed (SIGKILL) in the middle of 500 writes through the catalog API and
started again on the same data: every accepted write ends up searchable, with its content, and
nothing else — no duplicate, no delisted structure left behind, the outbox drained."""

from __future__ import annotations

import asyncio
import string
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from services.catalog.indexing.relay import DriftReport
from services.catalog.reference.models import Sector
from services.catalog.structures.models import Structure
from services.common.db import make_engine
from tests.catalog.api_support import STAFF
from tests.conftest import IndexedCatalog, relay_for
from tests.faults.conftest import log_tail, service_env, sigkill
from tests.support import (
    Meili,
    MeiliProcess,
    ServiceProcess,
    copy_sqlite,
    pending_events,
    wait_until,
)

WRITES = 500
STRUCTURES = WRITES // 4  # four writes per structure, in order, by one client
DELISTED = 50
CONCURRENCY = 8
KILL_AFTER, RESTART_AFTER = 150, 350
MIN_DOWN_S = 1.0  # the engine stays dead at least this long, writes going on
INDEX = "structures_faults"
KEEP_ONE_IN = 6


def word(number: int) -> str:
    """A made-up word, letters only, unique per write: what a search for it must find."""
    letters = ""
    while True:
        number, rest = divmod(number, 26)
        letters += string.ascii_lowercase[rest]
        if not number:
            return "quiproquo" + letters


@dataclass
class Expected:
    """What the catalog accepted for one structure: what its document must say."""

    brand: str | None = None
    description: str | None = None
    sectors: set[str] = field(default_factory=set)
    active: bool = True


@dataclass
class Tally:
    accepted: int = 0
    refused: list[str] = field(default_factory=list)


def _targets(engine: Engine) -> tuple[list[int], list[str]]:
    with Session(engine) as session:
        ids = session.exec(
            select(Structure.id)
            .where(col(Structure.is_active), col(Structure.commune_code).is_not(None))
            .order_by(col(Structure.id))
        ).all()
        sectors = session.exec(select(Sector.slug).order_by(col(Sector.slug))).all()
    step = len(ids) // STRUCTURES
    return [i for i in ids[::step] if i is not None][:STRUCTURES], list(sectors)


async def _write_all(
    catalog: str, structure_ids: list[int], sectors: list[str], on_progress: Callable[[int], None]
) -> tuple[Tally, dict[int, Expected]]:
    tally, expected = Tally(), {sid: Expected() for sid in structure_ids}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(WRITES):
        queue.put_nowait(number)

    etags: dict[int, str] = {}

    async def staff_patch(
        client: httpx.AsyncClient, sid: int, body: dict[str, object]
    ) -> httpx.Response:
        if sid not in etags:
            etags[sid] = (await client.get(f"/v1/structures/{sid}")).headers["etag"]
        response = await client.patch(
            f"/v1/structures/{sid}", json=body, headers={**STAFF, "If-Match": etags[sid]}
        )
        if response.is_success:
            etags[sid] = response.headers["etag"]
        return response

    async def edit(client: httpx.AsyncClient, sid: int, number: int) -> httpx.Response:
        body = {"brand": f"Atelier {word(number)}", "description": f"Entretien {word(number)}."}
        response = await staff_patch(client, sid, body)
        if response.is_success:
            expected[sid].brand, expected[sid].description = body["brand"], body["description"]
        return response

    async def activity(client: httpx.AsyncClient, sid: int, number: int) -> httpx.Response:
        sector = sectors[number % len(sectors)]
        # Country-wide or by département: a radius costs the relay a pass over every commune.
        body: dict[str, object] = {"sector": sector, "presta_types": ["PREST"], "range": "country"}
        if number % 2:
            body |= {"range": "zones", "zones": [{"type": "departement", "code": "93"}]}
        response = await client.post(f"/v1/structures/{sid}/activities", json=body, headers=STAFF)
        if response.is_success:
            expected[sid].sectors.add(sector)
        return response

    async def delist(client: httpx.AsyncClient, sid: int, number: int) -> httpx.Response:
        response = await staff_patch(client, sid, {"is_active": False})
        if response.is_success:
            expected[sid].active = False
        return response

    plan: list[Callable[[httpx.AsyncClient, int, int], Awaitable[httpx.Response]]] = [
        edit,
        activity,
        edit,
    ]

    async def worker(client: httpx.AsyncClient, mine: list[int]) -> None:
        # Each client owns its structures and writes to them in order: the last accepted
        # write of a structure is known, so is what its document must say.
        for step in range(4):
            for sid in mine:
                number = queue.get_nowait()
                last = delist if structure_ids.index(sid) < DELISTED else activity
                write = plan[step] if step < 3 else last
                response = await write(client, sid, number)
                if response.is_success:
                    tally.accepted += 1
                else:
                    tally.refused.append(f"{write.__name__} {sid}: {response.status_code}")
                on_progress(tally.accepted + len(tally.refused))

    async with httpx.AsyncClient(base_url=catalog, timeout=30) as client:
        await asyncio.gather(
            *(worker(client, structure_ids[w::CONCURRENCY]) for w in range(CONCURRENCY))
        )
    return tally, expected


def _shrink(engine: Engine) -> None:
    """One structure in KEEP_ONE_IN of the real data: the index builds and catches up faster."""
    with Session(engine) as session:
        session.execute(delete(Structure).where(col(Structure.id) % KEEP_ONE_IN != 0))
        session.commit()


def _build_index(engine: Engine, meili: MeiliProcess) -> None:
    async def rebuild() -> None:
        relay, client = relay_for(engine, Meili(meili.url, meili.key, None), INDEX)
        async with client:
            await relay.rebuild()

    asyncio.run(rebuild())


async def _drift(engine: Engine, meili: MeiliProcess) -> DriftReport:
    """The catalog's own check: ids and content hashes of every document against the catalog."""
    relay, client = relay_for(engine, Meili(meili.url, meili.key, None), INDEX)
    async with client:
        return await relay.check_drift()


class IndexReader:
    """Reads the test's index straight from Meilisearch, over one connection."""

    def __init__(self, meili: MeiliProcess) -> None:
        self.client = httpx.Client(
            base_url=f"{meili.url}/indexes/{INDEX}",
            headers={"Authorization": f"Bearer {meili.key}"},
            timeout=10,
        )

    def count(self) -> int:
        return int(self.client.get("/stats").json()["numberOfDocuments"])

    def document(self, structure_id: int) -> httpx.Response:
        return self.client.get(f"/documents/{structure_id}")

    def ids(self) -> list[int]:
        ids: list[int] = []
        while True:
            page = self.client.get(
                "/documents", params={"fields": "id", "limit": 1000, "offset": len(ids)}
            ).json()
            ids += [int(d["id"]) for d in page["results"]]
            if not page["results"]:
                return ids

    def search(self, text: str) -> list[int]:
        """Exact phrase: typo tolerance must not find a neighbouring made-up word."""
        response = self.client.post(
            "/search", json={"q": f'"{text}"', "limit": 20, "attributesToRetrieve": ["id"]}
        )
        return [int(h["id"]) for h in response.json()["hits"]]


def test_every_accepted_write_is_searchable_after_the_engine_is_killed(
    indexed_catalog: IndexedCatalog, tmp_path: Path
) -> None:
    url = copy_sqlite(indexed_catalog.engine, tmp_path / "catalog.db")
    engine = make_engine(url)
    meili = MeiliProcess(tmp_path).start()
    catalog = ServiceProcess("catalog", service_env(url, meili.url, meili.key, INDEX), tmp_path)
    try:
        _shrink(engine)
        _build_index(engine, meili)
        catalog.start()
        structure_ids, sectors = _targets(engine)
        assert len(structure_ids) == STRUCTURES
        events: dict[str, float] = {}
        restart = threading.Thread(target=meili.start)

        def progress(done: int) -> None:
            if done >= KILL_AFTER and "killed" not in events:
                sigkill(meili.process)
                events["killed"] = time.monotonic()
            elif (
                done >= RESTART_AFTER
                and "restarted" not in events
                and time.monotonic() - events["killed"] >= MIN_DOWN_S
            ):
                # Same port, key and data folder; started aside while the writes go on.
                restart.start()
                events["restarted"], events["written_when_restarted"] = time.monotonic(), done

        tally, expected = asyncio.run(_write_all(catalog.url, structure_ids, sectors, progress))
        if "restarted" not in events:  # the writes were done before the engine's down time
            restart.start()
            events["restarted"], events["written_when_restarted"] = time.monotonic(), WRITES
        restart.join()
        assert {"killed", "restarted"} <= set(events)
        print(
            f"\nwrites sent {WRITES}, accepted {tally.accepted}, refused {len(tally.refused)},"
            f" engine down {events['restarted'] - events['killed']:.1f} s, during which"
            f" {events['written_when_restarted'] - KILL_AFTER:.0f} writes were sent"
        )
        assert tally.refused == []  # the engine being down never refuses a catalog write
        assert tally.accepted == WRITES

        wait_until(lambda: pending_events(engine) == 0, timeout_s=60)
        with Session(engine) as session:
            active = session.exec(
                select(func.count()).select_from(Structure).where(col(Structure.is_active))
            ).one()
        index = IndexReader(meili)
        wait_until(lambda: index.count() == active, timeout_s=30)
        indexed = index.ids()
        assert len(indexed) == len(set(indexed)) == active  # no duplicate, none missing
        drift = asyncio.run(_drift(engine, meili))
        assert (drift.missing, drift.ghosts, drift.stale) == ([], [], [])

        lost = []
        for sid, wanted in expected.items():
            document = index.document(sid)
            if not wanted.active:
                assert document.status_code == 404, f"delisted {sid} still indexed"
                assert sid not in index.search(str(wanted.description))
                continue
            assert document.status_code == 200, f"{sid} missing from the index"
            body = document.json()
            if (body["brand"], body["description"]) != (wanted.brand, wanted.description):
                lost.append(sid)
            assert wanted.sectors <= set(body["sectors"]), sid
            assert sid in index.search(str(wanted.description).split()[-1].rstrip("."))
        print(f"structures checked {len(expected)}, delisted {DELISTED}, lost {len(lost)}")
        assert lost == []
    except BaseException:
        print(log_tail(catalog.log))
        raise
    finally:
        catalog.stop()
        meili.stop()
        engine.dispose()
