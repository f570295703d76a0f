"""Catalog API: the public buyers' figures from the DECP, their ranking and its method (open)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from services.catalog.decp import method, service
from services.catalog.decp.schemas import Buyer, BuyerHits, Method, RankingPage
from services.catalog.dependencies import SessionDep
from services.catalog.imports.identifiers import siret_problem
from services.common.errors import InvalidParameter, NotFound
from services.common.spreadsheet import safe_cell

router = APIRouter(prefix="/v1/public-buyers", tags=["acheteurs publics"])

CategoryCode = Literal[
    "etat", "intercommunalite", "commune", "departement", "region", "sante", "autre"
]
BandCode = Literal["1-9", "10-49", "50-199", "200+"]
Format = Literal["json", "csv"]
_CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}

RANKING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("rank", "Rang"),
    ("siret", "SIRET"),
    ("name", "Acheteur"),
    ("category_label", "Catégorie"),
    ("band_label", "Tranche"),
    ("region_name", "Région"),
    ("contracts", "Marchés notifiés"),
    ("amount_eur", "Montant (€ HT)"),
    ("with_social", "Marchés avec considération sociale"),
    ("social_share", "Part sociale"),
    ("social_amount_share", "Part sociale en montant"),
    ("clause_sociale", "Clause sociale"),
    ("critere_social", "Critère social"),
    ("marche_reserve", "Marché réservé"),
    ("inclusive_contracts", "Marchés inclusifs"),
    ("inclusive_amount_eur", "Montant des marchés inclusifs (€ HT)"),
)
BUYER_COLUMNS: tuple[tuple[str, str], ...] = (
    ("year", "Année"),
    ("siret", "SIRET"),
    ("name", "Acheteur"),
    ("band_label", "Tranche"),
    ("region_name", "Région"),
    ("contracts", "Marchés notifiés"),
    ("amount_eur", "Montant (€ HT)"),
    ("with_social", "Marchés avec considération sociale"),
    ("social_share", "Part sociale"),
    ("social_amount_share", "Part sociale en montant"),
    ("clause_sociale", "Clause sociale"),
    ("critere_social", "Critère social"),
    ("marche_reserve", "Marché réservé"),
    ("inclusive_contracts", "Marchés inclusifs"),
    ("inclusive_amount_eur", "Montant des marchés inclusifs (€ HT)"),
    ("inclusive_awarded", "dont attribués à une structure inclusive"),
    ("inclusive_subcontracted", "dont sous-traités à une structure inclusive"),
    ("rank_national", "Rang national dans la tranche"),
    ("rank_region", "Rang régional dans la tranche"),
    ("rank_category", "Rang dans la catégorie et la tranche"),
)


def _csv(columns: Sequence[tuple[str, str]], rows: Iterable[dict[str, Any]], name: str) -> Response:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so that spreadsheet software reads UTF-8
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([label for _, label in columns])
    for row in rows:
        writer.writerow([safe_cell(row.get(key)) for key, _ in columns])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/method", response_model=Method, summary="Méthode du classement des acheteurs publics")
def public_method(session: SessionDep) -> dict[str, Any]:
    return method.published(service.last_import(session))


@router.get(
    "/ranking",
    response_model=RankingPage,
    summary="Classement des acheteurs publics d'une année (considérations sociales)",
    description=(
        "Les acheteurs de l'année, filtrés par région, catégorie et tranche de taille, tranche "
        "par tranche (la plus grande d'abord), chaque tranche dans l'ordre de la méthode "
        "publiée ; `rank` est le rang parmi les acheteurs de la même tranche dans ces filtres "
        "(null en dessous du nombre minimal de marchés) ; `bands` donne, par tranche présente, "
        "le nombre d'acheteurs et de classés. Sans `year`, la dernière année disponible. "
        "`format=csv` : tout le classement en pièce jointe, dans le même ordre."
    ),
    responses=_CSV,  # type: ignore[arg-type]
)
def public_ranking(
    session: SessionDep,
    year: Annotated[
        int | None, Query(ge=2000, le=2100, description="Année de notification")
    ] = None,
    region: Annotated[
        str | None, Query(pattern=r"^[0-9]{2}$", description="Code INSEE de la région")
    ] = None,
    category: Annotated[CategoryCode | None, Query(description="Catégorie d'acheteur")] = None,
    band: Annotated[BandCode | None, Query(description="Tranche de taille")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=200)] = 50,
    format: Annotated[Format, Query(description="json ou csv")] = "json",
) -> Any:
    if region and not service.region_exists(session, region):
        raise InvalidParameter("region", f"aucune région n'a le code « {region} »")
    if format == "csv":
        result = service.ranking(session, year, region, category, band)
        rows = ({**item, **item["by_social_kind"]} for item in result["items"])
        return _csv(RANKING_COLUMNS, rows, f"classement-acheteurs-{result['year'] or 'vide'}.csv")
    result = service.ranking(session, year, region, category, band, page, per_page)
    return {**result, "page": page, "per_page": per_page}


@router.get(
    "",
    response_model=BuyerHits,
    summary="Retrouver un acheteur public par son nom ou son SIRET",
)
def find_buyers(
    session: SessionDep,
    q: Annotated[str, Query(min_length=2, max_length=100, description="Nom ou début de SIRET")],
) -> dict[str, Any]:
    return {"items": service.search(session, q)}


@router.get(
    "/{siret}",
    response_model=Buyer,
    summary="Fiche d'un acheteur public : ses chiffres année par année",
    responses=_CSV,  # type: ignore[arg-type]
)
def public_buyer(
    siret: str,
    session: SessionDep,
    format: Annotated[Format, Query(description="json ou csv")] = "json",
) -> Any:
    problem = siret_problem(siret)
    if problem:
        raise InvalidParameter("siret", problem, location="path")
    found = service.buyer(session, siret)
    if found is None:
        raise NotFound(f"Aucun marché public n'est connu pour l'acheteur de SIRET {siret}.")
    if format == "csv":
        rows = (
            {
                **year,
                **year["by_social_kind"],
                "siret": found["siret"],
                "name": found["name"],
                "inclusive_contracts": year["inclusive"]["contracts"],
                "inclusive_amount_eur": year["inclusive"]["amount_eur"],
                "inclusive_awarded": year["inclusive"]["awarded_contracts"],
                "inclusive_subcontracted": year["inclusive"]["subcontracted_contracts"],
                "rank_national": (year["rank"] or {}).get("national"),
                "rank_region": (year["rank"] or {}).get("region"),
                "rank_category": (year["rank"] or {}).get("category"),
            }
            for year in found["years"]
        )
        return _csv(BUYER_COLUMNS, rows, f"acheteur-{siret}.csv")
    return found
