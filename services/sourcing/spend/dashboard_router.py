"""Spend dashboard API: an organisation's inclusive purchasing of a year (figures, gaps), the
mapping of its categories to sectors, its sites, and the exports for its RSE report."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from sqlmodel import Session

from services.common.auth import PrincipalDep, SessionDep
from services.common.identity import Principal
from services.common.params import IdPath
from services.domain.search import XLSX
from services.sourcing.projects.organisations import reach
from services.sourcing.projects.service import in_transaction
from services.sourcing.spend import categories, dashboard, export, gaps, sites
from services.sourcing.spend.summary import render_summary
from services.sourcing.state import SourcingState, SourcingStateDep

router = APIRouter(prefix="/v1", tags=["achats de l'organisation"])
Year = Annotated[int, Query(ge=2000, le=2100, description="Année des dépenses")]
OptionalYear = Annotated[
    int | None, Query(ge=2000, le=2100, description="Année (par défaut la dernière importée)")
]
Category = Annotated[
    str | None, Query(max_length=200, description="Ne compter que cette catégorie d'achat")
]
BuyingEntity = Annotated[
    str | None, Query(max_length=200, description="Ne compter que cette entité acheteuse")
]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Organisation inconnue, ou aucun import actif pour cette année"}
}


class CategoryMapping(BaseModel):
    label: str = Field(min_length=1, max_length=200)
    sector: str | None = Field(default=None, max_length=128)


class CategoryMappings(BaseModel):
    mappings: list[CategoryMapping] = Field(max_length=1000)


class SiteDepartments(BaseModel):
    departments: list[str] = Field(max_length=sites.MAX_SITES)


async def dashboard_view(
    state: SourcingState,
    principal: Principal,
    organisation_id: int,
    year: int,
    filters: dashboard.Filters,
) -> dict[str, Any]:
    """The figures in one transaction, then the gaps from the search outside it."""

    def read(session: Session) -> tuple[dict[str, Any], gaps.GapInputs]:
        reach(session, principal, organisation_id, write=False)
        view = dashboard.figures(session, organisation_id, year, filters, state.vocabulary)
        inputs = gaps.candidates(
            session, organisation_id, view["upload_id"], filters, state.vocabulary
        )
        return view, inputs

    view, inputs = await in_transaction(state, read)
    view["gaps"] = await gaps.gaps(
        inputs, state.search_engine, state.vocabulary, state.settings.website
    )
    view["unmapped_categories"] = inputs.unmapped_categories
    return view


@router.get(
    "/organisations/{organisation_id}/spend/dashboard",
    summary="Tableau de bord des achats inclusifs d'une année",
    description=(
        "Part inclusive de la dépense et des fournisseurs, par famille, type, région, QPV/ZRR, "
        "catégorie et entité acheteuse, d'une année à l'autre ; les fournisseurs inclusifs ; "
        "les catégories achetées sans fournisseur inclusif là où la recherche en trouve. "
        "`category` et `buying_entity` restreignent tous les chiffres."
    ),
    responses=NOT_FOUND,
)
async def read_dashboard(
    organisation_id: IdPath,
    principal: PrincipalDep,
    state: SourcingStateDep,
    year: Year,
    category: Category = None,
    buying_entity: BuyingEntity = None,
) -> dict[str, Any]:
    filters = dashboard.Filters(category, buying_entity)
    return await dashboard_view(state, principal, organisation_id, year, filters)


def _latest_year(session: Session, organisation_id: int, year: int | None) -> int | None:
    if year is not None:
        return dashboard.active_upload(session, organisation_id, year).id
    years = dashboard.years(session, organisation_id, dashboard.Filters())
    if not years:
        return None
    return dashboard.active_upload(session, organisation_id, years[-1]["year"]).id


@router.get(
    "/organisations/{organisation_id}/spend/categories",
    summary="Catégories d'achat de l'année et secteurs associés",
    description=(
        "Chaque catégorie nommée par les lignes de l'année, sa dépense, le secteur associé et "
        "un secteur suggéré d'après les mots qu'ils partagent."
    ),
    responses=NOT_FOUND,
)
def read_categories(
    organisation_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: SourcingStateDep,
    year: OptionalYear = None,
) -> dict[str, Any]:
    reach(session, principal, organisation_id, write=False)
    upload_id = _latest_year(session, organisation_id, year)
    return categories.view(
        session, organisation_id, upload_id, state.vocabulary, state.settings.data_dir
    )


@router.put(
    "/organisations/{organisation_id}/spend/categories",
    summary="Associer des catégories d'achat à des secteurs",
    description="`sector` à null retire l'association ; un secteur inconnu refuse le tout (422).",
    responses=NOT_FOUND,
)
def save_categories(
    organisation_id: IdPath,
    payload: CategoryMappings,
    session: SessionDep,
    principal: PrincipalDep,
    state: SourcingStateDep,
    year: OptionalYear = None,
) -> dict[str, Any]:
    reach(session, principal, organisation_id, write=True)
    categories.save(
        session,
        organisation_id,
        [(m.label, m.sector) for m in payload.mappings],
        state.vocabulary,
    )
    upload_id = _latest_year(session, organisation_id, year)
    return categories.view(
        session, organisation_id, upload_id, state.vocabulary, state.settings.data_dir
    )


@router.get(
    "/organisations/{organisation_id}/spend/sites",
    summary="Départements des sites de l'organisation",
    responses=NOT_FOUND,
)
def read_sites(
    organisation_id: IdPath, session: SessionDep, principal: PrincipalDep, state: SourcingStateDep
) -> dict[str, Any]:
    reach(session, principal, organisation_id, write=False)
    return sites.view(session, organisation_id, state.vocabulary)


@router.put(
    "/organisations/{organisation_id}/spend/sites",
    summary="Fixer les départements des sites de l'organisation",
    description="La liste remplace la précédente ; un code inconnu la refuse toute (422).",
    responses=NOT_FOUND,
)
def save_sites(
    organisation_id: IdPath,
    payload: SiteDepartments,
    session: SessionDep,
    principal: PrincipalDep,
    state: SourcingStateDep,
) -> dict[str, Any]:
    reach(session, principal, organisation_id, write=True)
    return sites.replace(session, organisation_id, payload.departments, state.vocabulary)


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@router.get(
    "/organisations/{organisation_id}/spend/export.csv",
    summary="Les fournisseurs de l'année et leur rapprochement (CSV)",
    description="UTF-8 avec BOM, séparateur point-virgule ; une ligne par fournisseur.",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **NOT_FOUND},
)
async def export_csv(
    organisation_id: IdPath,
    principal: PrincipalDep,
    state: SourcingStateDep,
    year: Year,
    category: Category = None,
    buying_entity: BuyingEntity = None,
) -> StreamingResponse:
    filters = dashboard.Filters(category, buying_entity)

    def read(session: Session) -> list[dict[str, Any]]:
        reach(session, principal, organisation_id, write=False)
        return export.supplier_rows(session, organisation_id, year, filters)

    rows = await in_transaction(state, read)
    return StreamingResponse(
        export.as_csv(rows),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"achats-{year}-fournisseurs.csv"),
    )


@router.get(
    "/organisations/{organisation_id}/spend/export.xlsx",
    summary="Le tableau de bord de l'année (XLSX)",
    description="Une feuille par répartition, les années, les manques et les fournisseurs.",
    response_class=Response,
    responses={200: {"content": {XLSX: {"schema": {"type": "string"}}}}, **NOT_FOUND},
)
async def export_xlsx(
    organisation_id: IdPath,
    principal: PrincipalDep,
    state: SourcingStateDep,
    year: Year,
    category: Category = None,
    buying_entity: BuyingEntity = None,
) -> Response:
    filters = dashboard.Filters(category, buying_entity)
    view = await dashboard_view(state, principal, organisation_id, year, filters)
    rows = await in_transaction(
        state, lambda s: export.supplier_rows(s, organisation_id, year, filters)
    )
    content = await to_thread.run_sync(export.as_xlsx, view, rows)
    return Response(content, media_type=XLSX, headers=_attachment(f"achats-{year}.xlsx"))


@router.get(
    "/organisations/{organisation_id}/spend/summary.pdf",
    summary="Synthèse RSE des achats inclusifs de l'année (PDF)",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
        **NOT_FOUND,
    },
)
async def summary_pdf(
    organisation_id: IdPath,
    principal: PrincipalDep,
    state: SourcingStateDep,
    year: Year,
    category: Category = None,
    buying_entity: BuyingEntity = None,
) -> Response:
    filters = dashboard.Filters(category, buying_entity)
    view = await dashboard_view(state, principal, organisation_id, year, filters)

    def organisation(session: Session) -> dict[str, Any]:
        found = reach(session, principal, organisation_id, write=False).organisation
        return {"name": found.name, "siren": found.siren}

    named = await in_transaction(state, organisation)
    pdf = await to_thread.run_sync(render_summary, view, named)
    return Response(
        pdf,
        media_type="application/pdf",
        headers=_attachment(f"achats-inclusifs-{year}.pdf"),
    )
