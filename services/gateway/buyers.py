"""Buyers' favourite lists and saved searches, and the unsubscribe link of saved searches'
e-mails: forwarded to sourcing, which owns them, with the caller's signed identity.

Their operations, with their schemas, appear in the public OpenAPI document from sourcing's own."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from services.gateway.auth import caller_dependency, requires
from services.gateway.router import Rest
from services.gateway.state import upstream

# Credentials, when presented, are checked on every route, the open ones included.
router = APIRouter(prefix="/api/v1", dependencies=[Depends(caller_dependency)])


async def favourites(rest: Rest, request: Request) -> Response:
    return await _forward(f"/v1/favourites{rest}", request)


async def saved_searches(rest: Rest, request: Request) -> Response:
    return await _forward(f"/v1/saved-searches{rest}", request)


async def alerts(rest: Rest, request: Request) -> Response:
    return await _forward(f"/v1/alerts{rest}", request)


async def _forward(path: str, request: Request) -> Response:
    sourcing = upstream(request, "sourcing")
    if request.method == "GET":
        return await sourcing.get(path, request)
    return await sourcing.send(request.method, path, request)


_RESOURCES = (
    ("/favourites{rest:path}", favourites, "favourites", "favoris", "Listes de favoris"),
    (
        "/saved-searches{rest:path}",
        saved_searches,
        "saved_searches",
        "recherches enregistrées",
        "Recherches enregistrées et leurs alertes",
    ),
)
# One operation per method, each with its own id; reading needs the buyers' read scope,
# writing their write scope.
for _path, _endpoint, _name, _tag, _summary in _RESOURCES:
    for _method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        router.add_api_route(
            _path,
            _endpoint,
            methods=[_method],
            operation_id=f"{_name}_{_method.lower()}",
            tags=[_tag],
            summary=_summary,
            dependencies=[requires("needs:read" if _method == "GET" else "needs:write")],
        )
# The link of a saved search's e-mail works without logging in: its token is the right.
for _method in ("GET", "POST"):
    router.add_api_route(
        "/alerts{rest:path}",
        alerts,
        methods=[_method],
        operation_id=f"alerts_{_method.lower()}",
        tags=["alertes"],
        summary="Se désinscrire des alertes d'une recherche enregistrée (lien signé)",
    )
