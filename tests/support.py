"""Helpers the tests share: real Meilisearch and PostgreSQL, migrations, the real data."""

from __future__ import annotations

import asyncio
import csv
import os
import secrets
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine
from sqlmodel import Session

T = TypeVar("T")
ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
MEILI_BINARY = ROOT / "bin" / "meilisearch"
DATABASES = ("catalog", "sourcing", "gateway")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def alembic_config(database: str, url: str) -> Config:
    config = Config(str(ROOT / "migrations" / "alembic.ini"), ini_section=database)
    config.attributes["database_url"] = url
    return config


def migrate(url: str, database: str = "catalog", revision: str = "head") -> None:
    command.upgrade(alembic_config(database, url), revision)


def downgrade(url: str, database: str = "catalog", revision: str = "base") -> None:
    command.downgrade(alembic_config(database, url), revision)


def wait_until(condition: object, timeout_s: float = 30.0, interval_s: float = 0.1) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval_s)
    raise TimeoutError(f"condition not met within {timeout_s}s")


@dataclass(frozen=True)
class Meili:
    url: str
    key: str
    process: subprocess.Popen[bytes] | None


@contextmanager
def running_meilisearch(tmp: Path) -> Iterator[Meili]:
    """A real Meilisearch: the one at MEILI_URL if set, else the bundled binary on a free port."""
    if url := os.environ.get("MEILI_URL"):
        yield Meili(url, os.environ.get("MEILI_MASTER_KEY", ""), None)
        return
    if not MEILI_BINARY.exists():
        raise RuntimeError("bin/meilisearch is missing: run `make setup` (or set MEILI_URL)")
    port, key = free_port(), secrets.token_hex(24)  # a key starting with "-" reads as a flag
    log = (tmp / "meilisearch.log").open("wb")
    process = subprocess.Popen(
        [
            str(MEILI_BINARY),
            "--db-path",
            str(tmp / "meili"),
            "--http-addr",
            f"127.0.0.1:{port}",
            "--master-key",
            key,
            "--no-analytics",
            "--env",
            "development",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        try:
            return httpx.get(url + "/health", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(healthy, timeout_s=30)
        yield Meili(url, key, process)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def csv_rows(relative: str) -> list[dict[str, str]]:
    with (DATA / relative).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def luhn(digits: str) -> bool:
    """Independent of the product's checker, on purpose."""
    total = 0
    for index, char in enumerate(digits[::-1]):
        value = int(char) * (2 if index % 2 else 1)
        total += value // 10 + value % 10
    return total % 10 == 0


def valid_siret(siret: str) -> bool:
    return len(siret) == 14 and siret.isdigit() and (luhn(siret) or siret.startswith("356000000"))


def kinds_expected() -> Counter[str]:
    """Structures per kind the import must keep: the CSV rows less those with a bad SIRET."""
    counts = Counter(
        row["kind"]
        for row in csv_rows("structures/siae_marche_fixture.csv")
        if valid_siret(row["siret"])
    )
    counts["ESAT"] += len(csv_rows("structures/esat_finess.csv"))
    return counts


class ServiceProcess:
    """One of our services run for real by uvicorn, on a free loopback port."""

    def __init__(
        self, name: str, env: dict[str, str], log_dir: Path, port: int | None = None
    ) -> None:
        self.name = name
        self.env = env
        self.port = port or free_port()
        self.log = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServiceProcess:
        factory = f"services.{self.name}.app:create_app"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "uvicorn",
                    "--factory",
                    factory,
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--no-access-log",
                ],
                cwd=ROOT,
                env={**os.environ, **self.env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def up() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-2000:]}")
            try:
                return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(up, timeout_s=30)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)


class MeiliProcess:
    """A Meilisearch of the test's own, which the test stops and restarts on the same data."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.key = secrets.token_hex(24)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MeiliProcess:
        with (self.folder / "meilisearch.log").open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(MEILI_BINARY),
                    f"--db-path={self.folder / 'meili'}",
                    f"--http-addr=127.0.0.1:{self.port}",
                    f"--master-key={self.key}",
                    "--no-analytics",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )

        def healthy() -> bool:
            try:
                return httpx.get(self.url + "/health", timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(healthy, timeout_s=30)
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)


def load_catalog(url: str, sources: tuple[str, ...] = ("siae", "esat")) -> Engine:
    """A migrated catalog database holding the reference data and the named public files."""
    from services.catalog.imports.service import import_source
    from services.catalog.imports.sources import SOURCES
    from services.catalog.reference.loader import load_reference_data
    from services.common.db import make_engine

    migrate(url, "catalog")
    engine = make_engine(url)
    with Session(engine) as session:
        load_reference_data(session, DATA)
        for name in sources:
            import_source(session, SOURCES[name], DATA)
        session.commit()
    return engine


IDENTITY_SECRET = "test-identity-secret-0123456789"


def search_only_key(meili_url: str, master_key: str, index: str) -> str:
    """The index's search-only key, made as the catalog makes it; an engine without a master
    key (or one that cannot be reached) leaves the key to the caller's value."""

    from services.common.search_engine import ensure_search_key, search_key_value
    from services.common.settings import MeiliSettingsMixin

    if not master_key:
        return master_key
    settings = MeiliSettingsMixin(
        meili_url=meili_url, meili_master_key=master_key, meili_index=index, meili_timeout_s=2
    )
    try:
        run_async(ensure_search_key(settings))
    except httpx.ConnectError:
        return master_key
    return search_key_value(master_key, index)


def sourcing_settings(
    meili_url: str, meili_key: str, index: str, folder: Path, **overrides: object
) -> object:
    """Settings of a sourcing service on a migrated database of its own, in `folder`."""
    from services.sourcing.settings import SourcingSettings

    url = f"sqlite:///{folder / 'sourcing.db'}"
    migrate(url, "sourcing")
    values: dict[str, object] = {
        "database_url": url,
        "meili_url": meili_url,
        # Searching with the key the product gives sourcing: restricted to searching `index`.
        "meili_search_key": search_only_key(meili_url, meili_key, index),
        "meili_index": index,
        "identity_secret": IDENTITY_SECRET,
        "background_enabled": False,
        "mail_dir": folder / "mail",
        "spend_dir": folder / "spend",
        "environment": "test",
        **overrides,
    }
    return SourcingSettings(**values)  # type: ignore[arg-type]


SESSION_SECRET = "test-session-secret-0123456789"


def gateway_settings(folder: Path, **overrides: object) -> object:
    """Settings of a gateway on a migrated database of its own, in `folder`."""
    from services.gateway.settings import GatewaySettings

    url = f"sqlite:///{folder / 'gateway.db'}"
    migrate(url, "gateway")
    values: dict[str, object] = {
        "database_url": url,
        "identity_secret": IDENTITY_SECRET,
        "session_secret": SESSION_SECRET,
        "mail_dir": folder / "mail",
        "environment": "test",
        **overrides,
    }
    return GatewaySettings(**values)  # type: ignore[arg-type]


def pending_events(engine: Engine) -> int:
    """Outbox events not yet relayed to the index."""
    from sqlmodel import col, func, select

    from services.catalog.outbox.models import OutboxEvent

    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(OutboxEvent)
            .where(col(OutboxEvent.processed_at).is_(None))
        ).one()


def copy_sqlite(engine: Engine, target: Path) -> str:
    """An online copy of a SQLite database (the original is left untouched), as a URL."""
    import sqlite3

    source = sqlite3.connect(str(engine.url.database))
    with sqlite3.connect(str(target)) as copy:
        source.backup(copy)
    source.close()
    return f"sqlite:///{target}"


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run`, in a thread of its own when this one already runs an event loop (the
    browser tests' driver keeps one running while the browser is open)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with ThreadPoolExecutor(1) as apart:
        return apart.submit(asyncio.run, coroutine).result()
