"""A buyer's spend file, sent to sourcing as it arrives: the one organisation route whose body
(up to 200 Mio) the gateway streams instead of reading whole. Its other spend routes ride on
the generic forwarding of `/organisations`; its operation is documented by sourcing's own."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response

from services.common.params import IdPath
from services.gateway.auth import caller_dependency, requires
from services.gateway.state import upstream

router = APIRouter(prefix="/api/v1", dependencies=[Depends(caller_dependency)])


@router.post(
    "/organisations/{organisation_id}/spend/files",
    include_in_schema=False,
    dependencies=[requires("needs:write")],
)
async def send_spend_file(organisation_id: IdPath, request: Request) -> Response:
    return await upstream(request, "sourcing").send_streamed(
        "POST", f"/v1/organisations/{organisation_id}/spend/files", request
    )
