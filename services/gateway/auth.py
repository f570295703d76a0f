"""Who calls the public API: a session's access token or an API key, and what it may do."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, Header, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.common.errors import Forbidden, Unauthorized
from services.gateway.accounts.service import Caller, authenticate
from services.gateway.settings import GatewaySettings
from services.gateway.state import GatewayStateDep


def credential_of(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("En-tête Authorization attendu : « Bearer <jeton ou clé> ».")
        return value.strip()
    return None


async def caller_dependency(
    request: Request,
    state: GatewayStateDep,
    authorization: Annotated[
        str | None, Header(description="Bearer <jeton d'accès ou clé d'API>")
    ] = None,
    x_api_key: Annotated[str | None, Header(description="Clé d'API")] = None,
) -> Caller | None:
    credential = credential_of(authorization, x_api_key)
    if credential is None:
        return None
    caller = await to_thread.run_sync(_authenticate, state.engine, credential, state.settings)
    request.state.caller = caller
    return caller


def _authenticate(engine: Engine, credential: str, settings: GatewaySettings) -> Caller:
    with Session(engine) as session:
        caller = authenticate(session, credential, settings.session_secret)
        session.commit()
    return caller


OptionalCallerDep = Annotated[Caller | None, Depends(caller_dependency)]


async def _required(caller: OptionalCallerDep) -> Caller:
    if caller is None:
        raise Unauthorized("Identifiez-vous : jeton d'accès ou clé d'API.")
    return caller


CallerDep = Annotated[Caller, Depends(_required)]


def requires(scope: str) -> Any:
    async def check(caller: CallerDep) -> Caller:
        if scope not in caller.scopes:
            raise Forbidden(f"Portée « {scope} » requise.")
        return caller

    return Depends(check)


def open_or(scope: str) -> Any:
    """Open to anonymous callers; a caller who identifies must hold `scope` (and a valid
    credential: a revoked or expired key is refused even where none is needed)."""

    async def check(caller: OptionalCallerDep) -> Caller | None:
        if caller is not None and scope not in caller.scopes:
            raise Forbidden(f"Portée « {scope} » requise.")
        return caller

    return Depends(check)
