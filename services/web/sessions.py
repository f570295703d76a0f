"""Server-side sessions: the browser holds an opaque, random identifier; the website keeps,
under the identifier's hash, the API tokens it logged in with, encrypted with a key derived
from the identifier itself — a copy of the session table alone opens nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta

from anyio import to_thread
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, delete, select
from sqlalchemy.engine import Engine

from services.common.db import make_engine

metadata = MetaData()
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)


def create_tables(engine: Engine) -> None:
    """The session table, if missing: run once per deployment before the replicas start (see
    `python -m services.web.sessions`), then a no-op at each replica's start."""
    metadata.create_all(engine)


@dataclass
class SignedIn:
    """Who is logged in on a browser, and the tokens the website calls the API with."""

    email: str
    role: str
    access_token: str
    refresh_token: str
    access_expires_at: float


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def _id_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


class SessionStore:
    def __init__(self, database_url: str, secret: str, lifetime: timedelta) -> None:
        self.engine: Engine = make_engine(database_url)
        self.secret = secret.encode()
        self.lifetime = lifetime
        create_tables(self.engine)

    def _cipher(self, session_id: str) -> Fernet:
        key = hmac.new(self.secret, b"session-key:" + session_id.encode(), "sha256").digest()
        return Fernet(base64.urlsafe_b64encode(key))

    def csrf_token(self, session_id: str) -> str:
        return hmac.new(self.secret, b"csrf:" + session_id.encode(), "sha256").hexdigest()

    def csrf_valid(self, session_id: str, token: str) -> bool:
        return hmac.compare_digest(self.csrf_token(session_id), token)

    def _load(self, session_id: str) -> SignedIn | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                select(web_sessions.c.payload, web_sessions.c.expires_at).where(
                    web_sessions.c.id_hash == _id_hash(session_id)
                )
            ).first()
        if row is None:
            return None
        expires_at = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=UTC)
        if expires_at < datetime.now(UTC):
            return None
        try:
            payload = self._cipher(session_id).decrypt(row.payload.encode())
        except InvalidToken:
            return None
        return SignedIn(**json.loads(payload))

    def _save(self, session_id: str, signed_in: SignedIn) -> None:
        payload = self._cipher(session_id).encrypt(json.dumps(asdict(signed_in)).encode())
        values = {
            "id_hash": _id_hash(session_id),
            "payload": payload.decode(),
            "expires_at": datetime.now(UTC) + self.lifetime,
        }
        with self.engine.begin() as connection:
            connection.execute(
                delete(web_sessions).where(web_sessions.c.id_hash == values["id_hash"])
            )
            connection.execute(web_sessions.insert().values(**values))
            connection.execute(
                delete(web_sessions).where(web_sessions.c.expires_at < datetime.now(UTC))
            )

    def _drop(self, session_id: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(web_sessions).where(web_sessions.c.id_hash == _id_hash(session_id))
            )

    async def load(self, session_id: str) -> SignedIn | None:
        return await to_thread.run_sync(self._load, session_id)

    async def save(self, session_id: str, signed_in: SignedIn) -> None:
        await to_thread.run_sync(self._save, session_id, signed_in)

    async def drop(self, session_id: str) -> None:
        await to_thread.run_sync(self._drop, session_id)

    def close(self) -> None:
        self.engine.dispose()


if __name__ == "__main__":
    from services.web.settings import get_settings

    _engine = make_engine(get_settings().session_database_url)
    create_tables(_engine)
    _engine.dispose()
    print("table des sessions du site : prête")
