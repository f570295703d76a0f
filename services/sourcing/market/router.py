"""Market depth before a tender, and the insertion-hours calculator."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from services.sourcing.market import service
from services.sourcing.market.schemas import InsertionHours, MarketDepth
from services.sourcing.search.request import SearchParameters, search_parameters
from services.sourcing.state import SourcingStateDep

router = APIRouter(prefix="/v1", tags=["profondeur de marché"])


@router.get(
    "/market-depth",
    response_model=MarketDepth,
    summary="Profondeur du marché inclusif avant un achat",
)
async def market_depth(
    request: Request,
    parameters: Annotated[SearchParameters, Depends(search_parameters)],
    state: SourcingStateDep,
) -> MarketDepth:
    search = parameters.to_request(request, state.vocabulary)
    return await service.market_depth(state.search_engine, search)


@router.get(
    "/insertion-hours",
    response_model=InsertionHours,
    summary="Calculer les heures d'insertion d'une clause sociale",
)
async def insertion_hours(
    amount_eur: Annotated[
        float, Query(gt=0, le=1e11, description="Montant du marché, € HT", examples=[1_000_000])
    ],
    labour_share_percent: Annotated[
        float, Query(gt=0, le=100, description="Part de la main-d'œuvre, %", examples=[50])
    ],
    insertion_rate_percent: Annotated[
        float, Query(gt=0, le=100, description="Taux d'insertion, %", examples=[5])
    ],
    hourly_cost_eur: Annotated[
        float, Query(gt=0, le=1000, description="Coût horaire chargé, €")
    ] = 30.0,
) -> InsertionHours:
    return service.insertion_hours(
        amount_eur, labour_share_percent, insertion_rate_percent, hourly_cost_eur
    )
