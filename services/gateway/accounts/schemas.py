"""What the account and key endpoints read and write."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from services.common.identity import Role
from services.gateway.accounts.models import Account, ApiKey
from services.gateway.accounts.service import Tokens

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH = 12, 256
Email = Field(pattern=EMAIL_PATTERN, max_length=254)
Password = Field(
    min_length=PASSWORD_MIN_LENGTH,
    max_length=PASSWORD_MAX_LENGTH,
    description=f"{PASSWORD_MIN_LENGTH} caractères au moins",
)


class SelfServiceRole(StrEnum):
    """The roles anyone may register with; staff accounts are made by an operator."""

    PUBLIC_BUYER = Role.PUBLIC_BUYER.value
    PRIVATE_BUYER = Role.PRIVATE_BUYER.value
    SUPPLIER_MANAGER = Role.SUPPLIER_MANAGER.value


class Registration(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "email": "achats@ville.fr",
                    "password": "un-long-mot-de-passe",
                    "role": "public_buyer",
                }
            ]
        },
    )

    email: str = Email
    password: str = Password
    role: SelfServiceRole


class RegistrationAccepted(BaseModel):
    """The same answer whether the address was new or already had an account."""

    email: str
    role: SelfServiceRole
    detail: str

    @classmethod
    def of(cls, email: str, role: SelfServiceRole) -> RegistrationAccepted:
        return cls(
            email=email.strip().lower(),
            role=role,
            detail="Un e-mail vient de partir à cette adresse : suivez son lien pour continuer.",
        )


class ResetLinkChecked(BaseModel):
    detail: str
    next: str = Field(description="L'opération qui choisit le nouveau mot de passe")


class Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Email
    password: str = Field(min_length=1, max_length=256)


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=200)


class RefreshBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=10, max_length=200)


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Email


class ResetConfirm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=10, max_length=200)
    password: str = Password


class AccountPublic(BaseModel):
    id: str
    email: str
    role: Role
    email_verified: bool

    @classmethod
    def of(cls, account: Account) -> AccountPublic:
        return cls(
            id=account.id,
            email=account.email,
            role=account.role,
            email_verified=account.email_verified_at is not None,
        )


class TokensPublic(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "Bearer"  # noqa: S105 (a scheme name, not a secret)
    expires_in: int

    @classmethod
    def of(cls, tokens: Tokens) -> TokensPublic:
        return cls.model_validate(tokens, from_attributes=True)


class KeyCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Outil achats",
                    "scopes": ["search:read", "needs:write"],
                    "expires_in_days": 365,
                }
            ]
        },
    )

    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1, max_length=10)
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)


class KeyPublic(BaseModel):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, record: ApiKey) -> KeyPublic:
        return cls.model_validate(record.model_dump())


class KeyCreated(KeyPublic):
    key: str = Field(description="La clé, affichée cette seule fois : conservez-la")

    @classmethod
    def issued(cls, record: ApiKey, key: str) -> KeyCreated:
        return cls(**KeyPublic.of(record).model_dump(), key=key)
