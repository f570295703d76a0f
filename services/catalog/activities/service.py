"""Managers declare, change, confirm and remove their structure's activities."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.catalog.activities.schemas import ActivityCreate
from services.catalog.concurrency import take_version
from services.catalog.structures.children import ChildRows
from services.catalog.structures.models import Activity
from services.catalog.structures.validation import check_sectors, check_zones
from services.common.db import utcnow
from services.common.identity import Principal


class ActivityRows(ChildRows[Activity, ActivityCreate]):
    table = Activity
    payload = ActivityCreate
    entity = "activity"
    missing = "Aucune activité {child_id} pour la structure {structure_id}."

    def fields(self, payload: ActivityCreate) -> dict[str, Any]:
        return {
            "sector_slug": payload.sector,
            "presta_types": [p.value for p in payload.presta_types],
            "range_kind": payload.range,
            "radius_km": payload.radius_km,
            "zones": [z.model_dump(mode="json") for z in payload.zones],
        }

    def check(self, session: Session, payload: ActivityCreate) -> None:
        check_sectors(session, [payload.sector], "sector")
        check_zones(session, [z.model_dump(mode="json") for z in payload.zones], "zones")

    def current(self, row: Activity, sent: dict[str, Any]) -> dict[str, Any]:
        current = {
            "sector": row.sector_slug,
            "presta_types": row.presta_types,
            "range": row.range_kind,
            "radius_km": row.radius_km,
            "zones": row.zones,
        }
        if "range" in sent:  # a new range replaces the old one's details
            current |= {"radius_km": None, "zones": []}
        return current

    def removed(self, row: Activity) -> dict[str, list[Any]]:
        return {"sector_slug": [row.sector_slug, None]}

    def edited(self, row: Activity) -> None:
        row.inferred = False  # a manager's hand makes it theirs


activities = ActivityRows()


def confirm_activity(
    session: Session,
    principal: Principal,
    structure_id: int,
    activity_id: int,
    expected_version: int,
) -> Activity:
    activity = activities.editable(session, principal, structure_id, activity_id)
    activity.version = take_version(session, Activity, activity_id, expected_version)
    if activity.inferred:
        activity.inferred = False
        activity.updated_at = utcnow()
        activities.record(session, principal, activity, "confirm", {"inferred": [True, False]})
    session.add(activity)
    session.flush()
    return activity
