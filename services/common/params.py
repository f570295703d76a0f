"""Path and header parameters every service declares the same way."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Header, Path

from services.common.errors import PreconditionFailed, PreconditionRequired

# Row ids: positive and within a 32-bit integer column, so a huge id is a 422, not a 500.
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
# The ETag a client read ("vN"), sent back on writes; a missing one is answered 428.
IfMatch = Annotated[str | None, Header(description='ETag lu auparavant ("vN")')]

_ETAG = re.compile(r'^(?:W/)?"v(\d+)"$')


def etag(version: int) -> str:
    return f'"v{version}"'


def expected_version(if_match: str | None) -> int:
    """The version a write names in If-Match: 428 without one, 412 for one we never gave."""
    if if_match is None:
        raise PreconditionRequired(
            "Renvoyez l'ETag lu (en-tête If-Match) : il protège des modifications concurrentes."
        )
    found = _ETAG.match(if_match.strip())
    if found is None:
        raise PreconditionFailed(f'If-Match invalide : « {if_match[:40]} » (attendu "vN").')
    return int(found.group(1))
