"""Leases: one background worker of each kind at a time, however many replicas run.

A lease is a row of the service's own database: its name (the kind of worker), who holds it
and until when. A replica takes it with one conditional UPDATE (*the holder is me, or the lease
has expired*) and, for a lease never taken yet, an INSERT that does nothing on conflict: both
are atomic on SQLite and on PostgreSQL, so two replicas never both see "taken". The holder
renews it every `renew_s` (2 s) for `ttl_s` (6 s); the others try every second. A holder that
dies stops renewing and another replica takes the lease at its next try after the expiry: within
7 s of the death (6 s after the holder's last renewal, plus at most one second).

Why a row with an expiry rather than a PostgreSQL advisory lock: an advisory lock belongs to
one database connection, so it needs a connection kept out of the pool for as long as the
worker runs, is released behind our back when that connection drops (the worker then runs on,
unaware), and does not exist on SQLite, the single-process default. A row with an expiry works
on both databases, through pooled connections, and its holder can be read by an operator.

The holder stops its worker as soon as a renewal fails or the lease's time runs out before a
renewal answered (measured from when the renewal was asked, on the monotonic clock): the pass
under way may finish, no new pass starts. Expiries are wall-clock times written by the
replicas, so the replicas' clocks must agree (NTP) well within the 6 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import BigInteger, Column, MetaData, String, Table, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from services.common.db import NAMING_CONVENTION

logger = logging.getLogger(__name__)

TTL_S = 6.0
RENEW_S = 2.0

LEASES = Table(
    "service_lease",
    MetaData(naming_convention=NAMING_CONVENTION),
    Column("name", String(64), primary_key=True),
    Column("holder", String(128), nullable=False),
    # Milliseconds since the epoch: compared as integers, the same on SQLite and PostgreSQL.
    Column("expires_at_ms", BigInteger, nullable=False),
)

Worker = Callable[[asyncio.Event], Coroutine[Any, Any, None]]


def add_leases(metadata: MetaData) -> None:
    """Gives a database whose service runs background workers the `service_lease` table."""
    LEASES.to_metadata(metadata)


def replica_id() -> str:
    """This process among the replicas: host, process id and a random part (pids repeat)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class LeaseHolder:
    name: str
    holder: str
    expires_at_ms: int


def holders(engine: Engine) -> list[LeaseHolder]:
    """Every lease of the database, held or expired, for an operator."""
    with engine.connect() as connection:
        rows = connection.execute(select(LEASES).order_by(LEASES.c.name)).all()
    return [LeaseHolder(r.name, r.holder, r.expires_at_ms) for r in rows]


class Lease:
    def __init__(
        self,
        engine: Engine,
        name: str,
        holder: str | None = None,
        ttl_s: float = TTL_S,
        renew_s: float = RENEW_S,
    ) -> None:
        if renew_s >= ttl_s:
            raise ValueError("a lease must be renewed before it expires")
        self.engine, self.name, self.ttl_s, self.renew_s = engine, name, ttl_s, renew_s
        self.holder = holder or replica_id()
        self._valid_until = 0.0  # monotonic

    @property
    def held(self) -> bool:
        """Whether this replica may act as the holder now."""
        return time.monotonic() < self._valid_until

    def try_acquire(self) -> bool:
        """Takes or renews the lease; true when this replica holds it for the next `ttl_s`."""
        asked = time.monotonic()
        taken = self._take()
        self._valid_until = asked + self.ttl_s if taken else 0.0
        return taken

    def _take(self) -> bool:
        now_ms = int(time.time() * 1000)
        expires = now_ms + int(self.ttl_s * 1000)
        with self.engine.begin() as connection:
            renewed = connection.execute(
                update(LEASES)
                .where(
                    LEASES.c.name == self.name,
                    or_(LEASES.c.holder == self.holder, LEASES.c.expires_at_ms < now_ms),
                )
                .values(holder=self.holder, expires_at_ms=expires)
            ).rowcount
        if renewed:
            return True
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        with self.engine.begin() as connection:
            # RETURNING, since the driver's row count of an INSERT is not always known.
            inserted = connection.execute(
                dialect.insert(LEASES)
                .values(name=self.name, holder=self.holder, expires_at_ms=expires)
                .on_conflict_do_nothing(index_elements=["name"])
                .returning(LEASES.c.name)
            ).first()
        return inserted is not None

    def release(self) -> None:
        """Lets another replica take the lease at its next try, without waiting the expiry."""
        self._valid_until = 0.0
        with self.engine.begin() as connection:
            connection.execute(
                update(LEASES)
                .where(LEASES.c.name == self.name, LEASES.c.holder == self.holder)
                .values(expires_at_ms=0)
            )

    async def _renew(self) -> bool:
        # Bounded by what is left of the lease: a database that hangs does not keep a worker
        # running past the time another replica may take over.
        left = self._valid_until - time.monotonic() if self.held else self.renew_s
        try:
            return await asyncio.wait_for(asyncio.to_thread(self.try_acquire), max(left, 0.05))
        except Exception as exc:  # the database is unreachable or slow: not held
            self._valid_until = 0.0
            logger.warning("lease not renewed", extra={"lease": self.name, "error": repr(exc)})
            return False

    async def keep(self, stop: asyncio.Event, worker: Worker) -> None:
        """Runs `worker` while this replica holds the lease, until `stop`: started when the
        lease is taken, told to stop when it is lost (its current pass may finish)."""
        task: asyncio.Task[None] | None = None
        worker_stop = asyncio.Event()

        async def halt(reason: str) -> None:
            nonlocal task
            if task is None:
                return
            worker_stop.set()
            logger.info("lease worker stopping", extra={"lease": self.name, "reason": reason})
            await asyncio.gather(task, return_exceptions=True)
            task = None

        try:
            while not stop.is_set():
                if await self._renew():
                    if task is None or task.done():
                        worker_stop = asyncio.Event()
                        task = asyncio.create_task(worker(worker_stop))
                        logger.info(
                            "lease taken", extra={"lease": self.name, "holder": self.holder}
                        )
                else:
                    await halt("lease lost")
                # A replica waiting for the lease tries twice as often as the holder renews it.
                wait = self.renew_s / 2
                if task is not None:
                    wait = min(self.renew_s, max(self._valid_until - time.monotonic(), 0.0))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                if task is not None and not self.held:
                    await halt("lease expired before its renewal")
        finally:
            await halt("shutting down")
            if self._valid_until:
                try:
                    await asyncio.to_thread(self.release)
                except Exception as exc:
                    logger.warning(
                        "lease not released", extra={"lease": self.name, "error": repr(exc)}
                    )


class Workers:
    """The background workers of one replica, each kept under its own lease."""

    def __init__(
        self,
        engine: Engine,
        holder: str | None = None,
        ttl_s: float = TTL_S,
        renew_s: float = RENEW_S,
    ) -> None:
        self.engine, self.holder = engine, holder or replica_id()
        self.ttl_s, self.renew_s = ttl_s, renew_s
        self.leases: dict[str, Lease] = {}
        self._tasks: list[asyncio.Task[None]] = []

    def lease(self, name: str) -> Lease:
        if name not in self.leases:
            self.leases[name] = Lease(self.engine, name, self.holder, self.ttl_s, self.renew_s)
        return self.leases[name]

    def start(self, stop: asyncio.Event, workers: dict[str, Worker]) -> None:
        for name, worker in workers.items():
            self._tasks.append(asyncio.create_task(self.lease(name).keep(stop, worker)))

    async def wait(self) -> None:
        """Once `stop` is set: the workers have finished and the leases are released."""
        await asyncio.gather(*self._tasks)

    def detail(self) -> dict[str, object]:
        """For /readyz: which replica this is and the leases it holds now."""
        return {
            "replica": self.holder,
            "leases": {name: lease.held for name, lease in sorted(self.leases.items())},
        }


def live(engine: Engine, names: list[str]) -> set[str]:
    """Which of the named leases some replica holds now (taken and not expired)."""
    if not names:
        return set()
    now_ms = int(time.time() * 1000)
    with engine.connect() as connection:
        rows = connection.execute(
            select(LEASES.c.name).where(LEASES.c.name.in_(names), LEASES.c.expires_at_ms >= now_ms)
        ).all()
    return {row.name for row in rows}


@contextlib.contextmanager
def held_during(lease: Lease) -> Iterator[None]:
    """Holds `lease` while a block runs in a worker thread (a long import), renewed by a thread
    of its own: other replicas can tell the work is alive, and that it died with its process
    once the lease has expired. Released at the end."""
    done = threading.Event()

    def renew() -> None:
        while not done.wait(lease.renew_s):
            try:
                lease.try_acquire()
            except Exception as exc:
                logger.warning("lease not renewed", extra={"lease": lease.name, "error": repr(exc)})

    lease.try_acquire()
    renewing = threading.Thread(target=renew, name=f"lease {lease.name}", daemon=True)
    renewing.start()
    try:
        yield
    finally:
        done.set()
        renewing.join()
        with contextlib.suppress(Exception):
            lease.release()
