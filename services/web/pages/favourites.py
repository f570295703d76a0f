"""Pages: a buyer's favourite lists — create, rename, delete, add and remove suppliers, export."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response

from services.web.api import ApiProblem, ApiUnavailable, relayed
from services.web.lists_view import (
    DEFAULT_LIST_NAME,
    NEW_LIST,
    clean_name,
    form_errors,
    last_used,
    safe_return,
    summary,
)
from services.web.visitor import CheckedForm, SignedInDep, Visitor, redirect

router = APIRouter()
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": "application/octet-stream"}


def _calls(visitor: Visitor) -> dict[str, Any]:
    return {"user": visitor.user, "client_ip": visitor.client_ip}


def _breadcrumb(*more: tuple[str, str]) -> list[tuple[str, str]]:
    return [("Mes listes", "/listes"), *more]


async def _my_lists(visitor: Visitor) -> list[dict[str, Any]]:
    lists: list[dict[str, Any]] = await visitor.state.api.get("/favourites", **_calls(visitor))
    return lists


def _structure_id(value: object) -> int | None:
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isdigit() and len(text) < 12 else None


async def _index(
    visitor: Visitor,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: ApiProblem | None = None,
) -> HTMLResponse:
    return visitor.render(
        "favourites/index.html",
        {
            "section": "listes",
            "breadcrumb": [("Mes listes", "/listes")],
            "lists": await _my_lists(visitor),
            "values": values or {},
            "errors": errors or {},
            "problem": summary(problem, errors),
        },
        status_code=400 if errors else 200,
    )


@router.get("/listes", response_class=HTMLResponse)
async def my_lists(visitor: SignedInDep) -> HTMLResponse:
    return await _index(visitor)


@router.post("/listes", response_class=HTMLResponse)
async def create_list(visitor: SignedInDep, form: CheckedForm) -> Response:
    name = clean_name(form.get("name"))
    values = {"name": str(form.get("name") or "")}
    if not name:
        return await _index(visitor, values, {"name": "Donnez un nom à la liste."})
    try:
        created = await visitor.state.api.post("/favourites", {"name": name}, **_calls(visitor))
    except ApiProblem as problem:
        return await _index(visitor, values, form_errors(problem), problem)
    return redirect(f"/listes/{created['id']}")


async def _add_page(
    visitor: Visitor,
    structure: dict[str, Any],
    back: str,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: ApiProblem | None = None,
) -> HTMLResponse:
    lists = await _my_lists(visitor)
    latest = last_used(lists)
    chosen = dict(values or {})
    chosen.setdefault("liste", str(latest["id"]) if latest else NEW_LIST)
    return visitor.render(
        "favourites/add.html",
        {
            "section": "listes",
            "breadcrumb": _breadcrumb(("Ajouter à une liste", "")),
            "structure": structure,
            "favourite_lists": lists,
            "last_list": latest,
            "retour": back,
            "values": chosen,
            "errors": errors or {},
            "problem": summary(problem, errors),
        },
        status_code=400 if errors else 200,
    )


@router.get("/listes/ajouter", response_class=HTMLResponse)
async def add_form(
    visitor: SignedInDep,
    structure_id: Annotated[int, Query(ge=1, lt=10**11)],
    retour: Annotated[str | None, Query(max_length=2000)] = None,
) -> HTMLResponse:
    found = await visitor.state.api.get(f"/structures/{structure_id}", **_calls(visitor))
    structure = {"id": structure_id, "name": str(found.get("name", ""))}
    return await _add_page(visitor, structure, safe_return(retour, f"/structures/{structure_id}"))


async def _target_list(
    visitor: Visitor, choice: str, new_name: str
) -> tuple[dict[str, Any] | None, dict[str, str], ApiProblem | None]:
    """The list a structure goes to: a new one, one chosen, or the one used last (made when the
    buyer has none). Returns the list, or the errors to show beside the form's fields."""
    api = visitor.state.api
    if choice == NEW_LIST:
        if not new_name:
            return None, {"name": "Donnez un nom à la nouvelle liste."}, None
        try:
            created = await api.post("/favourites", {"name": new_name}, **_calls(visitor))
        except ApiProblem as problem:
            return None, form_errors(problem), problem
        return created, {}, None
    lists = await _my_lists(visitor)
    if choice:
        chosen = next((row for row in lists if str(row["id"]) == choice), None)
        if chosen is None:
            return None, {"liste": "Cette liste n'existe plus : choisissez-en une autre."}, None
        return chosen, {}, None
    latest = last_used(lists)
    if latest is not None:
        return dict(latest), {}, None
    try:
        created = await api.post("/favourites", {"name": DEFAULT_LIST_NAME}, **_calls(visitor))
    except ApiProblem as problem:
        return None, form_errors(problem, "liste"), problem
    return created, {}, None


@router.post("/listes/ajouter", response_class=HTMLResponse)
async def add_structure(visitor: SignedInDep, form: CheckedForm) -> Response:
    structure_id = _structure_id(form.get("structure_id"))
    if structure_id is None:
        return visitor.render(
            "errors/error.html",
            {
                "status": 400,
                "title": "Structure inconnue",
                "message": "L'identifiant de la structure à ajouter est absent ou incorrect.",
            },
            status_code=400,
        )
    structure = {"id": structure_id, "name": clean_name(form.get("nom_structure"))}
    back = safe_return(str(form.get("retour") or ""), f"/structures/{structure_id}")
    choice = clean_name(form.get("liste"))
    values = {"liste": choice, "name": str(form.get("name") or "")}
    target, errors, problem = await _target_list(visitor, choice, clean_name(form.get("name")))
    if target is not None:
        try:
            await visitor.state.api.send(
                "PUT", f"/favourites/{target['id']}/structures/{structure_id}", **_calls(visitor)
            )
        except ApiProblem as refused:
            errors, problem = {"liste": refused.detail or refused.title}, refused
    if errors:
        if visitor.is_htmx:
            # htmx swaps only successful answers: the error is shown in place, as a 200.
            return visitor.render(
                "favourites/add_button.html",
                {
                    "structure": structure,
                    "favourites_return": back,
                    "favourites_full": form.get("forme") == "complete",
                    "add_error": errors,
                    "add_values": values,
                },
            )
        return await _add_page(visitor, structure, back, values, errors, problem)
    assert target is not None
    if visitor.is_htmx:
        return visitor.render("favourites/added.html", {"structure": structure, "list": target})
    return redirect(back)


async def _list_page(
    visitor: Visitor,
    list_id: int,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    problem: ApiProblem | None = None,
) -> HTMLResponse:
    found = await visitor.state.api.get(f"/favourites/{list_id}", **_calls(visitor))
    return visitor.render(
        "favourites/list.html",
        {
            "section": "listes",
            "breadcrumb": _breadcrumb((str(found["name"]), "")),
            "list": found,
            "values": values or {"name": found["name"]},
            "errors": errors or {},
            "problem": summary(problem, errors),
        },
        status_code=400 if errors else 200,
    )


@router.get("/listes/{list_id}", response_class=HTMLResponse)
async def one_list(visitor: SignedInDep, list_id: int) -> HTMLResponse:
    return await _list_page(visitor, list_id)


@router.post("/listes/{list_id}/renommer", response_class=HTMLResponse)
async def rename_list(visitor: SignedInDep, form: CheckedForm, list_id: int) -> Response:
    name = clean_name(form.get("name"))
    values = {"name": str(form.get("name") or "")}
    if not name:
        return await _list_page(visitor, list_id, values, {"name": "Donnez un nom à la liste."})
    try:
        await visitor.state.api.send(
            "PATCH", f"/favourites/{list_id}", json={"name": name}, **_calls(visitor)
        )
    except ApiProblem as problem:
        if problem.status == 404:
            raise
        return await _list_page(visitor, list_id, values, form_errors(problem), problem)
    return redirect(f"/listes/{list_id}")


@router.post("/listes/{list_id}/retirer", response_class=HTMLResponse)
async def remove_structure(visitor: SignedInDep, form: CheckedForm, list_id: int) -> Response:
    structure_id = _structure_id(form.get("structure_id"))
    if structure_id is not None:
        try:
            await visitor.state.api.send(
                "DELETE", f"/favourites/{list_id}/structures/{structure_id}", **_calls(visitor)
            )
        except ApiProblem as problem:
            # Already gone (removed in another tab): the list as it is now says so.
            if problem.status != 404:
                raise
    return redirect(f"/listes/{list_id}")


@router.get("/listes/{list_id}/supprimer", response_class=HTMLResponse)
async def confirm_delete(visitor: SignedInDep, list_id: int) -> HTMLResponse:
    found = await visitor.state.api.get(f"/favourites/{list_id}", **_calls(visitor))
    return visitor.render(
        "favourites/delete.html",
        {
            "section": "listes",
            "breadcrumb": _breadcrumb(
                (str(found["name"]), f"/listes/{list_id}"), ("Supprimer", "")
            ),
            "list": found,
        },
    )


@router.post("/listes/{list_id}/supprimer", response_class=HTMLResponse)
async def delete_list(visitor: SignedInDep, form: CheckedForm, list_id: int) -> Response:
    await visitor.state.api.send("DELETE", f"/favourites/{list_id}", **_calls(visitor))
    return redirect("/listes")


@router.get("/listes/{list_id}/export")
async def export_list(
    visitor: SignedInDep,
    list_id: int,
    format: Annotated[str, Query(pattern="^(csv|xlsx)$")] = "csv",
) -> Response:
    """The API's file, streamed through: the browser never holds the API's credentials."""
    api, user = visitor.state.api, visitor.user
    assert user is not None
    if user.access_expires_at < time.time() + 30:
        await api.refresh(user)
    stream = api.stream(
        f"/favourites/{list_id}/export",
        params={"format": format},
        user=user,
        client_ip=visitor.client_ip,
    )
    upstream = await stream.__aenter__()
    if upstream.status_code >= 400:
        await upstream.aread()
        await stream.__aexit__(None, None, None)
        if upstream.status_code >= 500:
            raise ApiUnavailable(f"HTTP {upstream.status_code}")
        raise ApiProblem.of(upstream)

    headers = {
        "Content-Disposition": upstream.headers.get(
            "content-disposition", f'attachment; filename="favoris-{list_id}.{format}"'
        )
    }
    return relayed(
        stream, upstream, upstream.headers.get("content-type", EXPORT_TYPES[format]), headers
    )
