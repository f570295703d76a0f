"""The OETH API: an organisation's deduction for a year and the attestations it received; an
EA, EATT or ESAT's clients and the attestations its managers issue them."""

from __future__ import annotations

from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Path, Query, Response

from services.common.auth import PrincipalDep, SessionDep
from services.common.params import IdPath
from services.sourcing.oeth import attestations, service
from services.sourcing.oeth.pdf import render_attestation
from services.sourcing.oeth.schemas import (
    AttestationInput,
    AttestationUpdate,
    AttestationView,
    ClientOfStructure,
    DeclarationInput,
    OethView,
    TihInput,
)
from services.sourcing.projects.service import in_transaction
from services.sourcing.state import SourcingStateDep

router = APIRouter(prefix="/v1", tags=["OETH et attestations"])
YearPath = Annotated[int, Path(ge=2000, le=2100, description="Année de la contribution")]
Year = Annotated[int, Query(ge=2000, le=2100, description="Année")]
OptionalYear = Annotated[int | None, Query(ge=2000, le=2100, description="Année")]
PDF = {200: {"content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}}


async def _pdf(view: AttestationView) -> Response:
    pdf = await to_thread.run_sync(render_attestation, view.model_dump(mode="json"))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="attestation-{view.number}.pdf"'},
    )


@router.get(
    "/organisations/{organisation_id}/oeth/{year}",
    response_model=OethView,
    summary="Déduction OETH de l'année : contrats EA/ESAT/TIH, plafond, contribution",
    description=(
        "Les contrats sont les fournisseurs de l'import de dépenses actif rapprochés d'une EA, "
        "EATT ou ESAT, ceux marqués TIH, et les attestations reçues (qui remplacent "
        "l'estimation de leur structure)."
    ),
)
def read_oeth(
    organisation_id: IdPath, year: YearPath, session: SessionDep, principal: PrincipalDep
) -> OethView:
    return service.read(session, principal, organisation_id, year)


@router.put(
    "/organisations/{organisation_id}/oeth/{year}",
    response_model=OethView,
    summary="Déclarer l'effectif, le taux, la contribution brute et la part de main-d'œuvre",
)
def declare(
    organisation_id: IdPath,
    year: YearPath,
    payload: DeclarationInput,
    session: SessionDep,
    principal: PrincipalDep,
) -> OethView:
    return service.declare(session, principal, organisation_id, year, payload)


@router.post(
    "/organisations/{organisation_id}/oeth/{year}/tih",
    response_model=OethView,
    summary="Marquer (ou non) un fournisseur des dépenses comme travailleur indépendant handicapé",
)
def mark_tih(
    organisation_id: IdPath,
    year: YearPath,
    payload: TihInput,
    session: SessionDep,
    principal: PrincipalDep,
) -> OethView:
    return service.mark_tih(session, principal, organisation_id, year, payload)


@router.get(
    "/organisations/{organisation_id}/attestations",
    response_model=list[AttestationView],
    summary="Attestations reçues par l'organisation (son SIREN), toutes versions",
)
def received(
    organisation_id: IdPath,
    session: SessionDep,
    principal: PrincipalDep,
    year: OptionalYear = None,
) -> list[AttestationView]:
    return attestations.received(session, principal, organisation_id, year)


@router.get(
    "/organisations/{organisation_id}/attestations/{attestation_id}/attestation.pdf",
    summary="Une attestation reçue (PDF)",
    response_class=Response,
    responses=PDF,  # type: ignore[arg-type]
)
async def received_pdf(
    organisation_id: IdPath,
    attestation_id: IdPath,
    principal: PrincipalDep,
    state: SourcingStateDep,
) -> Response:
    view = await in_transaction(
        state,
        lambda s: attestations.received_one(s, principal, organisation_id, attestation_id),
    )
    return await _pdf(view)


@router.get(
    "/structures/{structure_id}/clients",
    response_model=list[ClientOfStructure],
    summary="Clients de la structure d'après leurs dépenses importées (gestionnaires)",
    description="Pour chaque client, le total de ses seules lignes rapprochées de la structure.",
)
async def clients(
    structure_id: IdPath, year: Year, principal: PrincipalDep, state: SourcingStateDep
) -> list[ClientOfStructure]:
    return await attestations.clients(state, principal, structure_id, year)


@router.get(
    "/structures/{structure_id}/attestations",
    response_model=list[AttestationView],
    summary="Attestations émises par la structure, toutes versions (gestionnaires)",
)
async def issued(
    structure_id: IdPath,
    principal: PrincipalDep,
    state: SourcingStateDep,
    year: OptionalYear = None,
) -> list[AttestationView]:
    return await attestations.issued(state, principal, structure_id, year)


@router.post(
    "/structures/{structure_id}/attestations",
    status_code=201,
    response_model=AttestationView,
    summary="Émettre l'attestation annuelle d'un client (EA, EATT, ESAT)",
)
async def issue(
    structure_id: IdPath,
    payload: AttestationInput,
    principal: PrincipalDep,
    state: SourcingStateDep,
) -> AttestationView:
    return await attestations.issue(state, principal, structure_id, payload)


@router.get(
    "/structures/{structure_id}/attestations/{attestation_id}",
    response_model=AttestationView,
    summary="Lire une attestation émise",
)
async def read_attestation(
    structure_id: IdPath, attestation_id: IdPath, principal: PrincipalDep, state: SourcingStateDep
) -> AttestationView:
    return await attestations.read(state, principal, structure_id, attestation_id)


@router.put(
    "/structures/{structure_id}/attestations/{attestation_id}",
    response_model=AttestationView,
    summary="Réémettre une attestation : nouvelle version, la précédente est remplacée",
)
async def reissue(
    structure_id: IdPath,
    attestation_id: IdPath,
    payload: AttestationUpdate,
    principal: PrincipalDep,
    state: SourcingStateDep,
) -> AttestationView:
    return await attestations.reissue(state, principal, structure_id, attestation_id, payload)


@router.get(
    "/structures/{structure_id}/attestations/{attestation_id}/attestation.pdf",
    summary="Une attestation émise (PDF)",
    response_class=Response,
    responses=PDF,  # type: ignore[arg-type]
)
async def issued_pdf(
    structure_id: IdPath, attestation_id: IdPath, principal: PrincipalDep, state: SourcingStateDep
) -> Response:
    return await _pdf(await attestations.read(state, principal, structure_id, attestation_id))
