"""Catalog settings, read from `CATALOG_*` variables (and the shared `MEILI_*`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import (
    IdentitySettingsMixin,
    MailSettingsMixin,
    MeiliSettingsMixin,
    ServiceSettings,
    sqlite_url,
    var_dir,
)


class CatalogSettings(
    IdentitySettingsMixin, MailSettingsMixin, MeiliSettingsMixin, ServiceSettings
):
    model_config = SettingsConfigDict(env_prefix="CATALOG_", extra="ignore")

    database_url: str = Field(default_factory=lambda: sqlite_url("catalog"))
    relay_enabled: bool = True
    relay_interval_s: float = 0.2
    relay_batch_size: int = Field(default=1000, ge=1, le=10_000)
    rebuild_batch_size: int = Field(default=2000, ge=1)
    relay_max_backoff_s: float = 10.0
    mail_relay_enabled: bool = True
    # Where the links in e-mails point: the public gateway.
    public_url: str = "http://127.0.0.1:8000"
    # Where the links meant for a person (invitations) open: the website; empty, the public URL.
    web_url: str = ""
    # Claim proofs (identity documents): outside the web root, read through the API only.
    proof_dir: Path = Field(default_factory=lambda: var_dir() / "proofs")
    # Structures' logos and photos, re-encoded: outside any web root, served through the API.
    media_dir: Path = Field(default_factory=lambda: var_dir() / "media")
    # Shared by the replicas (the identities' replay guard), and where each change the search
    # engine applied moves the index generation forward, which the gateways' shared search cache
    # reads (services/common/index_generation.py); none: one process, in memory, no generation.
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("CATALOG_REDIS_URL", "REDIS_URL", "redis_url")
    )


@lru_cache
def get_settings() -> CatalogSettings:
    return CatalogSettings()
