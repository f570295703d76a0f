"""Catalog API: a structure's offers."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response

from services.catalog.dependencies import OptionalPrincipalDep, PrincipalDep, SessionDep
from services.catalog.media.public import offer_photos
from services.catalog.media.service import forget_offer_photos
from services.catalog.offers import service
from services.catalog.offers.schemas import OfferCreate, OfferPublic, OfferUpdate
from services.catalog.ownership.permissions import membership_of
from services.catalog.state import CatalogStateDep
from services.catalog.structures.service import activities_of, get_structure
from services.common.params import IdPath, IfMatch, etag, expected_version

router = APIRouter(prefix="/v1/structures/{structure_id}/offers", tags=["offres"])


@router.get("", response_model=list[OfferPublic], summary="Offres d'une structure")
def list_offers(
    structure_id: IdPath, session: SessionDep, principal: OptionalPrincipalDep
) -> list[OfferPublic]:
    get_structure(session, structure_id)
    # Inactive offers are shown to the structure's managers and staff only.
    insider = principal is not None and (
        principal.is_staff or membership_of(session, structure_id, principal.account_id) is not None
    )
    activities = activities_of(session, structure_id)
    offers = service.offers_of(session, structure_id, insider)
    photos = offer_photos(session, [o.id for o in offers if o.id is not None])
    return [service.to_public(o, activities, photos[o.id or 0]) for o in offers]


@router.post("", status_code=201, response_model=OfferPublic, summary="Publier une offre")
def create_offer(
    structure_id: IdPath,
    payload: OfferCreate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> OfferPublic:
    offer = service.offers.create(session, principal, structure_id, payload)
    response.headers["ETag"] = etag(offer.version)
    return service.to_public(offer, activities_of(session, structure_id))


@router.patch("/{offer_id}", response_model=OfferPublic, summary="Modifier une offre")
def update_offer(
    structure_id: IdPath,
    offer_id: IdPath,
    payload: OfferUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> OfferPublic:
    offer = service.offers.update(
        session, principal, structure_id, offer_id, expected_version(if_match), payload
    )
    response.headers["ETag"] = etag(offer.version)
    photos = offer_photos(session, [offer_id])[offer_id]
    return service.to_public(offer, activities_of(session, structure_id), photos)


@router.delete("/{offer_id}", status_code=204, summary="Retirer une offre")
def delete_offer(
    structure_id: IdPath,
    offer_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: CatalogStateDep,
    background: BackgroundTasks,
    if_match: IfMatch = None,
) -> Response:
    expected = expected_version(if_match)
    service.offers.editable(session, principal, structure_id, offer_id)
    # Its photos go with it; their files once the deletion is committed.
    for name in forget_offer_photos(session, offer_id):
        background.add_task(state.media.remove, name)
    service.offers.delete(session, principal, structure_id, offer_id, expected)
    return Response(status_code=204)
