"""Accounts, their sessions (refresh tokens), one-time e-mail tokens, and API keys."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, ForeignKey, String
from sqlmodel import Field

from services.common.db import text_enum, utcnow
from services.common.identity import Role
from services.gateway.tables import GatewayTable


class EmailPurpose(StrEnum):
    VERIFY = "verify"
    RESET = "reset"


def account_reference() -> str:
    return Field(  # type: ignore[no-any-return]
        sa_column=Column(
            String(36), ForeignKey("account.id", ondelete="CASCADE"), nullable=False, index=True
        )
    )


class Account(GatewayTable, table=True):
    id: str = Field(primary_key=True, max_length=36)
    email: str = Field(max_length=254, unique=True)
    password_hash: str = Field(max_length=255)
    role: Role = Field(sa_type=text_enum(Role, 24))
    email_verified_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class RefreshToken(GatewayTable, table=True):
    __tablename__ = "refresh_token"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = account_reference()
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime
    revoked_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class EmailToken(GatewayTable, table=True):
    __tablename__ = "email_token"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = account_reference()
    purpose: EmailPurpose = Field(sa_type=text_enum(EmailPurpose, 16))
    token_hash: str = Field(max_length=64, unique=True)
    expires_at: datetime
    used_at: datetime | None = None


class ApiKey(GatewayTable, table=True):
    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    account_id: str = account_reference()
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, unique=True)  # shown in listings, finds the key
    key_hash: str = Field(max_length=64)
    scopes: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
