"""Reference data for API clients: kinds, presta types, sectors, CPV lookup, communes,
départements and régions."""

from __future__ import annotations

import unicodedata
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from services.common.text import fold, rank_by_name
from services.domain.kinds import (
    FAMILY_LABELS,
    KIND_LABELS,
    PRESTA_TYPE_LABELS,
    family_of,
)
from services.sourcing.state import SourcingStateDep

router = APIRouter(prefix="/v1/reference", tags=["référentiels"])
MAX_SUGGESTIONS = 20


def _folded(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain.lower().replace("-", " ").replace("'", " ")


@router.get("/kinds", summary="Les dix types de structure")
def kinds() -> list[dict[str, str]]:
    return [
        {
            "code": k.value,
            "label": label,
            "family": family_of(k).value,
            "family_label": FAMILY_LABELS[family_of(k)],
        }
        for k, label in KIND_LABELS.items()
    ]


@router.get("/presta-types", summary="Types de prestation")
def presta_types() -> list[dict[str, str]]:
    return [{"code": p.value, "label": label} for p, label in PRESTA_TYPE_LABELS.items()]


@router.get("/sectors", summary="Secteurs d'achat, par groupe")
def sectors(state: SourcingStateDep) -> list[dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = {}
    for row in state.vocabulary.sector_rows:
        group = groups.setdefault(
            row["groupe_slug"], {"slug": row["groupe_slug"], "name": row["groupe"], "sectors": []}
        )
        group["sectors"].append({"slug": row["secteur_slug"], "name": row["secteur"]})
    return list(groups.values())


class CpvEntry(BaseModel):
    code: str
    label: str
    sectors: list[str]
    mapped_from: str | None


@router.get("/cpv", response_model=list[CpvEntry], summary="Chercher un code CPV (code ou libellé)")
def cpv(
    state: SourcingStateDep,
    q: Annotated[str, Query(min_length=2, max_length=100, examples=["nettoyage"])],
) -> list[CpvEntry]:
    vocabulary = state.vocabulary
    query = q.strip()
    if query.replace("-", "").isdigit():
        codes = [c for c in vocabulary.cpv_labels if c.startswith(query[:8])]
    else:
        words = _folded(query).split()
        codes = [
            c
            for c, label in vocabulary.cpv_labels.items()
            if all(w in _folded(label) for w in words)
        ]
    entries = []
    for code in sorted(codes, key=lambda c: (len(c.rstrip("0")), c))[
        :MAX_SUGGESTIONS
    ]:  # broad first
        found = vocabulary.cpv_sectors(code)
        entries.append(
            CpvEntry(
                code=code,
                label=vocabulary.cpv_labels[code],
                sectors=list(found[1]) if found else [],
                mapped_from=found[0] if found else None,
            )
        )
    return entries


@router.get("/communes", summary="Autocomplétion des communes (nom, code postal ou code INSEE)")
def communes(
    state: SourcingStateDep,
    q: Annotated[str, Query(min_length=2, max_length=80, examples=["saint-denis", "93200"])],
) -> list[dict[str, Any]]:
    vocabulary = state.vocabulary
    query = q.strip()
    if query.isdigit() or query.upper().startswith("2A") or query.upper().startswith("2B"):
        found = [
            c
            for c in vocabulary.communes.values()
            if c.code.startswith(query.upper()) or any(p.startswith(query) for p in c.postcodes)
        ]
        found.sort(key=lambda c: -c.population)
    else:
        found = rank_by_name(
            query,
            vocabulary.communes.values(),
            lambda c: (fold(c.name), c.population),
            MAX_SUGGESTIONS,
        )
    names = vocabulary.department_names or {}
    return [
        {
            "code": c.code,
            "name": c.name,
            "postcodes": list(c.postcodes),
            "department": c.department,
            "department_name": names.get(c.department),
            "region": c.region,
            "population": c.population,
            # The commune's centre: a point for searches within a radius of it.
            "lat": c.centre[0] if c.centre else None,
            "lng": c.centre[1] if c.centre else None,
        }
        for c in found[:MAX_SUGGESTIONS]
    ]


@router.get("/departments", summary="Les départements (code, nom, région)")
def departments(state: SourcingStateDep) -> list[dict[str, str | None]]:
    vocabulary = state.vocabulary
    names = vocabulary.department_names or {}
    regions = vocabulary.region_names or {}
    return [
        {
            "code": code,
            "name": names.get(code, code),
            "region": region,
            "region_name": regions.get(region),
        }
        for code, region in sorted(vocabulary.departments.items())
    ]


@router.get("/regions", summary="Les régions (code, nom)")
def regions(state: SourcingStateDep) -> list[dict[str, str]]:
    names = state.vocabulary.region_names or {}
    return [{"code": code, "name": names.get(code, code)} for code in sorted(names)]
