"""Buyers' organisations and purchase projects: forwarded to sourcing, which owns them, with the
caller's signed identity. Reading needs the buyers' read scope, writing their write scope; the
vocabulary of projects and the public record of organisations are open.

Their operations, with their schemas, appear in the public OpenAPI document from sourcing's own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from services.gateway.auth import caller_dependency, requires
from services.gateway.state import upstream

# The rest of a path, whose segments may end in an extension (a project's « note.pdf »): no
# segment is ever « .. ».
Rest = Annotated[str, Path(max_length=200, pattern=r"^(?:/[A-Za-z0-9_-]+(?:\.[A-Za-z0-9]+)?)*/?$")]

# Credentials, when presented, are checked on every route, the open ones included.
router = APIRouter(prefix="/api/v1", dependencies=[Depends(caller_dependency)])


async def organisations(rest: Rest, request: Request) -> Response:
    return await _forward(f"/v1/organisations{rest}", request)


async def projects(rest: Rest, request: Request) -> Response:
    return await _forward(f"/v1/projects{rest}", request)


async def public_record(rest: Rest, request: Request) -> Response:
    return await _forward(f"/v1/organisations/public-record{rest}", request)


async def vocabulary(request: Request) -> Response:
    return await _forward("/v1/projects/vocabulary", request)


async def _forward(path: str, request: Request) -> Response:
    sourcing = upstream(request, "sourcing")
    if request.method == "GET":
        return await sourcing.get(path, request)
    return await sourcing.send(request.method, path, request)


# Open routes first: the generic ones below would otherwise take them.
router.add_api_route(
    "/organisations/public-record{rest:path}",
    public_record,
    methods=["GET"],
    operation_id="organisations_public_record_get",
    tags=["organisations d'achat"],
    summary="Bilan public des organisations : projets attribués, avec ou sans considération sociale",
)
router.add_api_route(
    "/projects/vocabulary",
    vocabulary,
    methods=["GET"],
    operation_id="projects_vocabulary_get",
    tags=["projets d'achat"],
    summary="Valeurs possibles d'un projet : types de marché, procédures, options, motifs",
)
_RESOURCES = (
    (
        "/organisations{rest:path}",
        organisations,
        "organisations",
        "organisations d'achat",
        "Organisations d'achat, leurs membres, leur bilan et leurs projets",
    ),
    (
        "/projects{rest:path}",
        projects,
        "projects",
        "projets d'achat",
        "Projets d'achat : évaluation, décisions, attribution, note de sourcing, besoin",
    ),
)
# One operation per method, each with its own id; reading needs the buyers' read scope,
# writing their write scope.
for _path, _endpoint, _name, _tag, _summary in _RESOURCES:
    # PUT: an organisation's spend categories and sites, its OETH declaration.
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
