"""Public API: accounts, sessions and API keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from services.common.auth import SessionDep
from services.common.identity import Role
from services.common.params import IdPath
from services.gateway.accounts import service
from services.gateway.accounts.schemas import (
    AccountPublic,
    Credentials,
    KeyCreate,
    KeyCreated,
    KeyPublic,
    RefreshBody,
    Registration,
    RegistrationAccepted,
    ResetConfirm,
    ResetLinkChecked,
    ResetRequest,
    TokenBody,
    TokensPublic,
)
from services.gateway.auth import CallerDep, requires
from services.gateway.quota_middleware import client_address
from services.gateway.state import GatewayStateDep

router = APIRouter(prefix="/api/v1", tags=["comptes et clés"])
LinkToken = Annotated[str, Query(min_length=10, max_length=200, description="Jeton du lien reçu")]


@router.post(
    "/auth/register",
    status_code=201,
    response_model=RegistrationAccepted,
    summary="Créer un compte (un lien de confirmation part par e-mail)",
)
def register(
    payload: Registration, session: SessionDep, state: GatewayStateDep
) -> RegistrationAccepted:
    service.register(
        session,
        payload.email,
        payload.password,
        Role(payload.role),
        state.settings.public_url,
        state.settings.web_url,
    )
    return RegistrationAccepted.of(payload.email, payload.role)


@router.post("/auth/verify", response_model=AccountPublic, summary="Confirmer son adresse e-mail")
def verify(payload: TokenBody, session: SessionDep) -> AccountPublic:
    return AccountPublic.of(service.verify_email(session, payload.token))


@router.get(
    "/auth/verify",
    response_model=AccountPublic,
    summary="Confirmer son adresse e-mail (le lien reçu par e-mail)",
)
def verify_by_link(token: LinkToken, session: SessionDep) -> AccountPublic:
    return AccountPublic.of(service.verify_email(session, token))


@router.post("/auth/login", response_model=TokensPublic, summary="Se connecter")
async def login(
    payload: Credentials, session: SessionDep, request: Request, state: GatewayStateDep
) -> TokensPublic:
    client = client_address(request.scope, state.settings.trusted_proxies)
    tokens = await service.throttled_login(
        session, state.login_throttle, state.settings, client, payload.email, payload.password
    )
    return TokensPublic.of(tokens)


@router.post("/auth/refresh", response_model=TokensPublic, summary="Renouveler la session")
def refresh(payload: RefreshBody, session: SessionDep, state: GatewayStateDep) -> TokensPublic:
    return TokensPublic.of(
        service.refresh(session, payload.refresh_token, state.settings.session_secret)
    )


@router.post(
    "/auth/logout",
    status_code=204,
    summary="Fermer la session (révoque le jeton de renouvellement)",
)
def logout(payload: RefreshBody, session: SessionDep) -> Response:
    service.logout(session, payload.refresh_token)
    return Response(status_code=204)


@router.post("/auth/password-reset", status_code=202, summary="Demander un nouveau mot de passe")
def password_reset(
    payload: ResetRequest, session: SessionDep, state: GatewayStateDep
) -> dict[str, str]:
    service.request_reset(session, payload.email, state.settings.public_url, state.settings.web_url)
    return {"detail": "Si un compte existe pour cette adresse, un e-mail vient de partir."}


@router.get(
    "/auth/password-reset/confirm",
    response_model=ResetLinkChecked,
    summary="Vérifier le lien de nouveau mot de passe reçu par e-mail",
)
def password_reset_link(token: LinkToken, session: SessionDep) -> ResetLinkChecked:
    service.check_reset_token(session, token)
    return ResetLinkChecked(
        detail="Lien valable : choisissez votre nouveau mot de passe (12 caractères au moins).",
        next='POST /api/v1/auth/password-reset/confirm {"token": "<jeton du lien>", "password": "…"}',
    )


@router.post(
    "/auth/password-reset/confirm", status_code=204, summary="Choisir un nouveau mot de passe"
)
def password_reset_confirm(payload: ResetConfirm, session: SessionDep) -> Response:
    service.confirm_reset(session, payload.token, payload.password)
    return Response(status_code=204)


@router.post(
    "/keys",
    status_code=201,
    response_model=KeyCreated,
    summary="Créer une clé d'API (affichée une seule fois)",
    dependencies=[requires("keys:manage")],
)
def create_key(payload: KeyCreate, session: SessionDep, caller: CallerDep) -> KeyCreated:
    record, key = service.create_key(
        session, caller, payload.name, payload.scopes, payload.expires_in_days
    )
    return KeyCreated.issued(record, key)


@router.get(
    "/keys",
    response_model=list[KeyPublic],
    summary="Mes clés d'API",
    dependencies=[requires("keys:manage")],
)
def list_keys(session: SessionDep, caller: CallerDep) -> list[KeyPublic]:
    return [KeyPublic.of(record) for record in service.list_keys(session, caller)]


@router.post(
    "/keys/{key_id}/rotate",
    response_model=KeyCreated,
    summary="Remplacer une clé (l'ancienne est révoquée)",
    dependencies=[requires("keys:manage")],
)
def rotate_key(key_id: IdPath, session: SessionDep, caller: CallerDep) -> KeyCreated:
    record, key = service.rotate_key(session, caller, key_id)
    return KeyCreated.issued(record, key)


@router.delete(
    "/keys/{key_id}",
    status_code=204,
    summary="Révoquer une clé",
    dependencies=[requires("keys:manage")],
)
def revoke_key(key_id: IdPath, session: SessionDep, caller: CallerDep) -> Response:
    service.revoke_key(session, caller, key_id)
    return Response(status_code=204)
