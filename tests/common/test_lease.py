"""Leases on the real databases (a SQLite file, then the PostgreSQL server): one holder at a
time, renewal keeps it, a holder that stops renewing loses it within the expiry, and a worker
kept under a lease runs in one of two replicas only. Short leases (1 s) keep the tests fast;
the services use 6 s."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from services.common.db import make_engine
from services.common.lease import Lease, Workers, held_during, holders, live
from services.common.mail import FileMailer, MailRelay, queue_mail
from tests.support import migrate

TTL_S, RENEW_S = 1.0, 0.25


@pytest.fixture
def engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A migrated sourcing database (it has the lease and mail tables) on each backend."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'sourcing.db'}"
    else:
        url = str(request.getfixturevalue("new_postgres_database"))
    migrate(url, "sourcing")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _lease(engine: Engine, holder: str, name: str = "needs") -> Lease:
    return Lease(engine, name, holder, ttl_s=TTL_S, renew_s=RENEW_S)


def test_two_replicas_competing_for_a_lease_one_holds_it(engine: Engine) -> None:
    leases = [_lease(engine, f"replica-{n}") for n in range(4)]
    results: list[bool] = []
    barrier = threading.Barrier(len(leases))

    def compete(lease: Lease) -> None:
        barrier.wait()
        results.append(lease.try_acquire())

    threads = [threading.Thread(target=compete, args=(lease,)) for lease in leases]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, False, False, True]
    winner = next(lease for lease in leases if lease.held)
    assert [h.holder for h in holders(engine)] == [winner.holder]
    # Another kind of worker has its own lease.
    assert _lease(engine, "replica-x", name="mail").try_acquire()


def test_renewing_keeps_the_lease_and_stopping_loses_it_within_the_expiry(engine: Engine) -> None:
    first, second = _lease(engine, "first"), _lease(engine, "second")
    assert first.try_acquire()
    deadline = time.monotonic() + 3 * TTL_S
    while time.monotonic() < deadline:  # renewed well within the expiry, three times over
        assert first.try_acquire()
        assert not second.try_acquire()
        time.sleep(RENEW_S)
    # The holder stops renewing (it died): the other takes over once the expiry has passed.
    stopped = time.monotonic()
    while not second.try_acquire():
        assert time.monotonic() - stopped < TTL_S + 1.0
        time.sleep(0.05)
    assert time.monotonic() - stopped >= TTL_S * 0.5
    assert not first.try_acquire() and not first.held
    assert [h.holder for h in holders(engine)] == ["second"]


def test_a_worker_under_a_lease_runs_in_one_replica_and_fails_over(engine: Engine) -> None:
    runs: dict[str, int] = {"a": 0, "b": 0}
    running: set[str] = set()
    overlaps: list[set[str]] = []

    def worker(replica: str):  # type: ignore[no-untyped-def]
        async def run(stop: asyncio.Event) -> None:
            running.add(replica)
            if len(running) > 1:
                overlaps.append(set(running))
            try:
                while not stop.is_set():
                    runs[replica] += 1
                    await asyncio.sleep(0.02)
            finally:
                running.discard(replica)

        return run

    async def scenario() -> tuple[str, float]:
        stops = {r: asyncio.Event() for r in runs}
        replicas = {r: Workers(engine, r, ttl_s=TTL_S, renew_s=RENEW_S) for r in runs}
        tasks = {
            r: asyncio.create_task(replicas[r].lease("needs").keep(stops[r], worker(r)))
            for r in runs
        }
        await asyncio.sleep(4 * RENEW_S)
        assert len(running) == 1
        first = next(iter(running))
        other = "b" if first == "a" else "a"
        assert replicas[first].detail()["leases"] == {"needs": True}
        assert replicas[other].detail()["leases"] == {"needs": False}
        before = runs[other]
        await asyncio.sleep(2 * TTL_S)
        assert runs[other] == before  # the other replica never ran a pass meanwhile
        # The holder dies: its task is cancelled; it is not released, so it has to expire.
        replicas[first].lease("needs").release = lambda: None  # type: ignore[method-assign]
        tasks[first].cancel()
        died = time.monotonic()
        while other not in running:
            assert time.monotonic() - died < TTL_S + 2 * RENEW_S + 1.0
            await asyncio.sleep(0.02)
        took_over = time.monotonic() - died
        stops[other].set()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
        return first, took_over

    _, took_over = asyncio.run(scenario())
    print(f"lease failover after the holder died: {took_over:.2f} s (expiry {TTL_S} s)")
    assert overlaps == []
    assert runs["a"] > 0 and runs["b"] > 0
    assert not holders(engine)[0].expires_at_ms  # released by the new holder when it stopped


def test_a_holder_that_loses_its_lease_starts_no_further_pass(engine: Engine) -> None:
    passes: list[float] = []

    async def worker(stop: asyncio.Event) -> None:
        while not stop.is_set():
            passes.append(time.monotonic())
            await asyncio.sleep(0.05)

    async def scenario() -> float:
        stop = asyncio.Event()
        lease = _lease(engine, "holder")
        task = asyncio.create_task(lease.keep(stop, worker))
        while not passes:  # noqa: ASYNC110 - the worker's first pass, polled
            await asyncio.sleep(0.02)
        # Another replica takes the lease over (as after a pause longer than the expiry).
        with engine.begin() as connection:
            connection.exec_driver_sql(
                "UPDATE service_lease SET holder = 'thief', expires_at_ms = 9999999999999"
            )
        lost = time.monotonic()
        await asyncio.sleep(RENEW_S + 0.3)
        stop.set()
        await task
        return lost

    lost = asyncio.run(scenario())
    # Passes stop at the next renewal, and the lease is not released on the thief's behalf.
    assert not [p for p in passes if p > lost + RENEW_S + 0.1]
    assert [h.holder for h in holders(engine)] == ["thief"]


def test_only_the_holder_of_the_mail_lease_sends(engine: Engine, tmp_path: Path) -> None:
    from sqlmodel import Session

    with Session(engine) as session:
        for n in range(5):
            queue_mail(session, f"gerant{n}@example.org", "Un besoin", "Bonjour")
        session.commit()
    outbox = tmp_path / "mail"
    relays = []
    for holder in ("one", "two"):
        lease = _lease(engine, holder, name="mail")
        relay = MailRelay(engine, FileMailer(outbox), "noreply@example.org")
        relay.may_send = lambda lease=lease: lease.held  # type: ignore[misc]
        relays.append((lease, relay))
    assert relays[0][0].try_acquire() and not relays[1][0].try_acquire()
    assert relays[1][1].deliver_pending() == 0
    assert relays[0][1].deliver_pending() == 5
    assert len(list(outbox.glob("*.eml"))) == 5


def test_work_in_a_thread_holds_its_lease_until_it_ends(engine: Engine) -> None:
    lease = _lease(engine, "importer", name="spend-import:1")
    with held_during(lease):
        time.sleep(TTL_S + RENEW_S)  # past the first expiry: renewed by the lease's own thread
        assert live(engine, ["spend-import:1", "spend-import:2"]) == {"spend-import:1"}
        assert not _lease(engine, "other", name="spend-import:1").try_acquire()
    assert live(engine, ["spend-import:1"]) == set()
