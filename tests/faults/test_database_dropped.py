"""The services' PostgreSQL connections are terminated (pg_terminate_backend) again and again
while writes are in flight: each request either succeeds — and then its change is in the
database — or fails with a problem+json 5xx; no change is half written; the pool recovers."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from services.catalog.audit.models import AuditEntry
from services.catalog.outbox.models import OutboxEvent
from services.catalog.ownership.models import Claim, Membership
from services.catalog.structures.models import Activity, Structure
from services.common.db import utcnow
from services.common.identity import Role
from services.common.mail import OutgoingMail
from tests.catalog.api_support import STAFF, identity
from tests.faults.conftest import is_problem, log_tail, service_env
from tests.support import Meili, ServiceProcess, load_catalog, migrate, pending_events, wait_until

STRUCTURES = 48
CONCURRENCY = 8
SECTORS = ("nettoyage-de-locaux-16", "restaurants-cantines")
EDIT, ACTIVITY, CLAIM = "edit", "activity", "claim"
PLAN = (EDIT, ACTIVITY, CLAIM, EDIT, ACTIVITY, EDIT)
WRITE_ACTIONS = ("structure.update", "activity.create")
NEEDS_PER_BUYER = 40


@dataclass
class Outcomes:
    """What the clients were told."""

    edits: list[tuple[int, str]] = field(default_factory=list)  # (structure, brand) accepted
    activities: list[int] = field(default_factory=list)
    claims: list[int] = field(default_factory=list)  # accepted claims
    failures: Counter[str] = field(default_factory=Counter)
    unclean: list[str] = field(default_factory=list)  # a failure that is not problem+json 5xx

    def failed(self, what: str, response: httpx.Response) -> None:
        self.failures[f"{what} {response.status_code}"] += 1
        if not is_problem(response, 500, 503):
            self.unclean.append(f"{what}: {response.status_code} {response.text[:200]}")


class Terminator(threading.Thread):
    """Ends every server process of the database, as an operator or a failover would."""

    def __init__(self, server_url: str, database: str, every_s: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.server_url, self.database, self.every_s = server_url, database, every_s
        self.stop = threading.Event()
        self.rounds = self.terminated = 0

    def terminate_all(self) -> int:
        with psycopg.connect(self.server_url, autocommit=True) as connection:
            rows = connection.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND pid <> pg_backend_pid()",
                (self.database,),
            ).fetchall()
        return sum(1 for (done,) in rows if done)

    def run(self) -> None:
        while not self.stop.wait(self.every_s):
            self.terminated += self.terminate_all()
            self.rounds += 1


def _snapshot(engine: Engine, ids: list[int]) -> dict[str, Any]:
    with Session(engine) as session:
        versions = {
            sid: version
            for sid, version in session.exec(
                select(Structure.id, Structure.version).where(col(Structure.id).in_(ids))
            )
        }
        last_audit = session.exec(select(func.max(AuditEntry.id))).one() or 0
        last_event = session.exec(select(func.max(OutboxEvent.id))).one() or 0
    return {"versions": versions, "audit": last_audit, "event": last_event}


async def _load(catalog: str, targets: list[tuple[int, str]]) -> Outcomes:
    outcomes = Outcomes()

    async def read_etag(client: httpx.AsyncClient, sid: int) -> str | None:
        for _ in range(5):  # reads may fail too while connections are cut
            response = await client.get(f"/v1/structures/{sid}")
            if response.is_success:
                return response.headers["etag"]
            outcomes.failed("read", response)
        return None

    async def write(client: httpx.AsyncClient, step: int, sid: int, siret: str) -> None:
        kind = PLAN[step]
        if kind == EDIT:
            etag = await read_etag(client, sid)
            if etag is None:
                return
            brand = f"Enseigne {secrets.token_hex(4)}"
            response = await client.patch(
                f"/v1/structures/{sid}",
                json={"brand": brand, "description": f"Atelier {brand}."},
                headers={**STAFF, "If-Match": etag},
            )
            if response.is_success:
                outcomes.edits.append((sid, brand))
        elif kind == ACTIVITY:
            body = {"sector": SECTORS[step % 2], "presta_types": ["PREST"], "range": "country"}
            response = await client.post(
                f"/v1/structures/{sid}/activities", json=body, headers=STAFF
            )
            if response.is_success:
                outcomes.activities.append(int(response.json()["id"]))
        else:
            manager = identity(f"gestion-{sid}")
            response = await client.post(
                "/v1/claims", json={"siret": siret, "structure_id": sid}, headers=manager
            )
            if response.is_success:
                claim_id = int(response.json()["id"])
                response = await client.post(f"/v1/claims/{claim_id}/accept", headers=STAFF)
                if response.is_success:
                    outcomes.claims.append(claim_id)
        if not response.is_success:
            outcomes.failed(kind, response)

    async def worker(client: httpx.AsyncClient, mine: list[tuple[int, str]]) -> None:
        for step in range(len(PLAN)):
            for sid, siret in mine:
                await write(client, step, sid, siret)

    # A hang would end in a timeout here, and fail the test.
    async with httpx.AsyncClient(base_url=catalog, timeout=30) as client:
        await asyncio.gather(*(worker(client, targets[w::CONCURRENCY]) for w in range(CONCURRENCY)))
    return outcomes


def _check_whole(engine: Engine, before: dict[str, Any], outcomes: Outcomes) -> dict[str, int]:
    """Every change the clients were told of is there, and every change there is whole."""
    ids = list(before["versions"])
    with Session(engine) as session:
        audit = list(
            session.exec(
                select(AuditEntry).where(
                    col(AuditEntry.id) > before["audit"], col(AuditEntry.structure_id).in_(ids)
                )
            )
        )
        events = Counter(
            session.exec(
                select(OutboxEvent.structure_id).where(col(OutboxEvent.id) > before["event"])
            )
        )
        structures = {
            s.id: s for s in session.exec(select(Structure).where(col(Structure.id).in_(ids)))
        }
        activities = {
            a.id: a.structure_id
            for a in session.exec(select(Activity).where(col(Activity.structure_id).in_(ids)))
        }
        claims = {
            c.id: c for c in session.exec(select(Claim).where(col(Claim.structure_id).in_(ids)))
        }
        members = {
            (m.structure_id, m.account_id)
            for m in session.exec(select(Membership).where(col(Membership.structure_id).in_(ids)))
        }
        told = {
            m.recipient
            for m in session.exec(
                select(OutgoingMail).where(col(OutgoingMail.subject).contains("acceptée"))
            )
        }

    updates = [a for a in audit if a.action == "structure.update"]
    created = {a.entity_id for a in audit if a.action == "activity.create"}
    accepted = {a.entity_id for a in audit if a.action == "claim.accept"}
    # What the clients were told happened, happened.
    for sid, brand in outcomes.edits:
        assert any(
            a.structure_id == sid and a.changes.get("brand", [None, None])[1] == brand
            for a in updates
        ), f"accepted edit of {sid} lost"
    assert set(outcomes.activities) <= set(activities), "accepted activity lost"
    assert set(outcomes.claims) <= accepted, "accepted claim lost"
    # Nothing is half written: each change is there with its version, audit and outbox rows.
    for sid in ids:
        structure = structures[sid]
        edits = sum(1 for a in updates if a.structure_id == sid)
        assert structure.version - before["versions"][sid] == edits, sid
        writes = sum(1 for a in audit if a.structure_id == sid and a.action in WRITE_ACTIONS)
        assert events[sid] == writes, f"{sid}: {events[sid]} outbox events for {writes} changes"
    # The targets had no activity before: each one there is new, and has its audit entry.
    assert set(activities) == created, "an activity without its audit entry, or the reverse"
    for claim_id, claim in claims.items():
        is_member = (claim.structure_id, claim.account_id) in members
        assert (claim.status == "accepted") == is_member == (claim_id in accepted), claim_id
        assert (claim.status == "accepted") == (claim.email in told), claim_id
    return {
        "edits": len(updates),
        "activities": len(created),
        "memberships": len(accepted),
    }


@pytest.mark.postgres
def test_dropped_connections_leave_every_write_whole_or_absent(
    new_postgres_database: str, postgres_server: str, meili: Meili, tmp_path: Path
) -> None:
    url = new_postgres_database
    engine = load_catalog(url, ("esat",))
    with Session(engine) as session:  # the import's changes are not what this test relays
        session.execute(update(OutboxEvent).values(processed_at=utcnow()))
        session.commit()
        rows = session.exec(
            select(Structure.id, Structure.siret)
            .where(col(Structure.siret).is_not(None))
            .order_by(col(Structure.id))
            .limit(STRUCTURES)
        ).all()
    targets = [(int(sid), str(siret)) for sid, siret in rows if sid is not None]
    before = _snapshot(engine, [sid for sid, _ in targets])
    index = f"faults_pg_{secrets.token_hex(4)}"
    catalog = ServiceProcess(
        "catalog", service_env(url, meili.url, meili.key, index), tmp_path
    ).start()
    terminator = Terminator(postgres_server, url.rsplit("/", 1)[1])
    try:
        terminator.start()
        outcomes = asyncio.run(_load(catalog.url, targets))
        terminator.stop.set()
        terminator.join()
        figures = _check_whole(engine, before, outcomes)
        print(
            f"\nrounds {terminator.rounds}, backends terminated {terminator.terminated},"
            f" accepted: {len(outcomes.edits)} edits, {len(outcomes.activities)} activities,"
            f" {len(outcomes.claims)} claims; failed {dict(outcomes.failures)}; in the database"
            f" {figures}"
        )
        assert outcomes.unclean == []
        assert terminator.terminated > 0
        # A 503 means not saved (the client may try again): the database holds what was
        # accepted, give or take a connection cut during a COMMIT, whose outcome is unknown.
        accepted = (len(outcomes.edits), len(outcomes.activities), len(outcomes.claims))
        stored = (figures["edits"], figures["activities"], figures["memberships"])
        assert 0 <= sum(stored) - sum(accepted) <= 1, (accepted, stored)

        # Once the connections stop being cut, every request succeeds again at once.
        terminator.terminate_all()
        with httpx.Client(base_url=catalog.url, timeout=30) as client:
            for sid, _ in targets[:10]:
                etag = client.get(f"/v1/structures/{sid}").headers["etag"]
                response = client.patch(
                    f"/v1/structures/{sid}",
                    json={"brand": "Enseigne rétablie"},
                    headers={**STAFF, "If-Match": etag},
                )
                assert response.status_code == 200, response.text
        # The relay, whose connections were cut too, catches up.
        wait_until(lambda: pending_events(engine) == 0, timeout_s=60)
    except BaseException:
        print(log_tail(catalog.log))
        raise
    finally:
        terminator.stop.set()
        catalog.stop()
        engine.dispose()


NEED_DRAFT = {
    "kind": "projet_achat",
    "title": "Entretien des espaces verts",
    "description": "Tonte et taille sur trois sites.",
    "sectors": ["nettoyage-de-locaux-16"],
    "place": {"level": "departement", "code": "69"},
    "publish": False,
}


@pytest.mark.postgres
def test_dropped_connections_during_need_deposits(
    new_postgres_database: str, postgres_server: str, meili: Meili, tmp_path: Path
) -> None:
    """Buyers deposit needs (drafts: no matching, only the sourcing database is involved)."""
    url = new_postgres_database
    migrate(url, "sourcing")
    sourcing = ServiceProcess(
        "sourcing",
        {
            **service_env(url, meili.url, meili.key, "unused"),
            "SOURCING_DATABASE_URL": url,
            "SOURCING_BACKGROUND_ENABLED": "false",
        },
        tmp_path,
    ).start()
    # Deposits are quick: the connections are cut more often than the catalog's.
    terminator = Terminator(postgres_server, url.rsplit("/", 1)[1], every_s=0.05)
    outcomes = Outcomes()
    titles: list[str] = []
    refused: list[str] = []

    async def deposit(client: httpx.AsyncClient, buyer: int) -> None:
        who = identity(f"acheteur-{buyer}", Role.PUBLIC_BUYER)
        for n in range(NEEDS_PER_BUYER):
            title = f"Besoin {buyer}-{n}"
            response = await client.post(
                "/v1/needs", json={**NEED_DRAFT, "title": title}, headers=who
            )
            if response.is_success:
                titles.append(title)
            else:
                refused.append(title)
                outcomes.failed("need", response)

    async def load() -> None:
        async with httpx.AsyncClient(base_url=sourcing.url, timeout=30) as client:
            await asyncio.gather(*(deposit(client, b) for b in range(CONCURRENCY)))

    try:
        terminator.start()
        asyncio.run(load())
        terminator.stop.set()
        terminator.join()
        with psycopg.connect(url) as connection:
            stored = [t for (t,) in connection.execute("SELECT title FROM need")]
        print(
            f"\nrounds {terminator.rounds}, backends terminated {terminator.terminated},"
            f" needs accepted {len(titles)}, failed {dict(outcomes.failures)}, stored {len(stored)},"
            f" of them answered 503 {len(set(refused) & set(stored))}"
        )
        assert outcomes.unclean == []
        assert terminator.terminated > 0
        assert set(titles) <= set(stored)  # every accepted need was saved
        assert len(stored) == len(set(stored))  # none saved twice
        # A 503 tells the buyer to try again: the need must not have been saved already. Only
        # a connection cut during the COMMIT itself leaves the outcome unknown to the service.
        saved_anyway = set(refused) & set(stored)
        assert len(saved_anyway) <= 1, f"{len(saved_anyway)} needs saved yet answered 503"
        terminator.terminate_all()
        with httpx.Client(base_url=sourcing.url, timeout=30) as client:
            buyer = identity("acheteur-apres", Role.PUBLIC_BUYER)
            for n in range(5):
                response = client.post(
                    "/v1/needs", json={**NEED_DRAFT, "title": f"Après {n}"}, headers=buyer
                )
                assert response.status_code == 201, response.text
    except BaseException:
        print(log_tail(sourcing.log))
        raise
    finally:
        terminator.stop.set()
        sourcing.stop()
