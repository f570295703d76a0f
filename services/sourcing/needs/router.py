"""Needs API: buyers deposit and follow needs; structures answer through a signed link."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, select

from services.common.auth import PrincipalDep, SessionDep
from services.common.db import utcnow
from services.common.errors import Forbidden, UpstreamTimeout, UpstreamUnavailable
from services.common.params import IdPath
from services.sourcing.needs import service
from services.sourcing.needs.links import read_token
from services.sourcing.needs.models import Need, NeedAnswer, NeedMatch, NeedStatus
from services.sourcing.needs.schemas import (
    AnswerCreate,
    AnswerPublic,
    MatchPublic,
    NeedCreate,
    NeedForStructure,
    NeedPublic,
)
from services.sourcing.search.export import safe_cell
from services.sourcing.state import SourcingState, SourcingStateDep

router = APIRouter(prefix="/v1", tags=["besoins"])
Token = Annotated[str, Path(min_length=10, max_length=200)]


async def _match_now(state: SourcingState, need: Need) -> int:
    """At once on publication; if the engine or the database is down, the background cycle
    catches up. Returns how many matches it recorded."""
    if need.status != NeedStatus.PUBLISHED or need.id is None:
        return 0
    matched = 0
    try:
        matched = await state.runner.match(need.id)
        await state.runner.notify_pending()
    except (UpstreamUnavailable, UpstreamTimeout, OSError, RuntimeError, OperationalError):
        pass
    return matched


async def _commit_then_match(state: SourcingState, session: Session, need: Need) -> NeedPublic:
    """Read before the commit: once the need is saved, a connection lost while reading it back
    would answer 503, and the buyer, told to try again, would deposit or publish it twice."""
    saved = service.to_public(session, need)
    session.commit()
    matched = await _match_now(state, need)
    return saved.model_copy(update={"matches": saved.matches + matched})


@router.post(
    "/needs",
    status_code=201,
    response_model=NeedPublic,
    summary="Déposer un besoin (brouillon ou publié)",
)
async def create_need(
    payload: NeedCreate, session: SessionDep, principal: PrincipalDep, state: SourcingStateDep
) -> NeedPublic:
    need = service.create_need(
        session, principal, payload, state.vocabulary, state.settings.moderation
    )
    return await _commit_then_match(state, session, need)


@router.get("/needs", response_model=list[NeedPublic], summary="Mes besoins")
def list_needs(session: SessionDep, principal: PrincipalDep) -> list[NeedPublic]:
    service.require_buyer(principal)
    statement = select(Need).order_by(col(Need.id).desc()).limit(200)
    if not principal.is_staff:
        statement = statement.where(Need.buyer_account_id == principal.account_id)
    return [service.to_public(session, n) for n in session.exec(statement)]


@router.get("/needs/{need_id}", response_model=NeedPublic, summary="Suivre un besoin")
def get_need(need_id: IdPath, session: SessionDep, principal: PrincipalDep) -> NeedPublic:
    return service.to_public(session, service.get_need(session, principal, need_id))


@router.post(
    "/needs/{need_id}/publish",
    response_model=NeedPublic,
    summary="Publier (ou valider, pour l'équipe)",
)
async def publish(
    need_id: IdPath, session: SessionDep, principal: PrincipalDep, state: SourcingStateDep
) -> NeedPublic:
    need = service.get_need(session, principal, need_id)
    service.publish(session, principal, need, state.settings.moderation)
    return await _commit_then_match(state, session, need)


@router.post("/needs/{need_id}/close", response_model=NeedPublic, summary="Clore un besoin")
def close(need_id: IdPath, session: SessionDep, principal: PrincipalDep) -> NeedPublic:
    return service.to_public(
        session,
        service.change_status(
            session, service.get_need(session, principal, need_id), NeedStatus.CLOSED
        ),
    )


@router.post("/needs/{need_id}/cancel", response_model=NeedPublic, summary="Annuler un besoin")
def cancel(need_id: IdPath, session: SessionDep, principal: PrincipalDep) -> NeedPublic:
    return service.to_public(
        session,
        service.change_status(
            session, service.get_need(session, principal, need_id), NeedStatus.CANCELLED
        ),
    )


@router.get(
    "/needs/{need_id}/matches",
    response_model=list[MatchPublic],
    summary="Structures trouvées, classées, avec leurs raisons",
)
def matches(need_id: IdPath, session: SessionDep, principal: PrincipalDep) -> list[MatchPublic]:
    service.get_need(session, principal, need_id)
    answers = {
        a.structure_id: a.status
        for a in session.exec(select(NeedAnswer).where(NeedAnswer.need_id == need_id))
    }
    rows = session.exec(
        select(NeedMatch)
        .where(NeedMatch.need_id == need_id)
        .order_by(col(NeedMatch.score).desc(), col(NeedMatch.id))
    )
    return [
        MatchPublic(
            structure_id=m.structure_id,
            structure_name=m.structure_name,
            score=m.score,
            reasons=m.reasons,
            notified=m.notified_at is not None,
            opened=m.opened_at is not None,
            answer=answers.get(m.structure_id),
        )
        for m in rows
    ]


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
    need = service.get_need(session, principal, need_id)
    rows = [
        AnswerPublic(structure_name=name, **a.model_dump(exclude={"id", "need_id"}))
        for a, name in service.answers_of(session, need_id)
    ]
    if format == "json":
        return rows
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Structure", "Réponse", "Raison", *need.questions, "Contact", "Date"])
    for row in rows:
        writer.writerow(
            [
                safe_cell(row.structure_name),
                service.ANSWER_LABELS[row.status],
                safe_cell(row.reason),
                *(safe_cell(row.answers.get(str(i))) for i in range(len(need.questions))),
                safe_cell(row.contact_email),
                row.answered_at.isoformat(timespec="minutes"),
            ]
        )
    return Response(
        "\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="reponses-besoin-{need_id}.csv"'},
    )


def _link(state: SourcingState, token: str, session: Session) -> tuple[NeedMatch, Need]:
    link = read_token(state.settings.identity_secret, token)
    return service.match_of(session, link.need_id, link.structure_id)


@router.get(
    "/answers/{token}",
    response_model=NeedForStructure,
    summary="Lire un besoin reçu (lien signé, sans connexion)",
)
def read_need(token: Token, session: SessionDep, state: SourcingStateDep) -> NeedForStructure:
    match, need = _link(state, token, session)
    if match.opened_at is None:
        match.opened_at = utcnow()
        session.add(match)
    answer = session.exec(
        select(NeedAnswer).where(
            NeedAnswer.need_id == need.id, NeedAnswer.structure_id == match.structure_id
        )
    ).first()
    return NeedForStructure(
        need_id=need.id or 0,
        structure_id=match.structure_id,
        kind=need.kind,
        title=need.title,
        description=need.description,
        deadline=need.deadline,
        questions=need.questions,
        status=need.status,
        your_answer=answer.status if answer else None,
    )


@router.post(
    "/answers/{token}",
    response_model=AnswerPublic,
    summary="Répondre à un besoin (lien signé, sans connexion)",
)
def answer_need(
    token: Token, payload: AnswerCreate, session: SessionDep, state: SourcingStateDep
) -> AnswerPublic:
    match, need = _link(state, token, session)
    if match.opened_at is None:
        match.opened_at = utcnow()
        session.add(match)
    record = service.answer(session, need, match.structure_id, payload)
    return AnswerPublic(
        structure_name=match.structure_name, **record.model_dump(exclude={"id", "need_id"})
    )


class OpenNeed(BaseModel):
    need_id: int
    kind: str
    title: str
    deadline: date | None
    score: float
    opened: bool
    answer: str | None


@router.get(
    "/structures/{structure_id}/needs",
    response_model=list[OpenNeed],
    summary="Besoins publiés qui correspondent à une structure (pour ses gestionnaires, via la passerelle)",
)
def needs_for_structure(
    structure_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
) -> list[OpenNeed]:
    # Membership lives in the catalog: the gateway checks it, then asks with the staff identity.
    if not principal.is_staff:
        raise Forbidden("Réservé à l'équipe et à la passerelle.")
    rows = session.exec(
        select(NeedMatch, Need)
        .join(Need, col(Need.id) == NeedMatch.need_id)
        .where(NeedMatch.structure_id == structure_id, Need.status == NeedStatus.PUBLISHED)
        .order_by(col(NeedMatch.score).desc())
    ).all()
    answers = {
        a.need_id: a.status
        for a in session.exec(select(NeedAnswer).where(NeedAnswer.structure_id == structure_id))
    }
    return [
        OpenNeed(
            need_id=need.id or 0,
            kind=str(need.kind),
            title=need.title,
            deadline=need.deadline,
            score=match.score,
            opened=match.opened_at is not None,
            answer=str(answers[need.id]) if need.id in answers else None,
        )
        for match, need in rows
    ]
