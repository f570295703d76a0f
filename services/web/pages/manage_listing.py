"""Pages: a structure's listing editor (identity, presentation, contact, address, figures,
labels, networks, client references, logo and photos), its saving with the version it was read
at (and the conflict shown when someone saved in between), its indexing, delisting by staff;
and the stored images served from the website's origin."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from services.common.params import IdPath
from services.web.api import ApiProblem, FieldProblem
from services.web.listing_view import (
    MAX_ALT,
    MAX_PHOTOS,
    ListingForm,
    Merge,
    api_errors,
    differences,
    form_of,
    kind_options,
    merge,
    pick_commune,
    typed_form,
    update_of,
)
from services.web.manage_view import (
    Managed,
    NotYourStructure,
    calls,
    is_staff,
    managed_structure,
)
from services.web.media import (
    MEDIA_ID,
    NOTHING_CHOSEN,
    Upload,
    read_upload,
    refusal,
    send_logo,
    send_photo,
    stored_image,
)
from services.web.state import web_state
from services.web.templating import french_date
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()
PARIS = ZoneInfo("Europe/Paris")
POSTCODE = re.compile(r"^[0-9]{5}$")
NOTICES = {
    "logo": "Logo enregistré.",
    "logo-retire": "Logo retiré.",
    "photo": "Photo ajoutée.",
    "photo-retiree": "Photo retirée.",
}


def _breadcrumb(managed: Managed) -> list[tuple[str, str]]:
    return [
        ("Ma structure", "/espace-structure"),
        (managed.name, managed.href()),
        ("Fiche et présentation", ""),
    ]


def _editor(
    visitor: Visitor,
    managed: Managed,
    typed: ListingForm,
    *,
    errors: dict[str, str] | None = None,
    problem: ApiProblem | None = None,
    conflict: Merge | None = None,
    saved: bool = False,
    notice: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    structure = managed.structure
    photos = [
        {**photo, "typed_alt": typed.photo_alts.get(str(photo.get("id")), photo.get("alt") or "")}
        for photo in structure.get("photos") or []
    ]
    references = typed.references or [{"name": "", "description": ""}]
    return visitor.render(
        "listing/edit.html",
        {
            "section": "structure",
            "breadcrumb": _breadcrumb(managed),
            "managed": managed,
            "current": "fiche",
            "structure": structure,
            "values": typed.values,
            "references": references,
            "version": typed.version,
            "loaded": typed.loaded_json(),
            "photos": photos,
            "logo": structure.get("logo"),
            "max_photos": MAX_PHOTOS,
            "kinds": kind_options(),
            "errors": errors or {},
            "problem": problem,
            "conflict": conflict,
            "saved": saved,
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/espace-structure/{structure_id}/fiche", response_class=HTMLResponse)
async def listing_editor(
    visitor: SignedInDep,
    structure_id: IdPath,
    enregistre: Annotated[str | None, Query(max_length=20)] = None,
    media: Annotated[str | None, Query(max_length=20)] = None,
) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    return _editor(
        visitor,
        managed,
        form_of(managed.structure),
        saved=enregistre is not None,
        notice=NOTICES.get(media or ""),
    )


def _refused(title: str, errors: dict[str, str]) -> ApiProblem:
    """The summary above the form: each message, so that nothing is missed on a long page."""
    return ApiProblem(
        status=400,
        title=title,
        errors=[FieldProblem(name, message) for name, message in errors.items()],
    )


async def _resolve_commune(
    visitor: Visitor, typed: ListingForm, saved: ListingForm, update: dict[str, Any]
) -> dict[str, str]:
    """The commune, when the postcode or the city changed: found from the postcode (and the
    name, when several communes share it)."""
    postcode = typed.values["postcode"].strip()
    city = typed.values["city"].strip()
    if postcode == saved.values["postcode"] and city == saved.values["city"]:
        return {}
    if not postcode:
        return {"postcode": "Indiquez le code postal de la commune."}
    if not POSTCODE.match(postcode):
        return {"postcode": "Le code postal compte 5 chiffres (par exemple 93200)."}
    candidates = await visitor.state.api.get(
        "/reference/communes", params={"q": postcode}, **calls(visitor)
    )
    commune, message = pick_commune(candidates, postcode, city)
    if commune is None:
        return {"city" if "Plusieurs" in (message or "") else "postcode": message or ""}
    update["postcode"], update["commune_code"] = postcode, str(commune["code"])
    typed.values["city"] = str(commune.get("name") or city)
    return {}


def _alt_changes(
    typed: ListingForm, structure: dict[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """The photos whose alternative text was changed, and the texts too long."""
    changed: dict[str, str] = {}
    errors: dict[str, str] = {}
    for photo in structure.get("photos") or []:
        photo_id = str(photo.get("id"))
        alt = typed.photo_alts.get(photo_id)
        if alt is None or alt.strip() == (photo.get("alt") or ""):
            continue
        if len(alt.strip()) > MAX_ALT:
            errors[f"photo_alt_{photo_id}"] = f"{MAX_ALT} caractères au plus."
        else:
            changed[photo_id] = alt.strip()
    return changed, errors


async def _save_media(
    visitor: Visitor,
    managed: Managed,
    typed: ListingForm,
    logo: Upload | None,
    photo: Upload | None,
    photo_alt: str,
) -> dict[str, str]:
    """The photos' texts, the logo and the photo chosen with the listing: each refusal beside
    its field."""
    errors: dict[str, str] = {}
    api = visitor.state.api
    changed, _too_long = _alt_changes(typed, managed.structure)
    for photo_id, alt in changed.items():
        try:
            await api.send(
                "PATCH",
                f"/structures/{managed.id}/photos/{photo_id}",
                json={"alt": alt},
                **calls(visitor),
            )
        except ApiProblem as problem:
            errors[f"photo_alt_{photo_id}"] = refusal(problem)
    if logo is not None and (message := await send_logo(visitor, managed.id, logo)):
        errors["logo"] = message
    if photo is not None and (message := await send_photo(visitor, managed.id, photo, photo_alt)):
        errors["photo"] = message
    return errors


async def _save(visitor: Visitor, managed: Managed, form: FormData, typed: ListingForm) -> Response:
    staff = managed.is_staff
    saved_form = form_of(managed.structure)
    update, errors = update_of(typed, staff)
    errors |= await _resolve_commune(visitor, typed, saved_form, update)
    errors |= _alt_changes(typed, managed.structure)[1]
    # Files are checked before anything is saved: one refused at once says so beside its field.
    logo, message = await read_upload(form.get("logo"))
    if message:
        errors["logo"] = message
    photo, message = await read_upload(form.get("photo"))
    if message:
        errors["photo"] = message
    photo_alt = str(form.get("photo_alt") or "").strip()
    if len(photo_alt) > MAX_ALT:
        errors["photo_alt"] = f"{MAX_ALT} caractères au plus."
    if errors:
        return _editor(
            visitor,
            managed,
            typed,
            errors=errors,
            problem=_refused("La fiche n'a pas été enregistrée : corrigez ces champs", errors),
            status_code=400,
        )
    try:
        await visitor.state.api.send(
            "PATCH",
            f"/structures/{managed.id}",
            json=update,
            headers={"If-Match": f'"v{typed.version}"'},
            **calls(visitor),
        )
    except ApiProblem as problem:
        if problem.status == 412:
            return await _conflict(visitor, managed.id, typed)
        found = api_errors([(e.field, e.message) for e in problem.errors])
        return _editor(
            visitor,
            managed,
            typed,
            errors=found,
            problem=problem,
            status_code=problem.status if problem.status in (403, 409) else 400,
        )
    media_errors = await _save_media(visitor, managed, typed, logo, photo, photo_alt)
    if media_errors:
        fresh = await managed_structure(visitor, managed.id)
        kept = form_of(fresh.structure)
        kept.photo_alts |= {
            k: v for k, v in typed.photo_alts.items() if f"photo_alt_{k}" in media_errors
        }
        return _editor(
            visitor,
            fresh,
            kept,
            errors=media_errors,
            problem=_refused(
                "La fiche est enregistrée, mais un fichier ou un texte a été refusé",
                media_errors,
            ),
            saved=True,
            status_code=400,
        )
    return redirect(f"{managed.href('/fiche')}?enregistre=1#enregistrement")


async def _conflict(visitor: Visitor, structure_id: int, typed: ListingForm) -> HTMLResponse:
    """Someone saved in between: both versions side by side, the typed values kept in the
    form, which now carries the new version (saving again keeps what was typed)."""
    fresh = await managed_structure(visitor, structure_id)
    merged = merge(form_of(fresh.structure), typed, fresh.is_staff)
    return _editor(visitor, fresh, typed, conflict=merged, status_code=409)


def _pending_edits(typed: ListingForm, managed: Managed) -> bool:
    saved = form_of(managed.structure)
    return bool(differences(saved, typed, managed.is_staff)) or bool(
        _alt_changes(typed, managed.structure)[0]
    )


async def _media_action(
    visitor: Visitor, managed: Managed, form: FormData, typed: ListingForm, action: str
) -> Response:
    """A logo or photo sent, or removed, on its own: the listing's typed edits stay in the form
    (not saved yet) when there are some."""
    api = visitor.state.api
    errors: dict[str, str] = {}
    done = ""
    if action == "upload_logo":
        logo, message = await read_upload(form.get("logo"))
        message = message or (None if logo else NOTHING_CHOSEN)
        if logo is not None:
            message = await send_logo(visitor, managed.id, logo)
        if message:
            errors["logo"] = message
        done = "logo"
    elif action == "upload_photo":
        photo, message = await read_upload(form.get("photo"))
        message = message or (None if photo else NOTHING_CHOSEN)
        alt = str(form.get("photo_alt") or "").strip()
        if len(alt) > MAX_ALT:
            errors["photo_alt"] = f"{MAX_ALT} caractères au plus."
        elif photo is not None:
            message = await send_photo(visitor, managed.id, photo, alt)
        if message:
            errors["photo"] = message
        done = "photo"
    elif action == "delete_logo":
        await api.send("DELETE", f"/structures/{managed.id}/logo", **calls(visitor))
        done = "logo-retire"
    else:
        photo_id = action.partition(":")[2]
        if MEDIA_ID.match(photo_id):
            try:
                await api.send(
                    "DELETE", f"/structures/{managed.id}/photos/{photo_id}", **calls(visitor)
                )
            except ApiProblem as problem:
                if problem.status != 404:
                    raise
        done = "photo-retiree"
    pending = _pending_edits(typed, managed)
    if not errors and not pending:
        anchor = "logo" if done.startswith("logo") else "photos"
        return redirect(f"{managed.href('/fiche')}?media={done}#{anchor}")
    fresh = await managed_structure(visitor, managed.id)
    # The version the form was read at moves on with this page's own change, not another's.
    if int(managed.structure.get("version") or 0) == typed.version:
        typed.version = int(fresh.structure.get("version") or typed.version)
    return _editor(
        visitor,
        fresh,
        typed,
        errors=errors,
        problem=_refused("Le fichier n'a pas été enregistré", errors) if errors else None,
        notice=None
        if errors
        else f"{NOTICES[done]} Vos autres modifications ne sont pas encore enregistrées.",
        status_code=400 if errors else 200,
    )


@router.post("/espace-structure/{structure_id}/fiche", response_class=HTMLResponse)
async def save_listing(visitor: SignedInDep, form: CheckedForm, structure_id: IdPath) -> Response:
    managed = await managed_structure(visitor, structure_id)
    typed = typed_form(form, managed.is_staff)
    action = str(form.get("action") or "save")
    if action == "add_reference":
        typed.references.append({"name": "", "description": ""})
        return _editor(visitor, managed, typed)
    if action.startswith("remove_reference:"):
        index = action.partition(":")[2]
        if index.isdigit() and int(index) < len(typed.references):
            typed.references.pop(int(index))
        return _editor(visitor, managed, typed)
    if action in ("upload_logo", "upload_photo", "delete_logo") or action.startswith(
        "delete_photo:"
    ):
        return await _media_action(visitor, managed, form, typed, action)
    return await _save(visitor, managed, form, typed)


def _indexing_time(value: Any) -> str:
    """« 14:02:05 » in French time (with the day when it was not today)."""
    if not isinstance(value, str) or not value:
        return ""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return ""
    local = moment.astimezone(PARIS)
    today = datetime.now(PARIS).date()
    clock = local.strftime("%H:%M:%S")
    return clock if local.date() == today else f"le {french_date(local)} à {clock}"


async def _indexing(visitor: Visitor, structure_id: int) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = await visitor.state.api.get(
            f"/structures/{structure_id}/indexing", **calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status in (403,):
            raise NotYourStructure from problem
        return None
    state["since"] = _indexing_time(state.get("last_indexed_at"))
    return state


@router.get("/espace-structure/{structure_id}/indexation", response_class=HTMLResponse)
async def indexing_status(visitor: SignedInDep, structure_id: IdPath) -> HTMLResponse:
    managed = await managed_structure(visitor, structure_id)
    indexing = await _indexing(visitor, structure_id)
    context = {
        "managed": managed,
        "indexing": indexing,
        "indexing_unavailable": indexing is None,
    }
    if visitor.is_htmx:
        return visitor.render("manage/_indexing.html", context)
    return visitor.render(
        "listing/indexing.html",
        {
            **context,
            "section": "structure",
            "current": "fiche",
            "breadcrumb": [
                ("Ma structure", "/espace-structure"),
                (managed.name, managed.href()),
                ("Visibilité dans la recherche", ""),
            ],
        },
    )


def _staff_only(visitor: Visitor) -> None:
    if not is_staff(visitor):
        raise NotYourStructure


@router.get("/espace-structure/{structure_id}/fiche/retrait", response_class=HTMLResponse)
async def confirm_delisting(visitor: SignedInDep, structure_id: IdPath) -> HTMLResponse:
    _staff_only(visitor)
    managed = await managed_structure(visitor, structure_id)
    return visitor.render(
        "listing/delist.html",
        {
            "section": "structure",
            "breadcrumb": [*_breadcrumb(managed)[:-1], ("Retirer de la recherche", "")],
            "managed": managed,
            "current": "fiche",
            "version": managed.structure.get("version"),
        },
    )


async def _set_listed(
    visitor: Visitor, structure_id: int, form: FormData, listed: bool
) -> HTMLResponse:
    _staff_only(visitor)
    version = str(form.get("version") or "")
    problem: ApiProblem | None = None
    structure: dict[str, Any] | None = None
    try:
        response = await visitor.state.api.send(
            "PATCH",
            f"/structures/{structure_id}",
            json={"is_active": listed},
            headers={"If-Match": f'"v{version if version.isdigit() else 0}"'},
            **calls(visitor),
        )
        structure = response.json()
    except ApiProblem as refused:
        if refused.status == 404:
            raise
        problem = refused
    return visitor.render(
        "listing/delisted.html",
        {
            "section": "structure",
            "breadcrumb": [("Ma structure", "/espace-structure"), ("Statut de la fiche", "")],
            "structure_id": structure_id,
            "structure": structure,
            "listed": listed,
            "problem": problem,
            "version": (structure or {}).get("version"),
        },
        status_code=409 if problem else 200,
    )


@router.post("/espace-structure/{structure_id}/fiche/retrait", response_class=HTMLResponse)
async def delist(visitor: SignedInDep, form: CheckedForm, structure_id: IdPath) -> HTMLResponse:
    return await _set_listed(visitor, structure_id, form, listed=False)


@router.post("/espace-structure/{structure_id}/fiche/remise-en-ligne", response_class=HTMLResponse)
async def relist(visitor: SignedInDep, form: CheckedForm, structure_id: IdPath) -> HTMLResponse:
    return await _set_listed(visitor, structure_id, form, listed=True)


@router.get("/medias/{media_id}")
async def media_file(
    request: Request, media_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,128}$")]
) -> Response:
    """No session is read: an image is the same for everyone."""
    return await stored_image(request, web_state(request).api, media_id)
