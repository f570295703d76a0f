"""The levels of a place buyers and suppliers name: commune, département, région."""

from __future__ import annotations

import unicodedata
from enum import StrEnum


class PlaceLevel(StrEnum):
    COMMUNE = "commune"
    DEPARTEMENT = "departement"
    REGION = "region"

    @classmethod
    def _missing_(cls, value: object) -> PlaceLevel | None:
        """« Département », « région »: accents and capitals as people write them."""
        if not isinstance(value, str):
            return None
        plain = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
        return next((level for level in cls if level.value == plain.strip().lower()), None)
