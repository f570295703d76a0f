"""Organisations and purchase projects API: a buyer's organisation declares its projects, reads
what the law and the market allow, records its decision and deposits the need."""

from __future__ import annotations

from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Path, Query, Response

from services.common.auth import PrincipalDep, SessionDep
from services.common.params import IdPath, IfMatch
from services.sourcing.projects import organisations, record, service
from services.sourcing.projects.models import ProjectStatus
from services.sourcing.projects.note import render_note
from services.sourcing.projects.schemas import (
    AwardInput,
    DecisionInput,
    MemberCreate,
    NeedCreated,
    NeedFromProject,
    OrganisationCreate,
    OrganisationList,
    OrganisationPublic,
    OrganisationUpdate,
    ProjectInput,
    ProjectList,
    ProjectUpdate,
    ProjectView,
)
from services.sourcing.projects.vocabulary import vocabulary
from services.sourcing.state import SourcingStateDep

organisations_router = APIRouter(prefix="/v1", tags=["organisations d'achat"])
projects_router = APIRouter(prefix="/v1", tags=["projets d'achat"])
Year = Annotated[int, Query(ge=2000, le=2100, description="Année (attribution, sinon création)")]
Identifier = Annotated[str, Path(min_length=9, max_length=14, description="SIREN ou SIRET")]


@organisations_router.get(
    "/organisations/public-record",
    summary="Bilan public d'une année : projets attribués, avec ou sans considération sociale",
    description="Ouvert à tous ; ne compte que les projets dont le marché est attribué.",
)
def public_record(session: SessionDep, year: Year) -> dict[str, Any]:
    return record.public_year(session, year)


@organisations_router.get(
    "/organisations/public-record/{siren_or_siret}",
    summary="Bilan public d'une organisation, année par année",
)
def public_record_of(siren_or_siret: Identifier, session: SessionDep) -> dict[str, Any]:
    return record.public_organisation(session, siren_or_siret)


@organisations_router.post(
    "/organisations",
    status_code=201,
    response_model=OrganisationPublic,
    summary="Créer l'organisation d'achat (SIRET ou SIREN) ; vous en êtes administrateur",
)
def create_organisation(
    payload: OrganisationCreate, session: SessionDep, principal: PrincipalDep
) -> OrganisationPublic:
    access = organisations.create(session, principal, payload)
    return organisations.to_public(session, access)


@organisations_router.get(
    "/organisations",
    response_model=OrganisationList,
    summary="Mes organisations",
)
def my_organisations(session: SessionDep, principal: PrincipalDep) -> OrganisationList:
    return OrganisationList(
        items=[organisations.to_public(session, a) for a in organisations.mine(session, principal)]
    )


@organisations_router.get(
    "/organisations/{organisation_id}",
    response_model=OrganisationPublic,
    summary="Lire une organisation et ses membres",
)
def read_organisation(
    organisation_id: IdPath, session: SessionDep, principal: PrincipalDep
) -> OrganisationPublic:
    access = organisations.reach(session, principal, organisation_id, write=False)
    return organisations.to_public(session, access)


@organisations_router.patch(
    "/organisations/{organisation_id}",
    response_model=OrganisationPublic,
    summary="Modifier le nom, le type d'acheteur ou le seuil d'heures (administrateurs)",
)
def update_organisation(
    organisation_id: IdPath,
    payload: OrganisationUpdate,
    session: SessionDep,
    principal: PrincipalDep,
) -> OrganisationPublic:
    access = organisations.update(session, principal, organisation_id, payload)
    return organisations.to_public(session, access)


@organisations_router.post(
    "/organisations/{organisation_id}/members",
    status_code=201,
    response_model=OrganisationPublic,
    summary="Ajouter un membre par son adresse e-mail (administrateurs) ; il est prévenu par e-mail",
)
def add_member(
    organisation_id: IdPath,
    payload: MemberCreate,
    session: SessionDep,
    principal: PrincipalDep,
    state: SourcingStateDep,
) -> OrganisationPublic:
    access = organisations.add_member(
        session, principal, organisation_id, payload, state.settings.website
    )
    return organisations.to_public(session, access)


@organisations_router.delete(
    "/organisations/{organisation_id}/members/{member_id}",
    status_code=204,
    summary="Retirer un membre (administrateurs ; jamais le dernier administrateur)",
)
def remove_member(
    organisation_id: IdPath, member_id: IdPath, session: SessionDep, principal: PrincipalDep
) -> Response:
    organisations.remove_member(session, principal, organisation_id, member_id)
    return Response(status_code=204)


@organisations_router.get(
    "/organisations/{organisation_id}/report",
    summary="Bilan de l'organisation pour une année : décisions, justifications, heures",
)
def report(
    organisation_id: IdPath, year: Year, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    return record.report(session, principal, organisation_id, year)


@projects_router.get(
    "/projects/vocabulary",
    summary="Valeurs possibles d'un projet : types de marché, procédures, options, motifs",
)
def project_vocabulary() -> dict[str, Any]:
    return vocabulary()


@projects_router.post(
    "/organisations/{organisation_id}/projects",
    status_code=201,
    response_model=ProjectView,
    summary="Déclarer un projet d'achat ; il est évalué aussitôt",
)
async def create_project(
    organisation_id: IdPath,
    payload: ProjectInput,
    principal: PrincipalDep,
    state: SourcingStateDep,
    response: Response,
) -> ProjectView:
    view = await service.create(state, principal, organisation_id, payload)
    response.headers["ETag"] = service.etag(view)
    return view


@projects_router.get(
    "/organisations/{organisation_id}/projects",
    response_model=ProjectList,
    summary="Projets d'achat de l'organisation, les plus récents d'abord",
)
def list_projects(
    organisation_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
    status: ProjectStatus | None = None,
) -> ProjectList:
    return ProjectList(
        items=service.list_projects(session, principal, organisation_id, year, status)
    )


@projects_router.get("/projects/{project_id}", response_model=ProjectView, summary="Lire un projet")
def read_project(
    project_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: SourcingStateDep,
    response: Response,
) -> ProjectView:
    view = service.read(session, principal, project_id, state.vocabulary)
    response.headers["ETag"] = service.etag(view)
    return view


@projects_router.patch(
    "/projects/{project_id}",
    response_model=ProjectView,
    summary="Modifier un projet (If-Match requis) ; il est réévalué",
    description="Seuls les champs envoyés changent. Refusé (409) une fois le marché attribué.",
)
async def update_project(
    project_id: IdPath,
    payload: ProjectUpdate,
    principal: PrincipalDep,
    state: SourcingStateDep,
    response: Response,
    if_match: IfMatch = None,
) -> ProjectView:
    view = await service.amend(state, principal, project_id, if_match, payload)
    response.headers["ETag"] = service.etag(view)
    return view


@projects_router.delete(
    "/projects/{project_id}",
    status_code=204,
    summary="Supprimer un projet sur lequel aucune décision n'a été enregistrée",
)
def delete_project(project_id: IdPath, session: SessionDep, principal: PrincipalDep) -> Response:
    service.delete(session, principal, project_id)
    return Response(status_code=204)


@projects_router.post(
    "/projects/{project_id}/evaluate",
    response_model=ProjectView,
    summary="Réévaluer le projet avec les chiffres du marché à ce jour",
)
async def evaluate_project(
    project_id: IdPath, principal: PrincipalDep, state: SourcingStateDep, response: Response
) -> ProjectView:
    view = await service.reevaluate(state, principal, project_id)
    response.headers["ETag"] = service.etag(view)
    return view


@projects_router.post(
    "/projects/{project_id}/decisions",
    status_code=201,
    response_model=ProjectView,
    summary="Enregistrer une décision (révisable jusqu'à l'attribution ; l'historique est gardé)",
    description=(
        "`none` seul, quand une considération sociale est attendue (loi Climat et Résilience ou "
        "seuil d'heures de l'organisation), exige une justification : un motif connu et un texte "
        "d'au moins 20 caractères. Une réservation retenue malgré une profondeur de marché "
        "insuffisante est acceptée avec un avertissement (`warnings`)."
    ),
)
def decide(
    project_id: IdPath,
    payload: DecisionInput,
    session: SessionDep,
    principal: PrincipalDep,
    state: SourcingStateDep,
    response: Response,
) -> ProjectView:
    view = service.decide(session, principal, project_id, payload, state.vocabulary)
    response.headers["ETag"] = service.etag(view)
    return view


@projects_router.post(
    "/projects/{project_id}/award",
    response_model=ProjectView,
    summary="Marquer le marché attribué : la décision n'est plus révisable",
)
def award(
    project_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    state: SourcingStateDep,
    response: Response,
    payload: AwardInput | None = None,
) -> ProjectView:
    awarded_on = payload.awarded_on if payload else None
    view = service.award(session, principal, project_id, awarded_on, state.vocabulary)
    response.headers["ETag"] = service.etag(view)
    return view


@projects_router.get(
    "/projects/{project_id}/note.pdf",
    summary="Note de sourcing du projet (PDF)",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}
    },
)
async def note(project_id: IdPath, principal: PrincipalDep, state: SourcingStateDep) -> Response:
    view = await service.in_transaction(
        state, lambda s: service.read(s, principal, project_id, state.vocabulary)
    )
    pdf = await to_thread.run_sync(render_note, view.model_dump(mode="json"))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="note-de-sourcing-{project_id}.pdf"'
        },
    )


@projects_router.post(
    "/projects/{project_id}/need",
    status_code=201,
    response_model=NeedCreated,
    summary="Déposer le besoin du projet en une étape (brouillon ou publié)",
    description=(
        "Le besoin reprend le titre, l'objet, les secteurs, les codes CPV, le lieu, le montant et, "
        "si la décision réserve le marché, la réservation. 409 (avec `need_id`) s'il existe déjà."
    ),
)
async def deposit_need(
    project_id: IdPath,
    principal: PrincipalDep,
    state: SourcingStateDep,
    payload: NeedFromProject | None = None,
) -> NeedCreated:
    return await service.deposit_need(state, principal, project_id, payload or NeedFromProject())
