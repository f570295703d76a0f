"""The search engine client, made once per process from the shared `MEILI_*` settings.

Only the catalog holds the master key. The sourcing service searches with a key restricted to
the `search` action on its index: Meilisearch derives a key's value from its `uid` and the
master key, so a fixed `uid` per index gives a key that is the same across restarts, which the
catalog creates (bootstrap, relay setup) and the launcher computes for the sourcing service.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchTimeoutError,
)

from services.common.errors import UpstreamTimeout, UpstreamUnavailable
from services.common.settings import MeiliSettingsMixin

logger = logging.getLogger(__name__)
# Answers come over loopback or a private network: compressing them costs the engine and the
# service CPU on every search and saves nothing worth it.
_UNCOMPRESSED = {"Accept-Encoding": "identity"}
SEARCH_KEY_NAMESPACE = uuid.UUID("8a3e1d52-5c4b-4f0e-9a57-3f0a4c6f2b11")


def _client(settings: MeiliSettingsMixin, key: str) -> AsyncClient:
    return AsyncClient(
        settings.meili_url,
        key or None,
        timeout=max(1, round(settings.meili_timeout_s)),
        custom_headers=_UNCOMPRESSED,
    )


@contextmanager
def engine_errors() -> Iterator[None]:
    """Search engine failures, as a client should read them: a 503 or 504 problem, never a 500."""
    try:
        yield
    except MeilisearchTimeoutError as exc:
        raise UpstreamTimeout("Le moteur de recherche n'a pas répondu à temps.") from exc
    except MeilisearchCommunicationError as exc:
        raise UpstreamUnavailable("Le moteur de recherche est momentanément indisponible.") from exc
    except MeilisearchApiError as exc:
        # The index refuses the call: it is missing or being rebuilt with other settings.
        logger.error(
            "search engine refused a query", extra={"status": exc.status_code, "code": exc.code}
        )
        raise UpstreamUnavailable(
            "L'index de recherche est en cours de mise à jour ; réessayez dans un instant."
        ) from exc


def search_engine_client(settings: MeiliSettingsMixin) -> AsyncClient:
    return _client(settings, settings.meili_master_key)


def search_only_client(settings: MeiliSettingsMixin) -> AsyncClient:
    """The sourcing service's client: the search key; the master key only as a development
    fallback when no `MEILI_SEARCH_KEY` is set."""
    return _client(settings, settings.meili_search_key or settings.meili_master_key)


def search_key_uid(index: str) -> str:
    return str(uuid.uuid5(SEARCH_KEY_NAMESPACE, f"search:{index}"))


def search_key_value(master_key: str, index: str) -> str:
    """The value Meilisearch gives the search key of `index`: HMAC-SHA256(master key, uid)."""
    mac = hmac.new(master_key.encode(), search_key_uid(index).encode(), hashlib.sha256)
    return mac.hexdigest()


async def ensure_search_key(settings: MeiliSettingsMixin) -> None:
    """Creates the search-only key of the index with the master key, unless it exists."""
    index, uid = settings.meili_index, search_key_uid(settings.meili_index)
    async with httpx.AsyncClient(
        base_url=settings.meili_url,
        headers={"Authorization": f"Bearer {settings.meili_master_key}"},
        timeout=settings.meili_timeout_s,
    ) as http:
        found = await http.get(f"/keys/{uid}")
        if found.status_code == 200 and found.json().get("indexes") == [index]:
            return
        if found.status_code == 200:  # made for another index: the same uid is made anew
            (await http.delete(f"/keys/{uid}")).raise_for_status()
        elif found.status_code != 404:
            found.raise_for_status()
        created = await http.post(
            "/keys",
            json={
                "uid": uid,
                "name": f"recherche {index}",
                "description": "Recherche seule, pour le service sourcing",
                "actions": ["search"],
                "indexes": [index],
                "expiresAt": None,
            },
        )
        if created.status_code != 409:  # 409: made meanwhile by another process
            created.raise_for_status()


async def provide_search_key(settings: MeiliSettingsMixin) -> None:
    """At the catalog's start: the search key, if the engine can be reached (else logged; the
    bootstrap command makes it too)."""
    if not settings.meili_master_key:
        return  # an engine without a master key has no keys at all
    try:
        await ensure_search_key(settings)
    except httpx.HTTPError as exc:
        logger.warning("search key not provided: %s", type(exc).__name__)
