"""Who calls the public API: a session's access token or an API key, and what it may do.

The one place where credentials are read from a request and checked."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, Header, Request
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.common.errors import Forbidden, Unauthorized
from services.gateway.accounts.service import Caller, authenticate
from services.gateway.state import GatewayState, GatewayStateDep


def bearer_value(authorization: str) -> str | None:
    """The value of a `Bearer` Authorization header (maybe empty); None for another scheme."""
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def credential_of(authorization: str | None, x_api_key: str | None) -> str | None:
    if x_api_key:
        return x_api_key.strip()
    if authorization:
        value = bearer_value(authorization)
        if not value:
            raise Unauthorized("En-tête Authorization attendu : « Bearer <jeton ou clé> ».")
        return value
    return None


async def identify(request: Request, state: GatewayState, credential: str) -> Caller:
    """The caller behind `credential`, kept on the request for the identity sent upstream."""
    caller = await to_thread.run_sync(
        _authenticate, state.engine, credential, state.settings.session_secret
    )
    request.state.caller = caller
    return caller


def _authenticate(engine: Engine, credential: str, session_secret: str) -> Caller:
    # Its own short transaction, not the request's: the key's last use is written, and the
    # database released, before an upstream is called.
    with Session(engine) as session:
        caller = authenticate(session, credential, session_secret)
        session.commit()
    return caller


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
    return await identify(request, state, credential)


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
