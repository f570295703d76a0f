"""Suppliers' yearly attestations: an EA, EATT or ESAT manager issues one per client and year
with each contract's labour cost; a reissue adds a version and keeps the previous one. The
client organisation (same SIREN) reads them, and its deduction uses the attested figures."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, InvalidParameter, NotFound
from services.common.identity import Principal
from services.domain.kinds import HANDICAP_KINDS
from services.sourcing.oeth.deduction import DEDUCTIBLE_SHARE, share_of
from services.sourcing.oeth.models import Attestation, AttestationStatus
from services.sourcing.oeth.repository import OethRepository
from services.sourcing.oeth.schemas import (
    AttestationInput,
    AttestationUpdate,
    AttestationView,
    ClientInput,
    ClientOfStructure,
    ClientView,
    ContractInput,
    ContractView,
    StructureSnapshot,
)
from services.sourcing.oeth.service import cents, euros
from services.sourcing.projects.organisations import reach
from services.sourcing.projects.service import in_transaction
from services.sourcing.state import SourcingState

KINDS = {str(k) for k in HANDICAP_KINDS}


async def check_manager(
    state: SourcingState, principal: Principal, structure_id: int, write: bool
) -> None:
    """Managers of the structure read and write its attestations; staff only read them."""
    if principal.is_staff and not write:
        return
    if not await state.runner.directory.manages(structure_id, principal.account_id):
        raise Forbidden("Vous ne gérez pas cette structure.")


async def _issuer(state: SourcingState, structure_id: int) -> dict[str, Any]:
    """The structure as the attestation shows it; only an EA, EATT or ESAT issues one."""
    record = await state.runner.directory.structure(structure_id)
    if record is None:
        raise NotFound(f"Structure {structure_id} introuvable.")
    if record.get("kind") not in KINDS:
        raise InvalidParameter(
            "structure_id",
            "seules les entreprises adaptées (EA, EATT) et les ESAT établissent cette "
            f"attestation ; cette structure est de type {record.get('kind')}",
            "path",
        )
    place = " ".join(p for p in (record.get("postcode"), record.get("city")) if p)
    address = ", ".join(p for p in (record.get("address"), place) if p)
    return {
        "id": structure_id,
        "name": str(record.get("brand") or record.get("name") or ""),
        "legal_name": str(record.get("name") or ""),
        "siret": record.get("siret"),
        "kind": str(record["kind"]),
        "address": address,
    }


def _invalid_contract(index: int, detail: str) -> InvalidParameter:
    error = InvalidParameter(f"contracts[{index}].labour_cost_eur", detail, "body")
    error.extra["errors"][0]["pointer"] = f"/body/contracts/{index}/labour_cost_eur"
    return error


def _contracts(contracts: list[ContractInput]) -> list[dict[str, Any]]:
    for index, contract in enumerate(contracts):
        if contract.labour_cost_eur > contract.amount_excl_vat_eur:
            raise _invalid_contract(
                index, "le coût de la main-d'œuvre ne peut pas dépasser le montant HT"
            )
    return [
        {
            "reference": c.reference.strip(),
            "description": c.description.strip(),
            "invoiced_on": c.invoiced_on.isoformat() if c.invoiced_on else None,
            "amount_cents": cents(c.amount_excl_vat_eur),
            "labour_cost_cents": cents(c.labour_cost_eur),
        }
        for c in contracts
    ]


def _fill(attestation: Attestation, client: ClientInput, contracts: list[dict[str, Any]]) -> None:
    attestation.client_siren = client.siren
    attestation.client_name = client.name.strip()
    attestation.client_address = client.address.strip()
    attestation.contracts = contracts
    attestation.amount_cents = sum(int(c["amount_cents"]) for c in contracts)
    attestation.labour_cost_cents = sum(int(c["labour_cost_cents"]) for c in contracts)
    # The deduction before the cap is 30 % of the total labour cost, as the model states it.
    attestation.deductible_cents = share_of(attestation.labour_cost_cents, DEDUCTIBLE_SHARE)


def to_view(attestation: Attestation) -> AttestationView:
    structure = attestation.structure
    return AttestationView(
        id=attestation.id or 0,
        number=attestation.number,
        version=attestation.version,
        status=attestation.status.value,
        structure=StructureSnapshot(
            id=attestation.structure_id,
            name=str(structure.get("name", "")),
            siret=structure.get("siret"),
            kind=str(structure.get("kind", "")),
            address=str(structure.get("address", "")),
        ),
        year=attestation.year,
        client=ClientView(
            siren=attestation.client_siren,
            name=attestation.client_name,
            address=attestation.client_address,
        ),
        contracts=[
            ContractView(
                reference=c["reference"],
                description=c["description"],
                invoiced_on=c["invoiced_on"],
                amount_excl_vat_eur=euros(int(c["amount_cents"])),
                labour_cost_eur=euros(int(c["labour_cost_cents"])),
            )
            for c in attestation.contracts
        ],
        amount_excl_vat_eur=euros(attestation.amount_cents),
        labour_cost_eur=euros(attestation.labour_cost_cents),
        deductible_eur=euros(attestation.deductible_cents),
        issued_at=attestation.issued_at,
        issued_by=attestation.issued_by,
        replaces=attestation.replaces,
    )


def _number(structure_id: int, year: int, sequence: int, version: int) -> str:
    """« AT-2025-000042-0003 », then « …-v2 » for its reissues."""
    base = f"AT-{year}-{structure_id:06d}-{sequence:04d}"
    return base if version == 1 else f"{base}-v{version}"


def _busy(exc: IntegrityError) -> Conflict:
    return Conflict("Une autre attestation vient d'être enregistrée : réessayez.")


async def issue(
    state: SourcingState, principal: Principal, structure_id: int, payload: AttestationInput
) -> AttestationView:
    await check_manager(state, principal, structure_id, write=True)
    structure = await _issuer(state, structure_id)
    contracts = _contracts(payload.contracts)

    def save(session: Session) -> AttestationView:
        oeth = OethRepository(session)
        sequence = oeth.series_count(structure_id, payload.year) + 1
        attestation = Attestation(
            number=_number(structure_id, payload.year, sequence, 1),
            status=AttestationStatus.ISSUED,
            structure_id=structure_id,
            structure=structure,
            year=payload.year,
            client_siren=payload.client.siren,
            client_name="",
            issued_by=(principal.email or principal.account_id)[:64],
        )
        _fill(attestation, payload.client, contracts)
        try:
            oeth.save(attestation)
        except IntegrityError as exc:  # the same number taken by a concurrent issue
            raise _busy(exc) from exc
        attestation.series = attestation.id
        oeth.save(attestation)
        return to_view(attestation)

    return await in_transaction(state, save)


def _of_structure(session: Session, structure_id: int, attestation_id: int) -> Attestation:
    attestation = OethRepository(session).attestation(attestation_id)
    if attestation is None or attestation.structure_id != structure_id:
        raise NotFound(f"Attestation {attestation_id} introuvable pour cette structure.")
    return attestation


async def reissue(
    state: SourcingState,
    principal: Principal,
    structure_id: int,
    attestation_id: int,
    payload: AttestationUpdate,
) -> AttestationView:
    """A new version of an attestation in force; the previous one turns `replaced`."""
    await check_manager(state, principal, structure_id, write=True)
    structure = await _issuer(state, structure_id)
    contracts = _contracts(payload.contracts)

    def save(session: Session) -> AttestationView:
        oeth = OethRepository(session)
        previous = _of_structure(session, structure_id, attestation_id)
        if previous.status != AttestationStatus.ISSUED:
            raise Conflict(
                "Cette attestation a déjà été remplacée : réémettez sa dernière version."
            )
        sequence = int(previous.number.split("-")[3])
        attestation = Attestation(
            number=_number(structure_id, previous.year, sequence, previous.version + 1),
            series=previous.series,
            version=previous.version + 1,
            status=AttestationStatus.ISSUED,
            structure_id=structure_id,
            structure=structure,
            year=previous.year,
            client_siren=payload.client.siren,
            client_name="",
            issued_by=(principal.email or principal.account_id)[:64],
            issued_at=utcnow(),
            replaces=previous.id,
        )
        _fill(attestation, payload.client, contracts)
        previous.status = AttestationStatus.REPLACED
        try:
            oeth.save(previous, attestation)
        except IntegrityError as exc:  # reissued by another request at the same moment
            raise _busy(exc) from exc
        return to_view(attestation)

    return await in_transaction(state, save)


async def issued(
    state: SourcingState, principal: Principal, structure_id: int, year: int | None
) -> list[AttestationView]:
    await check_manager(state, principal, structure_id, write=False)
    return await in_transaction(
        state,
        lambda s: [to_view(a) for a in OethRepository(s).issued(structure_id, year)],
    )


async def read(
    state: SourcingState, principal: Principal, structure_id: int, attestation_id: int
) -> AttestationView:
    await check_manager(state, principal, structure_id, write=False)
    return await in_transaction(
        state, lambda s: to_view(_of_structure(s, structure_id, attestation_id))
    )


async def clients(
    state: SourcingState, principal: Principal, structure_id: int, year: int
) -> list[ClientOfStructure]:
    """The organisations whose active spend of the year matched the structure: their totals on
    its lines only, and the attestation in force already issued to their SIREN, if any."""
    await check_manager(state, principal, structure_id, write=False)

    def load(session: Session) -> list[ClientOfStructure]:
        oeth = OethRepository(session)
        in_force = {
            a.client_siren: a.id
            for a in reversed(oeth.issued(structure_id, year))
            if a.status == AttestationStatus.ISSUED
        }
        return [
            ClientOfStructure(
                organisation_id=c.organisation_id,
                siren=c.siren,
                name=c.name,
                lines=c.lines,
                amount_eur=euros(c.amount_cents),
                attestation_id=in_force.get(c.siren),
            )
            for c in oeth.clients(structure_id, year)
        ]

    return await in_transaction(state, load)


def received(
    session: Session, principal: Principal, organisation_id: int, year: int | None
) -> list[AttestationView]:
    """The attestations issued to the organisation's SIREN, every version, newest first."""
    access = reach(session, principal, organisation_id, write=False)
    found = OethRepository(session).received_all(access.organisation, year)
    return [to_view(a) for a in found]


def received_one(
    session: Session, principal: Principal, organisation_id: int, attestation_id: int
) -> AttestationView:
    access = reach(session, principal, organisation_id, write=False)
    oeth = OethRepository(session)
    attestation = oeth.attestation(attestation_id)
    if attestation is None or not oeth.addressed_to(attestation, access.organisation):
        raise NotFound(f"Attestation {attestation_id} introuvable pour cette organisation.")
    return to_view(attestation)
