"""Pages: a managed structure's offers — list, add, edit, show or hide from buyers, remove after
confirming; each offer's photos with their text alternative, checked by the media API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from services.web import offers_view as view
from services.web.activities_view import PRESTA_TYPES, filtered_groups
from services.web.api import ApiProblem
from services.web.manage_view import Managed, calls, if_match, managed_structure, stale_warning
from services.web.ranges_view import (
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
OfferId = Path(ge=1, le=2**31 - 1)
PhotoId = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
BASE = "/espace-structure/{structure_id}/offres"
CONFLICT = (
    "Cette offre a été modifiée par quelqu'un d'autre depuis que vous avez ouvert ce "
    "formulaire. Vos saisies sont conservées ci-dessous ; vérifiez-les puis enregistrez de "
    "nouveau pour les appliquer."
)
GONE = (
    "Cette offre a été retirée entre-temps par quelqu'un d'autre. Vos saisies sont conservées : "
    "enregistrez-les pour la publier de nouveau."
)


async def _offers(visitor: Visitor, structure_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = await visitor.state.api.get(
        f"/structures/{structure_id}/offers", **calls(visitor)
    )
    return found


async def _offer(visitor: Visitor, structure_id: int, offer_id: int) -> dict[str, Any] | None:
    return next((o for o in await _offers(visitor, structure_id) if o["id"] == offer_id), None)


def _breadcrumb(managed: Managed, *more: tuple[str, str]) -> list[tuple[str, str]]:
    return [
        ("Espace structure", "/espace-structure"),
        (managed.name, managed.href()),
        ("Offres", managed.href("/offres") if more else ""),
        *more,
    ]


def _delivery(offer: dict[str, Any], labels: dict[str, str], city: str) -> str:
    zone = offer.get("delivery_zone")
    if not offer.get("delivery_zone_inherited"):
        return range_summary(zone, labels, city)
    if zone:
        return range_summary(zone, labels, city) + " (comme l'activité du même secteur)"
    return (
        "Non précisée : déclarez une activité de ce secteur ou indiquez où vous livrez cette offre"
    )


async def _list_page(
    visitor: Visitor,
    managed: Managed,
    done: str | None = None,
    warning: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    offers = await _offers(visitor, managed.id)
    sectors = await sector_catalogue(visitor.state.api, visitor.client_ip)
    labels = await zone_labels(
        visitor,
        [zone_key(z) for o in offers for z in (o.get("delivery_zone") or {}).get("zones") or []],
    )
    city = str(managed.structure.get("city") or "")
    rows = [
        {
            **o,
            "sector_name": sectors.names.get(o["sector"], o["sector"]),
            "presta_label": dict(PRESTA_TYPES).get(o["presta_type"], o["presta_type"]),
            "where": _delivery(o, labels, city),
            "pictures": [view.photo_of(p) for p in o.get("photos") or []],
        }
        for o in offers
    ]
    return visitor.render(
        "offers/index.html",
        {
            "section": "structure",
            "managed": managed,
            "current": "offres",
            "breadcrumb": _breadcrumb(managed),
            "offers": rows,
            "done": view.DONE.get(done or ""),
            "warning": warning,
        },
        status_code=status_code,
    )


async def _form(
    visitor: Visitor,
    managed: Managed,
    offer: dict[str, Any] | None,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    notice: str | None = None,
    changes: list[tuple[str, str, str]] | None = None,
    photo_errors: dict[str, str] | None = None,
    photo_values: dict[str, str] | None = None,
    done: str | None = None,
) -> HTMLResponse:
    sectors = await sector_catalogue(visitor.state.api, visitor.client_ip)
    title = "Modifier l'offre" if offer else "Ajouter une offre"
    return visitor.render(
        "offers/form.html",
        {
            "section": "structure",
            "managed": managed,
            "current": "offres",
            "breadcrumb": _breadcrumb(managed, (title, "")),
            "title": title,
            "offer": offer,
            "action": managed.href(f"/offres/{offer['id']}" if offer else "/offres/nouvelle"),
            "values": values,
            "errors": errors or {},
            "sector_groups": filtered_groups(
                sectors, values.get("secteur_filtre", ""), values.get("sector", "")
            ),
            "sector_filtered": bool(values.get("secteur_filtre")),
            "presta_types": PRESTA_TYPES,
            "ranges": view.DELIVERY_RANGES,
            "zone_names": await zone_labels(visitor, values.get("zones", [])),
            "city": managed.structure.get("city") or "",
            "notice": notice,
            "changes": changes or [],
            "pictures": [view.photo_of(p) for p in (offer or {}).get("photos") or []],
            "max_photos": view.MAX_PHOTOS,
            "photo_errors": photo_errors or {},
            "photo_values": photo_values or {},
            "done": view.DONE.get(done or ""),
        },
        status_code=status_code,
    )


@router.get(BASE, response_class=HTMLResponse)
async def offers_page(
    visitor: SignedInDep,
    structure_id: int = StructureId,
    fait: str | None = Query(default=None, max_length=20),
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    return await _list_page(visitor, managed, fait)


@router.get(BASE + "/nouvelle", response_class=HTMLResponse)
async def new_offer(visitor: SignedInDep, structure_id: int = StructureId) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    return await _form(visitor, managed, None, view.offer_values(None))


@router.post(BASE + "/nouvelle", response_model=None)
async def create_offer(
    visitor: SignedInDep, form: CheckedForm, structure_id: int = StructureId
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    return await _save(visitor, managed, None, form)


@router.get(BASE + "/{offer_id}", response_class=HTMLResponse)
async def edit_offer(
    visitor: SignedInDep,
    structure_id: int = StructureId,
    offer_id: int = OfferId,
    fait: str | None = Query(default=None, max_length=20),
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    offer = await _offer(visitor, structure_id, offer_id)
    if offer is None:
        return await _list_page(
            visitor, managed, warning="Cette offre n'existe plus.", status_code=404
        )
    return await _form(visitor, managed, offer, view.offer_values(offer), done=fait)


@router.post(BASE + "/{offer_id}", response_model=None)
async def update_offer(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    offer_id: int = OfferId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    offer = await _offer(visitor, structure_id, offer_id)
    if offer is None:
        typed = view.read_offer(form)
        ranged = await complete_range(visitor, read_range(form, allow_inherit=True))
        return await _form(visitor, managed, None, {**typed.values, **ranged.values}, {}, 409, GONE)
    return await _save(visitor, managed, offer, form)


async def _save(
    visitor: Visitor, managed: Managed, offer: dict[str, Any] | None, form: CheckedForm
) -> Response:
    typed = view.read_offer(form)
    action = form.get("action")
    adding = action == "ajouter-zones"
    ranged = await complete_range(
        visitor, read_range(form, allow_inherit=True), adding_zones=adding
    )
    values = {**typed.values, **ranged.values}
    if action in ("filtrer-secteurs", "ajouter-zones") or form.get("retirer_zone"):
        # Without scripts, these buttons come back to the form as it was typed.
        errors = ranged.errors if adding and values["ou"] else {}
        return await _form(visitor, managed, offer, values, errors)
    errors = {**typed.errors, **ranged.errors}
    if errors:
        return await _form(visitor, managed, offer, values, errors, 422)
    body = {**typed.body, "delivery_zone": ranged.body}
    try:
        if offer is None:
            created = await visitor.state.api.post(
                f"/structures/{managed.id}/offers", body, **calls(visitor)
            )
            offer_id = int(created["id"])
        else:
            await visitor.state.api.send(
                "PATCH",
                f"/structures/{managed.id}/offers/{offer['id']}",
                json=body,
                headers=if_match(form.get("version")),
                **calls(visitor),
            )
            offer_id = int(offer["id"])
    except ApiProblem as problem:
        if problem.status == 412 and offer is not None:
            return await _conflict(visitor, managed, offer, values)
        if problem.status == 404 and offer is not None:
            return await _form(visitor, managed, None, values, {}, 409, GONE)
        if problem.status not in (400, 409, 422):
            raise
        return await _form(visitor, managed, offer, values, view.offer_errors(problem), 422)
    if offer is None:
        # A new offer goes on to its photos.
        return redirect(managed.href(f"/offres/{offer_id}?fait=ajoutee#photos"))
    return redirect(managed.href("/offres?fait=modifiee"))


async def _conflict(
    visitor: Visitor, managed: Managed, loaded: dict[str, Any], values: dict[str, Any]
) -> Response:
    current = await _offer(visitor, managed.id, int(loaded["id"]))
    if current is None:
        return await _form(visitor, managed, None, values, {}, 409, GONE)
    sectors = await sector_catalogue(visitor.state.api, visitor.client_ip)
    changes = view.changes_since(values.get("loaded") or "", current, sectors.names)
    values = {**values, "loaded": view.loaded_state(current), "version": str(current["version"])}
    return await _form(visitor, managed, current, values, {}, 409, CONFLICT, changes)


@router.post(BASE + "/{offer_id}/visibilite", response_model=None)
async def toggle_offer(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    offer_id: int = OfferId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    active = form.get("is_active") == "1"
    try:
        await visitor.state.api.send(
            "PATCH",
            f"/structures/{structure_id}/offers/{offer_id}",
            json={"is_active": active},
            headers=if_match(form.get("version")),
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status not in (404, 412):
            raise
        return await _list_page(
            visitor, managed, warning=stale_warning(problem, "Cette offre"), status_code=409
        )
    return redirect(managed.href(f"/offres?fait={'activee' if active else 'desactivee'}"))


@router.get(BASE + "/{offer_id}/retirer", response_class=HTMLResponse)
async def remove_offer_page(
    visitor: SignedInDep, structure_id: int = StructureId, offer_id: int = OfferId
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    offer = await _offer(visitor, structure_id, offer_id)
    if offer is None:
        return await _list_page(
            visitor, managed, warning="Cette offre n'existe plus.", status_code=404
        )
    return visitor.render(
        "offers/remove.html",
        {
            "section": "structure",
            "managed": managed,
            "current": "offres",
            "breadcrumb": _breadcrumb(managed, ("Retirer une offre", "")),
            "offer": offer,
        },
    )


@router.post(BASE + "/{offer_id}/retirer", response_model=None)
async def remove_offer(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    offer_id: int = OfferId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    try:
        await visitor.state.api.send(
            "DELETE",
            f"/structures/{structure_id}/offers/{offer_id}",
            headers=if_match(form.get("version")),
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status not in (404, 412):
            raise
        return await _list_page(
            visitor, managed, warning=stale_warning(problem, "Cette offre"), status_code=409
        )
    return redirect(managed.href("/offres?fait=retiree"))


@router.post(BASE + "/{offer_id}/photos", response_model=None)
async def add_photo(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    offer_id: int = OfferId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    offer = await _offer(visitor, structure_id, offer_id)
    if offer is None:
        return await _list_page(
            visitor, managed, warning="Cette offre n'existe plus.", status_code=404
        )
    alt = form.get("alt")
    alt = " ".join(alt.split()) if isinstance(alt, str) else ""
    upload = form.get("photo")
    errors: dict[str, str] = {}
    data = b""
    declared = None
    if isinstance(upload, UploadFile) and upload.filename:
        data = await upload.read(view.MAX_PHOTO_BYTES + 1)
        declared = upload.content_type
        refused = view.check_photo(data, declared)
        if refused:
            errors["photo"] = refused
    else:
        errors["photo"] = "Choisissez une photo (PNG, JPEG ou WebP, 5 Mio au plus)."
    if alt_error := view.check_alt(alt):
        errors["alt"] = alt_error
    if not errors:
        try:
            await visitor.state.api.send(
                "POST",
                f"/structures/{structure_id}/offers/{offer_id}/photos",
                params={"alt": alt},
                content=data,
                headers={"Content-Type": declared or "application/octet-stream"},
                **calls(visitor),
            )
        except ApiProblem as problem:
            if problem.status not in (400, 404, 409, 413, 415, 422):
                raise
            fields = problem.by_field()
            if "alt" in fields:
                errors["alt"] = fields["alt"]
            else:
                # The API's sentence names the refusal in full (« … n'est pas une image … »).
                errors["photo"] = problem.detail or fields.get("file") or problem.title
    if errors:
        return await _form(
            visitor,
            managed,
            offer,
            view.offer_values(offer),
            status_code=422,
            photo_errors=errors,
            photo_values={"alt": alt},
        )
    return redirect(managed.href(f"/offres/{offer_id}?fait=photo#photos"))


@router.get(BASE + "/{offer_id}/photos/{photo_id}/retirer", response_class=HTMLResponse)
async def remove_photo_page(
    visitor: SignedInDep,
    structure_id: int = StructureId,
    offer_id: int = OfferId,
    photo_id: str = PhotoId,
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    offer = await _offer(visitor, structure_id, offer_id)
    pictures = [view.photo_of(p) for p in (offer or {}).get("photos") or []]
    picture = next((p for p in pictures if str(p["id"]) == photo_id), None)
    if offer is None or picture is None:
        return await _list_page(
            visitor, managed, warning="Cette photo n'existe plus.", status_code=404
        )
    return visitor.render(
        "offers/remove_photo.html",
        {
            "section": "structure",
            "managed": managed,
            "current": "offres",
            "breadcrumb": _breadcrumb(managed, ("Retirer une photo", "")),
            "offer": offer,
            "picture": picture,
        },
    )


@router.post(BASE + "/{offer_id}/photos/{photo_id}/retirer", response_model=None)
async def remove_photo(
    visitor: SignedInDep,
    form: CheckedForm,
    structure_id: int = StructureId,
    offer_id: int = OfferId,
    photo_id: str = PhotoId,
) -> Response:
    managed = await managed_structure(visitor, structure_id)
    try:
        await visitor.state.api.send(
            "DELETE",
            f"/structures/{structure_id}/offers/{offer_id}/photos/{photo_id}",
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status != 404:
            raise
        return await _list_page(
            visitor, managed, warning="Cette photo était déjà retirée.", status_code=409
        )
    return redirect(managed.href(f"/offres/{offer_id}?fait=photo-retiree#photos"))
