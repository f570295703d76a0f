"""Gateway settings, read from `GATEWAY_*` variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import (
    PROJECT_ROOT,
    IdentitySettingsMixin,
    MailSettingsMixin,
    ServiceSettings,
    sqlite_url,
)


class GatewaySettings(IdentitySettingsMixin, MailSettingsMixin, ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")

    database_url: str = Field(default_factory=lambda: sqlite_url("gateway"))
    catalog_url: str = "http://127.0.0.1:8001"
    sourcing_url: str = "http://127.0.0.1:8002"
    upstream_timeout_s: float = Field(default=10.0, gt=0)
    upstream_connect_timeout_s: float = Field(default=1.0, gt=0)
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "redis_url")
    )
    # Public searches answered from Redis while the index is unchanged (needs REDIS_URL).
    search_cache: bool = True
    # The index whose generation the catalog publishes (the catalog's MEILI_INDEX).
    search_index: str = Field(
        default="structures", validation_alias=AliasChoices("MEILI_INDEX", "search_index")
    )
    # An entry's lifetime: what it could cost if the catalog ever stopped publishing.
    search_cache_ttl_s: int = Field(default=300, ge=1)
    # Anonymous callers, per IP address.
    anonymous_per_minute: int = Field(default=60, ge=1)
    anonymous_per_day: int = Field(default=5_000, ge=1)
    # Proxies whose X-Forwarded-For names the real client (the website, a load balancer):
    # anonymous quotas then count per browser, not per proxy. Empty: the peer address counts.
    trusted_proxies: list[str] = Field(default_factory=list)
    # Callers who identify themselves (per API key, or per account for sessions).
    identified_per_minute: int = Field(default=600, ge=1)
    identified_per_day: int = Field(default=100_000, ge=1)
    # Images (`/api/v1/media/…`) have a budget of their own: one results page shows twenty logos.
    media_per_minute: int = Field(default=1_200, ge=1)
    media_per_day: int = Field(default=100_000, ge=1)
    failed_logins_per_15_min: int = Field(default=5, ge=1)
    # Signs the access tokens of sessions; known to the gateway alone.
    session_secret: str = ""
    public_url: str = "http://127.0.0.1:8000"
    # The website, as its users reach it: when set, the e-mails' links open its pages
    # (confirmation, new password, log-in) rather than the API's operations.
    web_url: str = ""
    # The front-end packages (see ServiceSettings), also settable under the gateway's prefix.
    assets_dir: Path = Field(
        default=PROJECT_ROOT / "build" / "assets",
        validation_alias=AliasChoices("GATEWAY_ASSETS_DIR", "MI_ASSETS_DIR", "assets_dir"),
    )
    # Browser origins allowed to call the API (e.g. a buyer's intranet); none by default.
    cors_origins: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _session_secret_is_real(self) -> GatewaySettings:
        self.refuse_placeholder("GATEWAY_SESSION_SECRET", self.session_secret)
        # Access tokens and forwarded identities share a format: one secret for both would let
        # a client's access token pass, to a service, for an identity signed by the gateway.
        if self.session_secret and self.session_secret == self.identity_secret:
            raise ValueError("GATEWAY_SESSION_SECRET must differ from MI_IDENTITY_SECRET")
        return self


@lru_cache
def get_settings() -> GatewaySettings:
    return GatewaySettings()
