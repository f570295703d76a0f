"""A structure's OETH attestations and its clients found in buyers' spend: forwarded to
sourcing, which keeps them and checks with the catalog that the caller manages the structure.
Reading needs the catalog's read scope, issuing and reissuing its write scope, like the other
routes of a structure's managers.

Declared before the catalog's generic structure routes, which would otherwise take them; their
operations, with their schemas, appear in the public OpenAPI document from sourcing's own."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response

from services.common.params import IdPath
from services.gateway.auth import caller_dependency, requires
from services.gateway.state import upstream

# What follows « attestations »: nothing, an id, or an id then « attestation.pdf ».
Rest = Annotated[str, Path(max_length=40, pattern=r"^(?:/[0-9]{1,10}(?:/attestation\.pdf)?)?/?$")]

router = APIRouter(prefix="/api/v1", dependencies=[Depends(caller_dependency)])


@router.get(
    "/structures/{structure_id}/clients",
    tags=["OETH et attestations"],
    summary="Clients de la structure d'après leurs dépenses importées (gestionnaires)",
    dependencies=[requires("catalog:read")],
)
async def clients(structure_id: IdPath, request: Request) -> Response:
    return await upstream(request, "sourcing").get(
        f"/v1/structures/{structure_id}/clients", request
    )


async def attestations(structure_id: IdPath, rest: Rest, request: Request) -> Response:
    sourcing = upstream(request, "sourcing")
    path = f"/v1/structures/{structure_id}/attestations{rest}"
    if request.method == "GET":
        return await sourcing.get(path, request)
    return await sourcing.send(request.method, path, request)


# One operation per method, each with its own id in the OpenAPI document.
for _method in ("GET", "POST", "PUT"):
    router.add_api_route(
        "/structures/{structure_id}/attestations{rest:path}",
        attestations,
        methods=[_method],
        operation_id=f"structure_attestations_{_method.lower()}",
        tags=["OETH et attestations"],
        summary="Attestations OETH annuelles émises par la structure à ses clients (gestionnaires)",
        dependencies=[requires("catalog:read" if _method == "GET" else "catalog:write")],
    )
