"""Catalog API: a structure's activities (sector + kinds of service + range)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from services.catalog.activities import service
from services.catalog.activities.schemas import ActivityCreate, ActivityPublic, ActivityUpdate
from services.catalog.dependencies import PrincipalDep, SessionDep
from services.catalog.structures.service import activities_of, activity_public, get_structure
from services.common.params import IdPath, IfMatch, etag, expected_version

router = APIRouter(prefix="/v1/structures/{structure_id}/activities", tags=["activités"])


@router.get("", response_model=list[ActivityPublic], summary="Activités d'une structure")
def list_activities(structure_id: IdPath, session: SessionDep) -> list[ActivityPublic]:
    get_structure(session, structure_id)
    return [activity_public(a) for a in activities_of(session, structure_id)]


@router.post("", status_code=201, response_model=ActivityPublic, summary="Déclarer une activité")
def create_activity(
    structure_id: IdPath,
    payload: ActivityCreate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
) -> ActivityPublic:
    activity = service.activities.create(session, principal, structure_id, payload)
    response.headers["ETag"] = etag(activity.version)
    return activity_public(activity)


@router.patch("/{activity_id}", response_model=ActivityPublic, summary="Modifier une activité")
def update_activity(
    structure_id: IdPath,
    activity_id: IdPath,
    payload: ActivityUpdate,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> ActivityPublic:
    activity = service.activities.update(
        session, principal, structure_id, activity_id, expected_version(if_match), payload
    )
    response.headers["ETag"] = etag(activity.version)
    return activity_public(activity)


@router.post(
    "/{activity_id}/confirm",
    response_model=ActivityPublic,
    summary="Confirmer une activité déduite du code NAF",
)
def confirm_activity(
    structure_id: IdPath,
    activity_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    response: Response,
    if_match: IfMatch = None,
) -> ActivityPublic:
    activity = service.confirm_activity(
        session, principal, structure_id, activity_id, expected_version(if_match)
    )
    response.headers["ETag"] = etag(activity.version)
    return activity_public(activity)


@router.delete("/{activity_id}", status_code=204, summary="Retirer une activité")
def delete_activity(
    structure_id: IdPath,
    activity_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    if_match: IfMatch = None,
) -> Response:
    service.activities.delete(
        session, principal, structure_id, activity_id, expected_version(if_match)
    )
    return Response(status_code=204)
