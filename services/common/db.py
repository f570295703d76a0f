"""Database engines and the per-request session that commits once, on success."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, overload

from sqlalchemy import Enum, MetaData, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import registry
from sqlmodel import Session, SQLModel, create_engine

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
# The mail table, common to every database, is declared on SQLModel's own metadata.
SQLModel.metadata.naming_convention = NAMING_CONVENTION


def database_registry() -> registry:
    """The mapper registry of one database's tables: its own metadata, with the shared names."""
    return registry(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def text_enum(enum: type[StrEnum], length: int) -> Enum:
    """An enum stored as plain text (no database enum type), read back as the Python enum."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


@overload
def as_utc(moment: datetime) -> datetime: ...
@overload
def as_utc(moment: None) -> None: ...
def as_utc(moment: datetime | None) -> datetime | None:
    """A date-time without zone is in UTC: SQLite gives back naive ones, and the services store
    and read every date-time in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """SQLite files by default; PostgreSQL when the URL says so (psycopg 3 driver)."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


class SessionRepository:
    """What every repository does with its request's session: rows added or deleted are flushed
    at once (ids known, unique constraints checked now); the commit is the caller's."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def save(self, *rows: SQLModel) -> None:
        self.session.add_all(rows)
        self.session.flush()

    def delete(self, row: SQLModel) -> None:
        self.session.delete(row)
        self.session.flush()


def session_scope(engine: Engine) -> Iterator[Session]:
    """One commit point per request: commit on success, roll back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
