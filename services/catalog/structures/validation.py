"""Checks against the reference data: communes that exist, postcodes that fit, known sectors."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlmodel import Session

from services.catalog.reference.models import Commune
from services.catalog.reference.repository import ReferenceRepository
from services.common.errors import InvalidParameter


def check_commune(session: Session, commune_code: str, postcode: str | None) -> Commune:
    commune = ReferenceRepository(session).commune(commune_code)
    if commune is None:
        raise InvalidParameter("commune_code", f"commune INSEE inconnue « {commune_code} »", "body")
    if postcode is not None and commune.postcodes and postcode not in commune.postcodes:
        raise InvalidParameter(
            "postcode",
            f"le code postal {postcode} n'est pas celui de {commune.name} "
            f"({', '.join(commune.postcodes)})",
            "body",
        )
    return commune


def check_sectors(session: Session, slugs: Sequence[str], field: str) -> None:
    known = ReferenceRepository(session).known_sectors(slugs)
    for slug in slugs:
        if slug not in known:
            raise InvalidParameter(field, f"secteur inconnu « {slug[:80]} »", "body")


def check_zones(session: Session, zones: Sequence[dict[str, str]], field: str) -> None:
    reference = ReferenceRepository(session)
    lookups: dict[str, Callable[[str], object | None]] = {
        "commune": reference.commune,
        "departement": reference.department,
        "region": reference.region,
    }
    for position, zone in enumerate(zones):
        if lookups[zone["type"]](zone["code"]) is None:
            raise InvalidParameter(
                f"{field}/{position}/code",
                f"{zone['type']} inconnu(e) « {zone['code'][:10]} »",
                "body",
            )
