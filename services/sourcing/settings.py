"""Sourcing settings, read from `SOURCING_*` variables (and the shared `MEILI_*`)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import MeiliSettingsMixin, ServiceSettings, sqlite_url


class SourcingSettings(MeiliSettingsMixin, ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SOURCING_", extra="ignore")

    database_url: str = Field(default_factory=lambda: sqlite_url("sourcing"))


@lru_cache
def get_settings() -> SourcingSettings:
    return SourcingSettings()
