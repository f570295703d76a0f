"""What sourcing assumes of the structures index the catalog maintains."""

from __future__ import annotations

from services.catalog.indexing.settings import MAX_TOTAL_HITS

MAX_RESULT_WINDOW = MAX_TOTAL_HITS
