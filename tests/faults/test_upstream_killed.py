"""Through the real gateway, with clients sending searches, structure pages, reference data and
account calls concurrently, the sourcing service — then the catalog — is killed (SIGKILL) and
started again on the same port: the gateway answers what depends on the dead service with a
503/504 problem+json naming it, keeps serving the rest, and recovers without being restarted."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlmodel import Session, col, select

from services.catalog.structures.models import Structure
from services.common.db import make_engine
from tests.conftest import IndexedCatalog
from tests.faults.conftest import is_problem, log_tail, service_env, sigkill
from tests.support import SESSION_SECRET, ServiceProcess, copy_sqlite, migrate, wait_until

CONCURRENCY = 8
UPSTREAM_TIMEOUT_S = 2
KINDS = ("search", "page", "record", "reference", "account")
SAMPLES_PER_PHASE = 80


@dataclass
class Services:
    catalog: ServiceProcess
    sourcing: ServiceProcess
    gateway: ServiceProcess
    structure_ids: list[int]


@pytest.fixture(scope="module")
def services(
    indexed_catalog: IndexedCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Services]:
    """Gateway, catalog (on a copy of the real data, relay off) and sourcing (reading the
    session's index, which nothing here writes), each a process of its own."""
    folder = tmp_path_factory.mktemp("upstreams")
    catalog_url = copy_sqlite(indexed_catalog.engine, folder / "catalog.db")
    engine = make_engine(catalog_url)
    with Session(engine) as session:
        structure_ids = [
            sid
            for sid in session.exec(
                select(Structure.id)
                .where(col(Structure.is_active), col(Structure.commune_code).is_not(None))
                .order_by(col(Structure.id))
                .limit(40)
            )
            if sid is not None
        ]
    engine.dispose()
    meili = indexed_catalog.meili
    env = service_env(catalog_url, meili.url, meili.key, indexed_catalog.index)
    sourcing_db = f"sqlite:///{folder / 'sourcing.db'}"
    gateway_db = f"sqlite:///{folder / 'gateway.db'}"
    migrate(sourcing_db, "sourcing")
    migrate(gateway_db, "gateway")
    catalog = ServiceProcess("catalog", {**env, "CATALOG_RELAY_ENABLED": "false"}, folder)
    processes = [catalog]
    try:
        catalog.start()
        sourcing = ServiceProcess(
            "sourcing",
            {
                **env,
                "SOURCING_DATABASE_URL": sourcing_db,
                "SOURCING_CATALOG_URL": catalog.url,
                "SOURCING_BACKGROUND_ENABLED": "false",
            },
            folder,
        )
        processes.append(sourcing)
        sourcing.start()
        gateway = ServiceProcess(
            "gateway",
            {
                "MI_ENVIRONMENT": "test",
                "MI_IDENTITY_SECRET": env["MI_IDENTITY_SECRET"],
                "GATEWAY_DATABASE_URL": gateway_db,
                "GATEWAY_SESSION_SECRET": SESSION_SECRET,
                "GATEWAY_MAIL_DIR": str(folder / "mail"),
                "GATEWAY_CATALOG_URL": catalog.url,
                "GATEWAY_SOURCING_URL": sourcing.url,
                "GATEWAY_UPSTREAM_TIMEOUT_S": str(UPSTREAM_TIMEOUT_S),
                "GATEWAY_ANONYMOUS_PER_MINUTE": "1000000",
                "GATEWAY_ANONYMOUS_PER_DAY": "1000000",
            },
            folder,
        )
        processes.append(gateway)
        gateway.start()
        yield Services(catalog, sourcing, gateway, structure_ids)
    finally:
        for process in reversed(processes):
            process.stop()


@dataclass(frozen=True)
class Sample:
    kind: str
    started: float
    ended: float
    status: int  # 0: no answer at all
    problem: bool
    body: Any


@dataclass
class Traffic:
    """Clients calling the gateway without pause, in a thread of their own, until stopped."""

    gateway: str
    structure_ids: list[int]
    samples: list[Sample] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def request(self, client: httpx.AsyncClient, kind: str, n: int) -> Any:
        sid = self.structure_ids[n % len(self.structure_ids)]
        return {
            "search": lambda: client.get(
                "/api/v1/search", params={"q": ("nettoyage", "espaces verts", "traiteur")[n % 3]}
            ),
            "page": lambda: client.get(f"/api/v1/structures/{sid}/page"),
            "record": lambda: client.get(f"/api/v1/structures/{sid}"),
            "reference": lambda: client.get("/api/v1/reference/kinds"),
            "account": lambda: client.get("/api/v1/keys"),  # the gateway's own: 401 unsigned
        }[kind]()

    async def worker(self, client: httpx.AsyncClient, offset: int) -> None:
        n = offset
        while not self.stop.is_set():
            kind = KINDS[n % len(KINDS)]
            started = time.monotonic()
            try:
                response = await self.request(client, kind, n)
                body = response.json()
                sample = Sample(
                    kind,
                    started,
                    time.monotonic(),
                    response.status_code,
                    is_problem(response, response.status_code),
                    body,
                )
            except httpx.HTTPError as exc:  # a hang ends here, at the client's timeout
                sample = Sample(kind, started, time.monotonic(), 0, False, repr(exc))
            self.samples.append(sample)
            n += 1

    async def run_async(self) -> None:
        async with httpx.AsyncClient(base_url=self.gateway, timeout=20) as client:
            await asyncio.gather(*(self.worker(client, w) for w in range(CONCURRENCY)))

    def __enter__(self) -> Traffic:
        self.thread = threading.Thread(target=lambda: asyncio.run(self.run_async()), daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=60)

    def wait_for(self, count: int, after: float) -> None:
        wait_until(lambda: sum(s.started > after for s in self.samples) >= count, timeout_s=60)


def _healthy(sample: Sample) -> bool:
    if sample.kind == "account":
        return sample.status == 401 and sample.problem
    if sample.kind == "page":
        return sample.status == 200 and sample.body["missing"] == []
    return sample.status == 200


def _unavailable(service: str) -> Callable[[Sample], bool]:
    def check(sample: Sample) -> bool:
        return (
            sample.status in (503, 504)
            and sample.problem
            and sample.body.get("upstream") == service
        )

    return check


def _page_without_nearby(sample: Sample) -> bool:
    return sample.status == 200 and sample.body["missing"] == ["nearby"]


# Parts of a structure page each service gives.
PARTS = {"sourcing": {"nearby", "open_needs"}, "catalog": {"offers", "open_needs"}}


def _partial_page(sample: Sample, parts: set[str]) -> bool:
    """A page asked as the service died: what it had already given is there, the rest missing."""
    return sample.kind == "page" and sample.status == 200 and set(sample.body["missing"]) <= parts


# What the gateway must answer, per kind of request, while one service is dead.
WHILE_DOWN: dict[str, dict[str, Callable[[Sample], bool]]] = {
    "sourcing": {
        "search": _unavailable("sourcing"),
        "reference": _unavailable("sourcing"),
        "page": _page_without_nearby,
        "record": _healthy,
        "account": _healthy,
    },
    "catalog": {
        "search": _healthy,
        "reference": _healthy,
        "page": _unavailable("catalog"),
        "record": _unavailable("catalog"),
        "account": _healthy,
    },
}


def _kill_and_restart(services: Services, name: str) -> None:
    process: ServiceProcess = getattr(services, name)
    with Traffic(services.gateway.url, services.structure_ids) as traffic:
        traffic.wait_for(SAMPLES_PER_PHASE, after=0)
        killing = time.monotonic()
        sigkill(process.process)
        killed = time.monotonic()
        traffic.wait_for(SAMPLES_PER_PHASE, after=killed)
        restarting = time.monotonic()
        process.start()  # the same port: the gateway is not touched
        restarted = time.monotonic()
        traffic.wait_for(SAMPLES_PER_PHASE, after=restarted)
    samples = list(traffic.samples)
    figures: Counter[str] = Counter()
    wrong = []
    for sample in samples:
        if sample.ended < killing or sample.started > restarted:
            phase, fine = "up", _healthy(sample)
        elif sample.started > killed and sample.ended < restarting:
            phase, fine = "down", WHILE_DOWN[name][sample.kind](sample)
        else:  # in flight when the process died or came back: either answer, cleanly
            phase = "between"
            fine = (
                _healthy(sample)
                or WHILE_DOWN[name][sample.kind](sample)
                or _partial_page(sample, PARTS[name])
            )
        figures[f"{phase} {sample.kind} {sample.status}"] += 1
        if not fine:
            wrong.append(sample)
    print(f"\n{name} killed: {len(samples)} requests, {dict(sorted(figures.items()))}")
    assert wrong == [], wrong[:5]
    assert sum(n for key, n in figures.items() if key.startswith("down")) >= SAMPLES_PER_PHASE


def test_sourcing_killed_mid_traffic(services: Services) -> None:
    try:
        _kill_and_restart(services, "sourcing")
    except BaseException:
        print(log_tail(services.gateway.log))
        raise


def test_catalog_killed_mid_traffic(services: Services) -> None:
    try:
        _kill_and_restart(services, "catalog")
    except BaseException:
        print(log_tail(services.gateway.log))
        raise


def test_traffic_needs_no_restart_of_the_gateway(services: Services) -> None:
    """After both outages, the same gateway process still answers everything."""
    assert services.gateway.process is not None and services.gateway.process.poll() is None
    with httpx.Client(base_url=services.gateway.url, timeout=20) as client:
        sid = services.structure_ids[0]
        assert client.get("/api/v1/search", params={"q": "nettoyage"}).status_code == 200
        assert client.get(f"/api/v1/structures/{sid}/page").json()["missing"] == []
        assert client.get("/readyz").status_code == 200
