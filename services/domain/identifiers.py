"""Checks of the identifiers French organisations are known by: SIRET (14 digits) and SIREN (9),
both with a Luhn check digit; La Poste's (SIREN 356000000) fail Luhn by design."""

from __future__ import annotations

LA_POSTE_SIREN = "356000000"


def luhn_ok(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def siret_problem(siret: str) -> str | None:
    """Why `siret` is not a valid SIRET, in French, or None."""
    if len(siret) != 14 or not (siret.isascii() and siret.isdigit()):
        return "le SIRET doit compter 14 chiffres"
    if siret.startswith(LA_POSTE_SIREN):
        return None
    if not luhn_ok(siret):
        return "SIRET invalide (clé de contrôle Luhn fausse)"
    return None


def siren_problem(siren: str) -> str | None:
    """Why `siren` is not a valid SIREN, in French, or None."""
    if len(siren) != 9 or not (siren.isascii() and siren.isdigit()):
        return "le SIREN doit compter 9 chiffres"
    if siren != LA_POSTE_SIREN and not luhn_ok(siren):
        return "SIREN invalide (clé de contrôle Luhn fausse)"
    return None
