"""Checks against the reference data: communes that exist, postcodes that fit, known sectors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from services.catalog.reference.models import Commune, Department, Region, Sector
from services.common.errors import InvalidParameter


def check_commune(session: Session, commune_code: str, postcode: str | None) -> Commune:
    commune = session.get(Commune, commune_code)
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
    known = set(session.exec(select(Sector.slug).where(col(Sector.slug).in_(list(slugs)))))
    for slug in slugs:
        if slug not in known:
            raise InvalidParameter(field, f"secteur inconnu « {slug[:80]} »", "body")


_ZONE_TABLES: dict[str, Any] = {"commune": Commune, "departement": Department, "region": Region}


def check_zones(session: Session, zones: Sequence[dict[str, str]], field: str) -> None:
    for position, zone in enumerate(zones):
        table = _ZONE_TABLES[zone["type"]]
        if session.get(table, zone["code"]) is None:
            raise InvalidParameter(
                f"{field}/{position}/code",
                f"{zone['type']} inconnu(e) « {zone['code'][:10]} »",
                "body",
            )
