"""Saved searches API (a logged-in buyer's searches, e-mailed when new structures match) and the
unsubscribe link that works without logging in."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from services.common.auth import PrincipalDep, SessionDep
from services.common.params import IdPath
from services.sourcing.alerts import service
from services.sourcing.alerts.results import RESULT_CAP
from services.sourcing.alerts.schemas import (
    SavedSearchCreate,
    SavedSearchPublic,
    SavedSearchUpdate,
    UnsubscribeRequest,
    UnsubscribeStatus,
)
from services.sourcing.state import SourcingStateDep

router = APIRouter(prefix="/v1", tags=["recherches enregistrées"])
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Recherche inconnue, ou recherche d'un autre compte"}
}
ABOUT = (
    f"Au plus {service.MAX_SAVED_SEARCHES} recherches par compte, chacune d'au plus "
    f"{RESULT_CAP} structures. À l'enregistrement, le résultat du moment est retenu : seules "
    "les structures qui correspondent ensuite (nouvelles, ou dont une activité a changé) sont "
    "signalées, chacune une seule fois, par un e-mail quotidien (daily) ou hebdomadaire "
    "(weekly) ; none n'envoie rien. Chaque e-mail contient un lien de désinscription."
)


@router.get(
    "/saved-searches",
    response_model=list[SavedSearchPublic],
    summary="Mes recherches enregistrées",
)
def my_searches(
    session: SessionDep, principal: PrincipalDep, state: SourcingStateDep
) -> list[SavedSearchPublic]:
    return service.searches_of(session, principal, state.settings.website)


@router.post(
    "/saved-searches",
    status_code=201,
    response_model=SavedSearchPublic,
    summary="Enregistrer une recherche (et ses alertes par e-mail)",
    description=ABOUT,
    responses={409: {"description": "Nom déjà pris, ou nombre maximal de recherches atteint"}},
)
async def save_search(
    payload: SavedSearchCreate, principal: PrincipalDep, state: SourcingStateDep
) -> SavedSearchPublic:
    return await service.save_search(state, principal, payload)


@router.get(
    "/saved-searches/{saved_search_id}",
    response_model=SavedSearchPublic,
    summary="Lire une recherche enregistrée",
    responses=NOT_FOUND,
)
def read_search(
    saved_search_id: IdPath, session: SessionDep, principal: PrincipalDep, state: SourcingStateDep
) -> SavedSearchPublic:
    return service.read_search(session, principal, saved_search_id, state.settings.website)


@router.patch(
    "/saved-searches/{saved_search_id}",
    response_model=SavedSearchPublic,
    summary="Renommer une recherche, changer ses paramètres ou la fréquence de ses alertes",
    description="Seuls les champs envoyés changent. " + ABOUT,
    responses={**NOT_FOUND, 409: {"description": "Nom déjà pris par une autre recherche"}},
)
async def update_search(
    saved_search_id: IdPath,
    payload: SavedSearchUpdate,
    principal: PrincipalDep,
    state: SourcingStateDep,
) -> SavedSearchPublic:
    return await service.amend(state, principal, saved_search_id, payload)


@router.delete(
    "/saved-searches/{saved_search_id}",
    status_code=204,
    summary="Supprimer une recherche enregistrée (et ses alertes)",
    responses=NOT_FOUND,
)
def delete_search(
    saved_search_id: IdPath, session: SessionDep, principal: PrincipalDep
) -> Response:
    service.delete_search(session, principal, saved_search_id)
    return Response(status_code=204)


Token = Annotated[
    str, Query(min_length=10, max_length=200, description="Jeton du lien reçu par e-mail")
]
REFUSED: dict[int | str, dict[str, Any]] = {
    401: {"description": "Lien invalide (jeton altéré ou recherche supprimée)"}
}


@router.get(
    "/alerts/unsubscribe",
    response_model=UnsubscribeStatus,
    tags=["alertes"],
    summary="Ce qu'arrêterait un lien de désinscription (sans connexion)",
    description="Ne change rien : POST sur la même adresse arrête les alertes.",
    responses=REFUSED,
)
def describe_unsubscribe(
    token: Token, session: SessionDep, state: SourcingStateDep
) -> UnsubscribeStatus:
    return service.describe_unsubscribe(session, state.settings.identity_secret, token)


@router.post(
    "/alerts/unsubscribe",
    response_model=UnsubscribeStatus,
    tags=["alertes"],
    summary="Arrêter les alertes d'une recherche enregistrée (lien signé, sans connexion)",
    description="Met la fréquence à none ; recommencer ne change plus rien.",
    responses=REFUSED,
)
def unsubscribe(
    payload: UnsubscribeRequest, session: SessionDep, state: SourcingStateDep
) -> UnsubscribeStatus:
    return service.unsubscribe(session, state.settings.identity_secret, payload.token)
