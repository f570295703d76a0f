"""Path and header parameters every service declares the same way."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Path

# Row ids: positive and within a 32-bit integer column, so a huge id is a 422, not a 500.
IdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
# The ETag a client read ("vN"), sent back on writes; a missing one is answered 428.
IfMatch = Annotated[str | None, Header(description='ETag lu auparavant ("vN")')]
