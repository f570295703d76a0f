"""Search engine failures, as the buyer should read them: never a 500."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from meilisearch_python_sdk.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchTimeoutError,
)

from services.common.errors import UpstreamTimeout, UpstreamUnavailable

logger = logging.getLogger(__name__)


@contextmanager
def engine_errors() -> Iterator[None]:
    try:
        yield
    except MeilisearchTimeoutError as exc:
        raise UpstreamTimeout("Le moteur de recherche n'a pas répondu à temps.") from exc
    except MeilisearchCommunicationError as exc:
        raise UpstreamUnavailable("Le moteur de recherche est momentanément indisponible.") from exc
    except MeilisearchApiError as exc:
        # The index refuses the query: it is missing or being rebuilt with other settings.
        logger.error(
            "search engine refused a query", extra={"status": exc.status_code, "code": exc.code}
        )
        raise UpstreamUnavailable(
            "L'index de recherche est en cours de mise à jour ; réessayez dans un instant."
        ) from exc
