"""Server-side sessions: the browser holds an opaque, random identifier; the website keeps,
under the identifier's hash, the API tokens it logged in with, encrypted with a key derived
from the identifier itself — a copy of the session table alone opens nothing.

The same database holds what the website's replicas must agree on beyond the sessions: the
renewals of API tokens under way or just made (the API rotates refresh tokens, so two replicas
renewing the same one would log the visitor out) and the one-use marks of forms."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
from anyio import to_thread
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Column, DateTime, MetaData, String, Table, Text, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, ProgrammingError

from services.common.db import as_utc, make_engine

metadata = MetaData()
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("payload", Text, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)
# A renewal of API tokens, under the hash of the refresh token it used: empty while under way,
# then the new tokens encrypted with a key derived from that refresh token. Kept two minutes.
token_renewals = Table(
    "web_token_renewals",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("payload", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False, index=True),
)
# The one-use marks of forms already sent (a key's creation): kept a day.
used_forms = Table(
    "web_used_forms",
    metadata,
    Column("mark_hash", String(64), primary_key=True),
    Column("used_at", DateTime(timezone=True), nullable=False, index=True),
)
RENEWALS_KEPT = timedelta(minutes=2)
RENEWAL_WAIT_S = 10.0
USED_FORMS_KEPT = timedelta(days=1)


def create_tables(engine: Engine) -> None:
    """The session table, if missing: run once per deployment before the replicas start (see
    `python -m services.web.sessions`), then a no-op at each replica's start. Replicas starting
    together on a new database race to create them: the loser finds them made and goes on."""
    try:
        metadata.create_all(engine)
    except (IntegrityError, ProgrammingError):
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

    def _insert(self, table: Table) -> Any:
        """An INSERT with the dialect's ON CONFLICT clauses (SQLite and PostgreSQL alike)."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

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
        if as_utc(row.expires_at) < datetime.now(UTC):
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
        # One statement: two requests of a browser saving at once, on two replicas, both succeed.
        insert = self._insert(web_sessions).values(**values)
        with self.engine.begin() as connection:
            connection.execute(
                insert.on_conflict_do_update(
                    index_elements=["id_hash"],
                    set_={
                        "payload": insert.excluded.payload,
                        "expires_at": insert.excluded.expires_at,
                    },
                )
            )
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

    def _first_use(self, mark: str) -> bool:
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            connection.execute(
                delete(used_forms).where(used_forms.c.used_at < now - USED_FORMS_KEPT)
            )
            kept = connection.execute(
                self._insert(used_forms)
                .values(mark_hash=_id_hash(mark), used_at=now)
                .on_conflict_do_nothing(index_elements=["mark_hash"])
                .returning(used_forms.c.mark_hash)
            ).first()
        return kept is not None

    async def first_use(self, mark: str) -> bool:
        """Whether a form's one-use mark is sent for the first time, through any replica."""
        return await to_thread.run_sync(self._first_use, mark)

    def _renewal_cipher(self, refresh_token: str) -> Fernet:
        key = hmac.new(self.secret, b"renewal-key:" + refresh_token.encode(), "sha256").digest()
        return Fernet(base64.urlsafe_b64encode(key))

    def _claim_renewal(self, refresh_token: str) -> bool:
        now = datetime.now(UTC)
        with self.engine.begin() as connection:
            connection.execute(
                delete(token_renewals).where(token_renewals.c.created_at < now - RENEWALS_KEPT)
            )
            claimed = connection.execute(
                self._insert(token_renewals)
                .values(token_hash=_id_hash(refresh_token), payload=None, created_at=now)
                .on_conflict_do_nothing(index_elements=["token_hash"])
                .returning(token_renewals.c.token_hash)
            ).first()
        return claimed is not None

    def _renewal_done(self, refresh_token: str, tokens: dict[str, object] | None) -> None:
        row = token_renewals.c.token_hash == _id_hash(refresh_token)
        with self.engine.begin() as connection:
            if tokens is None:  # failed: another request may try again
                connection.execute(delete(token_renewals).where(row))
                return
            payload = self._renewal_cipher(refresh_token).encrypt(json.dumps(tokens).encode())
            connection.execute(update(token_renewals).where(row).values(payload=payload.decode()))

    def _renewed(self, refresh_token: str) -> tuple[bool, dict[str, object] | None]:
        """(whether the renewal is still known, its tokens once made)."""
        with self.engine.connect() as connection:
            row = connection.execute(
                select(token_renewals.c.payload).where(
                    token_renewals.c.token_hash == _id_hash(refresh_token)
                )
            ).first()
        if row is None:
            return False, None
        if row.payload is None:
            return True, None
        try:
            tokens = json.loads(self._renewal_cipher(refresh_token).decrypt(row.payload.encode()))
        except InvalidToken:
            return False, None
        return True, dict(tokens)

    async def renewal(
        self, refresh_token: str, renew: Callable[[], Awaitable[dict[str, object]]]
    ) -> dict[str, object] | None:
        """The tokens renewed from `refresh_token`, renewed once whichever replica asks: the
        first asks the API (`renew`), the others wait for its result. None when the renewal
        under way elsewhere failed (the caller logs the visitor in again)."""
        if await to_thread.run_sync(self._claim_renewal, refresh_token):
            try:
                made = await renew()
            except Exception:
                await to_thread.run_sync(self._renewal_done, refresh_token, None)
                raise
            await to_thread.run_sync(self._renewal_done, refresh_token, made)
            return made
        with anyio.move_on_after(RENEWAL_WAIT_S):
            while True:
                found: tuple[bool, dict[str, object] | None]
                found = await to_thread.run_sync(self._renewed, refresh_token)
                known, tokens = found
                if not known or tokens is not None:
                    return tokens
                await anyio.sleep(0.05)
        return None

    def close(self) -> None:
        self.engine.dispose()


if __name__ == "__main__":
    from services.web.settings import get_settings

    _engine = make_engine(get_settings().session_database_url)
    create_tables(_engine)
    _engine.dispose()
    print("table des sessions du site : prête")
