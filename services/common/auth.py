"""FastAPI dependencies shared by the services: the request's session and who is calling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from redis.exceptions import RedisError
from sqlmodel import Session

from services.common.db import session_scope
from services.common.errors import Unauthorized, UpstreamUnavailable
from services.common.identity import InvalidIdentity, Principal, verify_identity_claims
from services.common.settings import IdentitySettingsMixin
from services.common.state import ServiceState, request_state


def _session(request: Request) -> Iterator[Session]:
    yield from session_scope(request_state(request, ServiceState).engine)


def _principal(
    request: Request,
    x_mi_identity: Annotated[
        str | None,
        Header(description="Identité signée transmise par la passerelle (jamais par un client)"),
    ] = None,
) -> Principal | None:
    if x_mi_identity is None:
        return None
    settings: IdentitySettingsMixin = request.app.state.settings
    if not settings.identity_secret:
        raise Unauthorized("Ce service n'accepte aucune identité : secret non configuré.")
    service: str = request.app.state.service
    try:
        identity = verify_identity_claims(x_mi_identity, settings.identity_secret, audience=service)
        request_state(request, ServiceState).replay_guard.accept(identity)
    except InvalidIdentity as exc:
        raise Unauthorized(f"Identité refusée : {exc}.") from exc
    except RedisError as exc:  # the shared replay guard cannot tell: refused, not accepted twice
        raise UpstreamUnavailable(
            "Vérification de l'identité impossible pour le moment : réessayez."
        ) from exc
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
