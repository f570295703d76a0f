"""The search engine client, made once per process from the shared `MEILI_*` settings."""

from __future__ import annotations

from meilisearch_python_sdk import AsyncClient

from services.common.settings import MeiliSettingsMixin


def search_engine_client(settings: MeiliSettingsMixin) -> AsyncClient:
    return AsyncClient(
        settings.meili_url,
        settings.meili_master_key or None,
        timeout=max(1, round(settings.meili_timeout_s)),
    )
