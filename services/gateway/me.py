"""`/api/v1/me`: who the caller is, from the gateway's accounts, with what the catalog knows of
them — the structures they manage and their claims. Without the catalog, the account still
answers, and `missing` says what could not be had."""

from __future__ import annotations

from typing import Any

from anyio import to_thread
from fastapi import APIRouter, Request

from services.common.auth import SessionDep
from services.gateway.accounts import service
from services.gateway.accounts.schemas import AccountPublic
from services.gateway.auth import CallerDep
from services.gateway.schemas import MePage
from services.gateway.state import GatewayStateDep

router = APIRouter(prefix="/api/v1", tags=["comptes et clés"])


def _listed(answer: tuple[int, Any] | None, name: str) -> list[dict[str, Any]] | None:
    if answer is None or answer[0] != 200 or not isinstance(answer[1], dict):
        return None
    items = answer[1].get(name)
    return items if isinstance(items, list) else None


@router.get(
    "/me",
    response_model=MePage,
    summary="Mon compte, mes structures et mes demandes de gestion",
)
async def me(
    request: Request, caller: CallerDep, session: SessionDep, state: GatewayStateDep
) -> MePage:
    account = AccountPublic.of(await to_thread.run_sync(service.account_of, session, caller))
    answer = await state.catalog.fetch("/v1/me", request)
    structures, claims = _listed(answer, "structures"), _listed(answer, "claims")
    missing = [] if structures is not None and claims is not None else ["catalog"]
    return MePage(
        account=account,
        structures=structures if not missing else None,
        claims=claims if not missing else None,
        missing=missing,
    )
