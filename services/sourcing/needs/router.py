"""Needs API: buyers deposit and follow needs; structures answer through a signed link."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from services.common.auth import PrincipalDep, SessionDep
from services.common.errors import Forbidden
from services.common.params import IdPath, IfMatch
from services.sourcing.needs import missed, reminders, service
from services.sourcing.needs.models import NeedStatus
from services.sourcing.needs.schemas import (
    AnswerCreate,
    AnswerPublic,
    MatchPublic,
    MissedNeed,
    NeedCreate,
    NeedForStructure,
    NeedInModeration,
    NeedPublic,
    NeedRejection,
    NeedUpdate,
    OpenNeed,
    UntoldMatch,
)
from services.sourcing.state import SourcingStateDep

router = APIRouter(prefix="/v1", tags=["besoins"])
Token = Annotated[str, Path(min_length=10, max_length=200)]


@router.post(
    "/needs",
    status_code=201,
    response_model=NeedPublic,
    summary="Déposer un besoin (brouillon ou publié)",
)
async def create_need(
    payload: NeedCreate, principal: PrincipalDep, state: SourcingStateDep, response: Response
) -> NeedPublic:
    need = await service.deposit(state, principal, payload)
    response.headers["ETag"] = service.etag(need)
    return need


@router.get("/needs", response_model=list[NeedPublic], summary="Mes besoins")
def list_needs(session: SessionDep, principal: PrincipalDep) -> list[NeedPublic]:
    return service.latest_needs(session, principal)


@router.get("/needs/{need_id}", response_model=NeedPublic, summary="Suivre un besoin")
def get_need(
    need_id: IdPath, session: SessionDep, principal: PrincipalDep, response: Response
) -> NeedPublic:
    need = service.get_need(session, principal, need_id)
    response.headers["ETag"] = service.etag(need)
    return service.to_public(session, need)


@router.patch(
    "/needs/{need_id}",
    response_model=NeedPublic,
    summary="Modifier un besoin (brouillon, en modération ou publié ; If-Match requis)",
    description=(
        "Seuls les champs envoyés changent. Un besoin publié dont le domaine, le lieu, les "
        "types de prestation, les types de structure ou la réservation changent est rapproché "
        "de nouveau : les nouvelles structures sont prévenues ; celles déjà prévenues qui ne "
        "correspondent plus restent dans la liste, marquées `fits: false`."
    ),
)
async def update_need(
    need_id: IdPath,
    payload: NeedUpdate,
    principal: PrincipalDep,
    state: SourcingStateDep,
    response: Response,
    if_match: IfMatch = None,
) -> NeedPublic:
    need = await service.amend(state, principal, need_id, if_match, payload)
    response.headers["ETag"] = service.etag(need)
    return need


@router.post(
    "/needs/{need_id}/publish",
    response_model=NeedPublic,
    summary="Publier (ou valider, pour l'équipe)",
)
async def publish(need_id: IdPath, principal: PrincipalDep, state: SourcingStateDep) -> NeedPublic:
    return await service.publish_now(state, principal, need_id)


@router.post(
    "/needs/{need_id}/reject",
    response_model=NeedPublic,
    summary="Refuser un besoin en modération, avec son motif (équipe)",
    description=(
        "Le besoin revient en brouillon avec le motif (`moderation_reason`) ; l'acheteur reçoit "
        "un e-mail avec le motif et le lien vers la page du besoin."
    ),
)
def reject(
    need_id: IdPath,
    payload: NeedRejection,
    session: SessionDep,
    principal: PrincipalDep,
    state: SourcingStateDep,
) -> NeedPublic:
    return service.reject(session, principal, need_id, payload.reason, state.settings.website)


@router.get(
    "/staff/needs",
    response_model=list[NeedInModeration],
    summary="Besoins à modérer, les plus anciens d'abord (équipe)",
)
def staff_needs(
    session: SessionDep,
    principal: PrincipalDep,
    status: Annotated[str, Query(pattern="^moderation$")] = "moderation",
) -> list[NeedInModeration]:
    return service.moderation_queue(session, principal)


@router.post("/needs/{need_id}/close", response_model=NeedPublic, summary="Clore un besoin")
def close(need_id: IdPath, session: SessionDep, principal: PrincipalDep) -> NeedPublic:
    need = service.get_need(session, principal, need_id)
    return service.to_public(session, service.change_status(session, need, NeedStatus.CLOSED))


@router.post("/needs/{need_id}/cancel", response_model=NeedPublic, summary="Annuler un besoin")
def cancel(need_id: IdPath, session: SessionDep, principal: PrincipalDep) -> NeedPublic:
    need = service.get_need(session, principal, need_id)
    return service.to_public(session, service.change_status(session, need, NeedStatus.CANCELLED))


@router.get(
    "/needs/{need_id}/remind",
    response_model=reminders.ReminderState,
    summary="Relance possible ? (et sinon pourquoi, et à partir de quand)",
    description=reminders.RULES,
)
def reminder_state(
    need_id: IdPath, session: SessionDep, principal: PrincipalDep, state: SourcingStateDep
) -> reminders.ReminderState:
    return reminders.reminder_state(
        session,
        principal,
        need_id,
        timedelta(hours=state.settings.reminder_after_hours),
        state.settings.reminder_cap,
    )


@router.post(
    "/needs/{need_id}/remind",
    response_model=reminders.ReminderState,
    summary="Relancer les structures prévenues qui n'ont pas répondu",
    description=reminders.RULES
    + " Hors de ces règles : 409 (problem+json) qui dit pourquoi et, le cas échéant, à partir "
    "de quand (`possible_from`). Chaque structure reçoit le même e-mail que la relance "
    "automatique, une seule fois par relance.",
)
async def remind(
    need_id: IdPath, principal: PrincipalDep, state: SourcingStateDep
) -> reminders.ReminderState:
    return await reminders.remind(state, principal, need_id)


@router.get(
    "/needs/{need_id}/matches",
    response_model=list[MatchPublic],
    summary="Structures trouvées, classées, avec leurs raisons (format=csv pour les exporter)",
)
def matches(
    need_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    request: Request,
    format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None,
) -> list[MatchPublic] | Response:
    wanted = format or ("csv" if "text/csv" in request.headers.get("accept", "") else "json")
    if wanted == "json":
        return service.matches_of(session, principal, need_id)
    return Response(
        service.matches_csv(session, principal, need_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="structures-besoin-{need_id}.csv"'},
    )


@router.get(
    "/needs/{need_id}/answers",
    response_model=list[AnswerPublic],
    summary="Réponses reçues (format=csv pour les exporter)",
)
def answers(
    need_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> list[AnswerPublic] | Response:
    need, rows = service.answers_to(session, principal, need_id)
    if format == "json":
        return rows
    return Response(
        service.answers_csv(need, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="reponses-besoin-{need_id}.csv"'},
    )


@router.get(
    "/answers/{token}",
    response_model=NeedForStructure,
    summary="Lire un besoin reçu (lien signé, sans connexion)",
)
def read_need(token: Token, session: SessionDep, state: SourcingStateDep) -> NeedForStructure:
    return service.read_by_link(session, state.settings.identity_secret, token, state.vocabulary)


@router.post(
    "/answers/{token}",
    response_model=AnswerPublic,
    summary="Répondre à un besoin (lien signé, sans connexion)",
)
def answer_need(
    token: Token, payload: AnswerCreate, session: SessionDep, state: SourcingStateDep
) -> AnswerPublic:
    return service.answer_by_link(session, state.settings.identity_secret, token, payload)


async def managed_structure(
    structure_id: IdPath, principal: PrincipalDep, state: SourcingStateDep
) -> int:
    """The structure of the path, when the caller manages it (membership lives in the catalog)
    or is staff."""
    if principal.is_staff or await state.runner.directory.manages(
        structure_id, principal.account_id
    ):
        return structure_id
    raise Forbidden("Vous ne gérez pas cette structure.")


ManagedStructure = Annotated[int, Depends(managed_structure)]


async def my_structures(principal: PrincipalDep, state: SourcingStateDep) -> list[int]:
    """The structures the caller manages, as the catalog knows them."""
    return sorted(await state.runner.directory.managed_structures(principal))


@router.get(
    "/me/needs",
    response_model=list[OpenNeed],
    summary="Besoins publiés qui correspondent aux structures que je gère",
    description="Les plus proches de leur date limite d'abord ; pour chacun, la structure concernée.",
)
def my_needs(
    structures: Annotated[list[int], Depends(my_structures)],
    session: SessionDep,
    state: SourcingStateDep,
) -> list[OpenNeed]:
    return service.open_needs_of_all(session, structures, state.vocabulary)


@router.get(
    "/structures/{structure_id}/needs",
    response_model=list[OpenNeed],
    summary="Besoins publiés qui correspondent à ma structure (gestionnaires)",
)
def needs_for_structure(
    structure_id: ManagedStructure, session: SessionDep, state: SourcingStateDep
) -> list[OpenNeed]:
    return service.open_needs_of(session, structure_id, state.vocabulary)


@router.get(
    "/structures/{structure_id}/needs/{need_id}",
    response_model=NeedForStructure,
    summary="Lire un besoin reçu par ma structure (gestionnaires, sans le lien)",
)
def read_need_as_manager(
    structure_id: ManagedStructure, need_id: IdPath, session: SessionDep, state: SourcingStateDep
) -> NeedForStructure:
    return service.read_for_structure(session, need_id, structure_id, state.vocabulary)


@router.post(
    "/structures/{structure_id}/needs/{need_id}/answer",
    response_model=AnswerPublic,
    summary="Répondre à un besoin reçu par ma structure (gestionnaires, sans le lien)",
)
def answer_as_manager(
    structure_id: ManagedStructure, need_id: IdPath, payload: AnswerCreate, session: SessionDep
) -> AnswerPublic:
    return service.answer_for_structure(session, need_id, structure_id, payload)


@router.get(
    "/staff/untold",
    response_model=list[UntoldMatch],
    summary="Structures à prévenir : trouvées par un besoin publié, sans gestionnaire (équipe)",
)
def untold(
    session: SessionDep,
    principal: PrincipalDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[UntoldMatch]:
    return service.untold_matches(session, principal, limit)


@router.get(
    "/structures/{structure_id}/open-needs",
    response_model=list[MissedNeed],
    summary="Besoins ouverts que ma structure n'a pas reçus, et pourquoi (gestionnaires)",
    description=(
        "Besoins publiés, encore ouverts, dans les secteurs ou sur le territoire de la structure "
        "mais qui ne l'ont pas retenue : `missing` dit quel critère du rapprochement manque "
        "(sector, zone, presta_type, kind) et `why` l'explique. Les plus récents d'abord, 50 au "
        "plus ; rien de l'identité ni du contact de l'acheteur."
    ),
)
async def open_needs(
    structure_id: ManagedStructure, session: SessionDep, state: SourcingStateDep
) -> list[MissedNeed]:
    record = await state.runner.directory.structure(structure_id)
    if record is None:
        return []
    return await to_thread.run_sync(
        missed.missed_needs, session, structure_id, record, state.vocabulary
    )
