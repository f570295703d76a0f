"""Managers declare, change, confirm and remove their structure's activities."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.catalog.activities.schemas import ActivityCreate, ActivityUpdate
from services.catalog.audit import service as audit
from services.catalog.concurrency import take_version
from services.catalog.outbox.service import record_structure_changes
from services.catalog.ownership.permissions import require_manager
from services.catalog.structures.models import Activity
from services.catalog.structures.service import get_structure
from services.catalog.structures.validation import check_sectors, check_zones
from services.catalog.validation import validated
from services.common.db import utcnow
from services.common.errors import NotFound
from services.common.identity import Principal


def _fields(payload: ActivityCreate) -> dict[str, Any]:
    return {
        "sector_slug": payload.sector,
        "presta_types": [p.value for p in payload.presta_types],
        "range_kind": payload.range,
        "radius_km": payload.radius_km,
        "zones": [z.model_dump(mode="json") for z in payload.zones],
    }


def _check(session: Session, payload: ActivityCreate) -> None:
    check_sectors(session, [payload.sector], "sector")
    check_zones(session, [z.model_dump(mode="json") for z in payload.zones], "zones")


def get_activity(session: Session, structure_id: int, activity_id: int) -> Activity:
    activity = session.get(Activity, activity_id)
    if activity is None or activity.structure_id != structure_id:
        raise NotFound(f"Aucune activité {activity_id} pour la structure {structure_id}.")
    return activity


def _changed(
    session: Session, principal: Principal, activity: Activity, action: str, changes: dict[str, Any]
) -> None:
    audit.record(
        session, principal, activity.structure_id, action, "activity", activity.id, changes
    )
    record_structure_changes(session, [activity.structure_id])


def create_activity(
    session: Session, principal: Principal, structure_id: int, payload: ActivityCreate
) -> Activity:
    get_structure(session, structure_id)
    require_manager(session, principal, structure_id)
    _check(session, payload)
    activity = Activity(structure_id=structure_id, **_fields(payload))
    session.add(activity)
    session.flush()
    _changed(session, principal, activity, "activity.create", audit.diff({}, _fields(payload)))
    return activity


def update_activity(
    session: Session,
    principal: Principal,
    structure_id: int,
    activity_id: int,
    expected_version: int,
    update: ActivityUpdate,
) -> Activity:
    require_manager(session, principal, structure_id)
    activity = get_activity(session, structure_id, activity_id)
    current = {
        "sector": activity.sector_slug,
        "presta_types": activity.presta_types,
        "range": activity.range_kind,
        "radius_km": activity.radius_km,
        "zones": activity.zones,
    }
    sent = update.model_dump(exclude_unset=True, mode="json")
    if "range" in sent:  # a new range replaces the old one's details
        current |= {"radius_km": None, "zones": []}
    payload = validated(ActivityCreate, current | sent)
    _check(session, payload)
    activity.version = take_version(session, Activity, activity_id, expected_version)
    fields = _fields(payload)
    before = {name: getattr(activity, name) for name in fields}
    for name, value in fields.items():
        setattr(activity, name, value)
    activity.inferred = False  # a manager's hand makes it theirs
    activity.updated_at = utcnow()
    session.add(activity)
    _changed(session, principal, activity, "activity.update", audit.diff(before, fields))
    session.flush()
    return activity


def confirm_activity(
    session: Session,
    principal: Principal,
    structure_id: int,
    activity_id: int,
    expected_version: int,
) -> Activity:
    require_manager(session, principal, structure_id)
    activity = get_activity(session, structure_id, activity_id)
    activity.version = take_version(session, Activity, activity_id, expected_version)
    if activity.inferred:
        activity.inferred = False
        activity.updated_at = utcnow()
        _changed(session, principal, activity, "activity.confirm", {"inferred": [True, False]})
    session.add(activity)
    session.flush()
    return activity


def delete_activity(
    session: Session,
    principal: Principal,
    structure_id: int,
    activity_id: int,
    expected_version: int,
) -> None:
    require_manager(session, principal, structure_id)
    activity = get_activity(session, structure_id, activity_id)
    take_version(session, Activity, activity_id, expected_version)
    _changed(
        session,
        principal,
        activity,
        "activity.delete",
        {"sector_slug": [activity.sector_slug, None]},
    )
    session.delete(activity)
    session.flush()
