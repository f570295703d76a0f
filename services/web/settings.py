"""Website settings, read from `WEB_*` variables."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from services.common.settings import ServiceSettings, sqlite_url


class WebSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="WEB_", extra="ignore")

    # The public API the pages are built on: the website holds no domain data of its own.
    gateway_url: str = "http://127.0.0.1:8000"
    gateway_timeout_s: float = Field(default=15.0, gt=0)
    # The API as its users reach it (the documentation link in the footer).
    api_public_url: str = "http://127.0.0.1:8000"
    # Where the website answers, as its users reach it (links, Secure cookies behind HTTPS).
    public_url: str = "http://127.0.0.1:8003"
    # Server-side sessions (the browser holds an opaque cookie only).
    session_database_url: str = Field(default_factory=lambda: sqlite_url("web"))
    # Derives the CSRF tokens and the keys that encrypt the stored API tokens.
    session_secret: str = ""
    session_days: int = Field(default=14, ge=1, le=90)
    # The State's brand block (Marianne, « République française ») is reserved by the design
    # system's licence to State services: any other operator turns it off.
    state_brand: bool = True
    operator_name: str = "Plateforme de l'inclusion"
    # Map tiles: any XYZ URL template; the list of results never depends on them loading.
    tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    tile_attribution: str = "© les contributeurs d'OpenStreetMap"

    @model_validator(mode="after")
    def _session_secret_is_real(self) -> WebSettings:
        self.refuse_placeholder("WEB_SESSION_SECRET", self.session_secret)
        return self

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    @property
    def tile_origin(self) -> str:
        """The scheme and host of the tiles, for the content security policy."""
        scheme, _, rest = self.tile_url.partition("://")
        host = rest.split("/", 1)[0]
        # A template host such as {s}.tile.example.org becomes a wildcard.
        host = host.replace("{s}.", "*.")
        return f"{scheme}://{host}" if rest else ""


@lru_cache
def get_settings() -> WebSettings:
    return WebSettings()
