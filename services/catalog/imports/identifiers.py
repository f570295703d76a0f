"""Checks of the public identifiers a structure is known by: SIRET and SIREN (the domain's
checks, shared with the buyers' organisations), FINESS."""

from __future__ import annotations

import re

from services.domain.identifiers import siret_problem

__all__ = ["finess_problem", "siret_problem"]

# Two characters of département (2A/2B for Corsica), then seven digits.
_FINESS = re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{7}$")


def finess_problem(finess: str) -> str | None:
    if not _FINESS.match(finess):
        return "numéro FINESS invalide (9 caractères : département puis 7 chiffres)"
    return None
