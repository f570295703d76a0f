"""Sourcing settings, read from `SOURCING_*` variables (and the shared `MEILI_*`, `MI_*`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import (
    Environment,
    IdentitySettingsMixin,
    MailSettingsMixin,
    MeiliSettingsMixin,
    ServiceSettings,
    sqlite_url,
    var_dir,
)


class SourcingSettings(
    IdentitySettingsMixin, MailSettingsMixin, MeiliSettingsMixin, ServiceSettings
):
    model_config = SettingsConfigDict(env_prefix="SOURCING_", extra="ignore")

    database_url: str = Field(default_factory=lambda: sqlite_url("sourcing"))
    catalog_url: str = "http://127.0.0.1:8001"
    # Where the links in e-mails point: the public gateway.
    public_url: str = "http://127.0.0.1:8000"
    moderation: bool = False
    notify_batch_size: int = Field(default=50, ge=1, le=10_000)
    answer_link_ttl_days: int = Field(default=30, ge=1, le=365)
    reminder_after_hours: float = Field(default=72, gt=0)
    reminder_cap: int = Field(default=2, ge=0, le=10)
    rematch_interval_s: float = Field(default=60, gt=0)
    background_enabled: bool = True
    # The website buyers use (structure pages, saved searches, unsubscribing); the public
    # gateway's address when not given.
    web_url: str = ""
    # Saved searches' digests: how often the loop looks for due ones, and when each is due.
    digest_interval_s: float = Field(default=300, gt=0)
    digest_daily_after_s: float = Field(default=86_400, gt=0)
    digest_weekly_after_s: float = Field(default=7 * 86_400, gt=0)
    # Buyers' spend files, named by their SHA-256; no web root serves this folder.
    spend_dir: Path = Field(default_factory=lambda: var_dir() / "spend")
    spend_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    # How long a request starting an import waits for it before answering 202 (running).
    # Below the gateway's upstream timeout (10 s): a longer import answers 202, never a 504.
    spend_import_wait_s: float = Field(default=8, ge=0)
    # Shared by the replicas (the identities' replay guard); none: one process, in memory.
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("SOURCING_REDIS_URL", "REDIS_URL", "redis_url")
    )

    @property
    def website(self) -> str:
        return (self.web_url or self.public_url).rstrip("/")

    @model_validator(mode="after")
    def _no_master_key_in_production(self) -> SourcingSettings:
        # Sourcing only searches: in production it gets the search-only key, never the master.
        if self.environment == Environment.PRODUCTION and self.meili_master_key:
            raise ValueError(
                "MEILI_MASTER_KEY must not be given to sourcing in production: "
                "give it MEILI_SEARCH_KEY (python -m services.catalog.cli search-key)"
            )
        return self


@lru_cache
def get_settings() -> SourcingSettings:
    return SourcingSettings()
