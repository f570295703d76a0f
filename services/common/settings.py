"""Settings shared by every service; each service adds its own prefixed class."""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Self

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER_SECRETS = frozenset({"", "changethis", "change-me", "secret", "masterKey"})


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class ServiceSettings(BaseSettings):
    """Fields every service reads; subclasses set their own env prefix."""

    model_config = SettingsConfigDict(env_file=None, extra="ignore", populate_by_name=True)

    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        validation_alias=AliasChoices("MI_ENVIRONMENT", "ENVIRONMENT"),
    )
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("LOG_LEVEL"))
    data_dir: Path = Field(
        default=PROJECT_ROOT / "data", validation_alias=AliasChoices("MI_DATA_DIR")
    )
    # Front-end packages fetched by `make setup` (scripts/fetch_assets.sh): the docs page's files.
    assets_dir: Path = Field(
        default=PROJECT_ROOT / "build" / "assets",
        validation_alias=AliasChoices("MI_ASSETS_DIR", "assets_dir"),
    )

    def refuse_placeholder(self, name: str, value: str) -> None:
        """Outside development, a secret left at a placeholder stops the service."""
        if self.environment != Environment.DEVELOPMENT and value in PLACEHOLDER_SECRETS:
            raise ValueError(f"{name} must be set to a real secret in {self.environment.value}")


class MeiliSettingsMixin(BaseSettings):
    """Where the search engine is; shared names so one `MEILI_URL` serves every service."""

    meili_url: str = Field(
        default="http://127.0.0.1:7700", validation_alias=AliasChoices("MEILI_URL", "meili_url")
    )
    meili_master_key: str = Field(
        default="", validation_alias=AliasChoices("MEILI_MASTER_KEY", "meili_master_key")
    )
    # Restricted to searching the index; what the sourcing service uses instead of the master key.
    meili_search_key: str = Field(
        default="", validation_alias=AliasChoices("MEILI_SEARCH_KEY", "meili_search_key")
    )
    meili_index: str = Field(
        default="structures", validation_alias=AliasChoices("MEILI_INDEX", "meili_index")
    )
    meili_timeout_s: float = Field(
        default=5.0, validation_alias=AliasChoices("MEILI_TIMEOUT_S", "meili_timeout_s")
    )

    @model_validator(mode="after")
    def _meili_key_is_real(self) -> Self:
        if isinstance(self, ServiceSettings):
            if self.meili_master_key or not self.meili_search_key:
                self.refuse_placeholder("MEILI_MASTER_KEY", self.meili_master_key)
            if self.meili_search_key:
                self.refuse_placeholder("MEILI_SEARCH_KEY", self.meili_search_key)
        return self


def var_dir() -> Path:
    """Where local state lives (SQLite files, the bundled index): `MI_VAR_DIR`, else `var/`."""
    return Path(os.environ.get("MI_VAR_DIR", PROJECT_ROOT / "var"))


def sqlite_url(name: str) -> str:
    return f"sqlite:///{var_dir() / f'{name}.db'}"


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class IdentitySettingsMixin(BaseSettings):
    """The secret the gateway signs forwarded identities with, shared with the services only."""

    identity_secret: str = Field(
        default="", validation_alias=AliasChoices("MI_IDENTITY_SECRET", "identity_secret")
    )

    @model_validator(mode="after")
    def _identity_secret_is_real(self) -> Self:
        if isinstance(self, ServiceSettings):
            self.refuse_placeholder("MI_IDENTITY_SECRET", self.identity_secret)
        return self


class MailSettingsMixin(BaseSettings):
    """How a service sends mail; read under the service's own prefix (`CATALOG_MAIL_BACKEND`...)."""

    mail_backend: str = Field(default="file", pattern="^(file|smtp)$")
    mail_dir: Path = Field(default_factory=lambda: var_dir() / "mail")
    mail_from: str = "Marché inclusif <ne-pas-repondre@marche-inclusif.example>"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
