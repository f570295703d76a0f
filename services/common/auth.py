"""FastAPI dependencies shared by the services: the request's session and who is calling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlmodel import Session

from services.common.db import session_scope
from services.common.errors import Unauthorized
from services.common.identity import InvalidIdentity, Principal, ReplayGuard, verify_identity_claims


def _session(request: Request) -> Iterator[Session]:
    yield from session_scope(request.app.state.engine)


def _guard(request: Request) -> ReplayGuard:
    guard = getattr(request.app.state, "replay_guard", None)
    if guard is None:
        guard = request.app.state.replay_guard = ReplayGuard()
    return guard


def _principal(
    request: Request,
    x_mi_identity: Annotated[
        str | None,
        Header(description="Identité signée transmise par la passerelle (jamais par un client)"),
    ] = None,
) -> Principal | None:
    if x_mi_identity is None:
        return None
    secret = request.app.state.settings.identity_secret
    if not secret:
        raise Unauthorized("Ce service n'accepte aucune identité : secret non configuré.")
    guard = _guard(request)
    try:
        audience = getattr(request.app.state, "service", None)
        identity = verify_identity_claims(x_mi_identity, secret, audience=audience)
        guard.accept(identity)
    except InvalidIdentity as exc:
        raise Unauthorized(f"Identité refusée : {exc}.") from exc
    return identity.principal


def _required(principal: Annotated[Principal | None, Depends(_principal)]) -> Principal:
    if principal is None:
        raise Unauthorized("Cette action demande d'être connecté.")
    return principal


# Function scope: the commit happens before the answer is sent, so a failed commit is an
# error answer, never a 2xx for a change that was not saved.
SessionDep = Annotated[Session, Depends(_session, scope="function")]
PrincipalDep = Annotated[Principal, Depends(_required)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(_principal)]
