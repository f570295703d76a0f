"""Gateway settings, read from `GATEWAY_*` variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings, sqlite_url


class GatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    database_url: str = Field(default_factory=lambda: sqlite_url("gateway"))
    catalog_url: str = "http://127.0.0.1:8001"
    sourcing_url: str = "http://127.0.0.1:8002"
    upstream_timeout_s: float = Field(default=10.0, gt=0)
    upstream_connect_timeout_s: float = Field(default=1.0, gt=0)
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "redis_url")
    )
    # Anonymous callers, per IP address.
    anonymous_per_minute: int = Field(default=60, ge=1)
    anonymous_per_day: int = Field(default=5_000, ge=1)


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
