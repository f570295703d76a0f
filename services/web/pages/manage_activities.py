"""Pages: a managed structure's activities — what it does and where. Declared ones, inferred ones
(from its NAF code, to confirm, change or remove), the add and edit form (sector found by a few
words, presta types, France entière / radius / zones with a place autocomplete), removal."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response

from services.web import activities_view as view
from services.web.api import ApiProblem
from services.web.manage_view import Managed, calls, if_match, managed_structure, stale_warning
from services.web.ranges_view import (
    RANGES,
    complete_range,
    range_summary,
    read_range,
    zone_key,
    zone_labels,
)
from services.web.sectors import sector_catalogue
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()
StructureId = Path(ge=1, le=2**31 - 1)
ActivityId = Path(ge=1, le=2**31 - 1)
BASE = "/espace-structure/{structure_id}/activites"
CONFLICT = (
    "Cette activité a été modifiée par quelqu'un d'autre depuis que vous avez ouvert ce "
    "formulaire. Vos saisies sont conservées ci-dessous ; vérifiez-les puis enregistrez de "
    "nouveau pour les appliquer."
)


async def _activities(visitor: Visitor, structure_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await visitor.state.api.get(
        f"/structures/{structure_id}/activities", **calls(visitor)
    )
    return found


async def _activity(visitor: Visitor, structure_id: int, activity_id: int) -> dict[str, Any] | None:
    return next(
        (a for a in await _activities(visitor, structure_id) if a["id"] == activity_id), None
    )


def _breadcrumb(managed: Managed, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        ("Espace structure", "/espace-structure"),
        (managed.name, managed.href()),
        ("Activités et zones", managed.href("/activites")),
        *more,
    ]


async def _list_page(
    visitor: Visitor,
    managed: Managed,
    done: str | None = None,
    warning: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    activities = await _activities(visitor, managed.id)
    sectors = await sector_catalogue(visitor.state.api, visitor.client_ip)
    labels = await zone_labels(
        visitor, [zone_key(z) for a in activities for z in a.get("zones") or []]
    )
    city = str(managed.structure.get("city") or "")
    rows = [
        {
            **a,
            "sector_name": sectors.names.get(a["sector"], a["sector"]),
            "presta_label": view.presta_labels(a["presta_types"]),
            "where": range_summary(a, labels, city),
        }
        for a in activities
    ]
    return visitor.render(
        "activities/index.html",
        {
            "section": "structure",
            "managed": managed,
            "current": "activites",
            "breadcrumb": [*_breadcrumb(managed)[:-1], ("Activités et zones", "")],
            "declared": [r for r in rows if not r["inferred"]],
            "inferred": [r for r in rows if r["inferred"]],
            "done": view.DONE.get(done or ""),
            "warning": warning,
        },
        status_code=status_code,
    )


async def _form(
    visitor: Visitor,
    managed: Managed,
    activity: dict[str, Any] | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str | None = None,
    changes: list[tuple[str, str, str]] | None = None,
) -> HTMLResponse:
    sectors = await sector_catalogue(visitor.state.api, visitor.client_ip)
    errors = errors or {}
    title = "Modifier l'activité" if activity else "Ajouter une activité"
    return visitor.render(
        "activities/form.html",
        {
            "section": "structure",
            "managed": managed,
            "current": "activites",
            "breadcrumb": _breadcrumb(managed, (title, "")),
            "title": title,
            "activity": activity,
            "action": managed.href(
                f"/activites/{activity['id']}" if activity else "/activites/nouvelle"
            ),
            "values": values,
            "errors": errors,
            "field_errors": [(k, m) for k, m in errors.items() if k != "_"],
            "sector_groups": view.filtered_groups(
                sectors, values.get("secteur_filtre", ""), values.get("sector", "")
            ),
            "sector_filtered": bool(values.get("secteur_filtre")),
            "sector_name": sectors.names.get(values.get("sector", ""), ""),
            "presta_types": view.PRESTA_TYPES,
            "ranges": RANGES,
            "zone_names": await zone_labels(visitor, values.get("zones", [])),
            "city": managed.structure.get("city") or "",
            "notice": notice,
            "changes": changes or [],
        },
        status_code=status_code,
    )


@router.get(BASE, response_class=HTMLResponse)
async def activities_page(
    visitor: SignedInDep,
    structure_id: int = StructureId,
    fait: str | None = Query(default=None, max_length=20),
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    return await _list_page(visitor, managed, fait)


@router.get(BASE + "/secteurs", response_class=HTMLResponse)
async def sector_choices(
    visitor: SignedInDep,
    structure_id: int = StructureId,
    secteur_filtre: str = Query(default="", max_length=100),
    sector: str = Query(default="", max_length=128),
) -> HTMLResponse:
    """The sector select, filtered by the words typed (htmx swaps it in place)."""
    await managed_structure(visitor, structure_id)
    sectors = await sector_catalogue(visitor.state.api, visitor.client_ip)
    groups = view.filtered_groups(sectors, secteur_filtre, sector)
    return visitor.render(
        "activities/_sector.html",
        {
            "sector_groups": groups,
            "sector_filtered": bool(secteur_filtre.strip()),
            "values": {"sector": sector, "secteur_filtre": secteur_filtre},
            "errors": {},
        },
    )


@router.get(BASE + "/nouvelle", response_class=HTMLResponse)
async def new_activity(visitor: SignedInDep, structure_id: int = StructureId) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    return await _form(visitor, managed, None, view.activity_values(None))


@router.post(BASE + "/nouvelle", response_model=None)
async def create_activity(
    visitor: SignedInDep, form: CheckedForm, structure_id: int = StructureId
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    return await _save(visitor, managed, None, form)


@router.get(BASE + "/{activity_id}", response_class=HTMLResponse)
async def edit_activity(
    visitor: SignedInDep, structure_id: int = StructureId, activity_id: int = ActivityId
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    activity = await _activity(visitor, structure_id, activity_id)
    if activity is None:
        return await _list_page(
            visitor, managed, warning="Cette activité n'existe plus.", status_code=404
        )
    return await _form(visitor, managed, activity, view.activity_values(activity))


@router.post(BASE + "/{activity_id}", response_model=None)
async def update_activity(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    activity_id: int = ActivityId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    activity = await _activity(visitor, structure_id, activity_id)
    return await _save(visitor, managed, activity, form, activity_id)


async def _save(
    visitor: Visitor,
    managed: Managed,
    activity: dict[str, Any] | None,
    form: CheckedForm,
    activity_id: int | None = None,
) -> Response:
    typed = view.read_activity(form)
    action = form.get("action")
    ranged = read_range(form)
    adding = action == "ajouter-zones"
    ranged = await complete_range(visitor, ranged, adding_zones=adding)
    values = {**typed.values, **ranged.values}
    if activity_id is not None and activity is None:
        notice = (
            "Cette activité a été retirée entre-temps par quelqu'un d'autre. Vos saisies sont "
            "conservées : enregistrez-les pour la déclarer de nouveau."
        )
        return await _form(visitor, managed, None, values, {}, 409, notice)
    if action in ("filtrer-secteurs", "ajouter-zones") or form.get("retirer_zone"):
        # Without scripts, these buttons come back to the form as it was typed.
        errors = ranged.errors if adding and values["ou"] else {}
        return await _form(visitor, managed, activity, values, errors)
    errors = {**typed.errors, **ranged.errors}
    if errors:
        return await _form(visitor, managed, activity, values, errors, 422)
    body = {
        "sector": values["sector"],
        "presta_types": values["presta_types"],
        **(ranged.body or {}),
    }
    try:
        if activity is None:
            await visitor.state.api.send(
                "POST", f"/structures/{managed.id}/activities", json=body, **calls(visitor)
            )
        else:
            await visitor.state.api.send(
                "PATCH",
                f"/structures/{managed.id}/activities/{activity['id']}",
                json=body,
                headers=if_match(form.get("version")),
                **calls(visitor),
            )
    except ApiProblem as problem:
        if problem.status == 412 and activity is not None:
            return await _conflict(visitor, managed, activity, values)
        if problem.status == 404 and activity is not None:
            return await _form(visitor, managed, None, values, {"_": problem.detail}, 409)
        if problem.status not in (400, 409, 422):
            raise
        return await _form(visitor, managed, activity, values, view.activity_errors(problem), 422)
    done = "ajoutee" if activity is None else "modifiee"
    return redirect(managed.href(f"/activites?fait={done}"))


async def _conflict(
    visitor: Visitor, managed: Managed, loaded: dict[str, Any], values: dict[str, Any]
) -> Response:
    """Someone saved first: their version, what they changed, the user's typing kept."""
    current = await _activity(visitor, managed.id, int(loaded["id"]))
    if current is None:
        notice = (
            "Cette activité a été retirée entre-temps par quelqu'un d'autre. Vos saisies sont "
            "conservées : enregistrez-les pour la déclarer de nouveau."
        )
        return await _form(visitor, managed, None, values, {}, 409, notice)
    sectors = await sector_catalogue(visitor.state.api, visitor.client_ip)
    keys = [zone_key(z) for z in current.get("zones") or []]
    before = values.get("loaded") or ""
    names = await zone_labels(visitor, [*keys, *_loaded_zone_keys(before)])
    changes = view.changes_since(before, current, sectors, names)
    values = {**values, "loaded": view.loaded_state(current), "version": str(current["version"])}
    return await _form(visitor, managed, current, values, {}, 409, CONFLICT, changes)


def _loaded_zone_keys(loaded: str) -> list[str]:
    try:
        zones = json.loads(loaded).get("zones") if loaded else []
    except (ValueError, AttributeError):
        return []
    return [str(z) for z in zones or []]


@router.post(BASE + "/{activity_id}/confirmer", response_model=None)
async def confirm_activity(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    activity_id: int = ActivityId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    try:
        await visitor.state.api.send(
            "POST",
            f"/structures/{structure_id}/activities/{activity_id}/confirm",
            headers=if_match(form.get("version")),
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status not in (404, 412):
            raise
        return await _list_page(
            visitor, managed, warning=stale_warning(problem, "Cette activité"), status_code=409
        )
    return redirect(managed.href("/activites?fait=confirmee"))


@router.get(BASE + "/{activity_id}/retirer", response_class=HTMLResponse)
async def remove_activity_page(
    visitor: SignedInDep, structure_id: int = StructureId, activity_id: int = ActivityId
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    activity = await _activity(visitor, structure_id, activity_id)
    if activity is None:
        return await _list_page(
            visitor, managed, warning="Cette activité n'existe plus.", status_code=404
        )
    sectors = await sector_catalogue(visitor.state.api, visitor.client_ip)
    labels = await zone_labels(visitor, [zone_key(z) for z in activity.get("zones") or []])
    return visitor.render(
        "activities/remove.html",
        {
            "section": "structure",
            "managed": managed,
            "current": "activites",
            "breadcrumb": _breadcrumb(managed, ("Retirer une activité", "")),
            "activity": activity,
            "sector_name": sectors.names.get(activity["sector"], activity["sector"]),
            "presta_label": view.presta_labels(activity["presta_types"]),
            "where": range_summary(activity, labels, str(managed.structure.get("city") or "")),
        },
    )


@router.post(BASE + "/{activity_id}/retirer", response_model=None)
async def remove_activity(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    activity_id: int = ActivityId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    try:
        await visitor.state.api.send(
            "DELETE",
            f"/structures/{structure_id}/activities/{activity_id}",
            headers=if_match(form.get("version")),
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status not in (404, 412):
            raise
        return await _list_page(
            visitor, managed, warning=stale_warning(problem, "Cette activité"), status_code=409
        )
    return redirect(managed.href("/activites?fait=retiree"))
