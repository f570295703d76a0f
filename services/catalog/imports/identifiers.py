"""Checks of the public identifiers a structure is known by: SIRET, SIREN, FINESS."""

from __future__ import annotations

import re

LA_POSTE_SIREN = "356000000"
# Two characters of département (2A/2B for Corsica), then seven digits.
_FINESS = re.compile(r"^(?:[0-9]{2}|2A|2B)[0-9]{7}$")


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def siret_problem(siret: str) -> str | None:
    """Why `siret` is not a valid SIRET, or None. La Poste's SIRETs fail Luhn by design."""
    if len(siret) != 14 or not siret.isdigit():
        return "le SIRET doit compter 14 chiffres"
    if siret.startswith(LA_POSTE_SIREN):
        return None
    if not luhn_ok(siret):
        return "SIRET invalide (clé de contrôle Luhn fausse)"
    return None


def finess_problem(finess: str) -> str | None:
    if not _FINESS.match(finess):
        return "numéro FINESS invalide (9 caractères : département puis 7 chiffres)"
    return None
