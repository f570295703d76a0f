"""An organisation's OETH year: its declaration, the contracts that open the deduction (from its
active spend, its TIH marks and the attestations its suppliers issued it) and the deduction."""

from __future__ import annotations

from dataclasses import asdict
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from services.common.db import utcnow
from services.common.errors import Conflict, InvalidParameter, NotFound
from services.common.identity import Principal
from services.domain.kinds import HANDICAP_KINDS
from services.sourcing.oeth import contribution, deduction
from services.sourcing.oeth.models import Attestation, OethDeclaration, TihMark
from services.sourcing.oeth.repository import OethRepository
from services.sourcing.oeth.schemas import (
    ContractLine,
    ContributionView,
    DeclarationInput,
    DeclarationView,
    OethView,
    TihInput,
)
from services.sourcing.projects.models import Organisation
from services.sourcing.projects.organisations import reach
from services.sourcing.spend.models import INCLUSIVE_MATCHES, SpendSupplier

TIH = "TIH"
# The labour share assumed for purchases nobody attested, until the buyer sets its own.
DEFAULT_LABOUR_SHARE = Decimal("0.5")
HUNDRED = Decimal(100)

LAW = [
    "Déduction (Code du travail, L5212-10-1) : achats de fournitures, de sous-traitance ou de "
    "prestations de services auprès d'entreprises adaptées, d'ESAT et de travailleurs "
    "indépendants handicapés.",
    "Montant (D5212-22) : 30 % du prix hors taxes diminué des coûts des matières premières, "
    "produits, matériaux, sous-traitance, consommations intermédiaires et frais de vente et de "
    "commercialisation, c'est-à-dire du coût de la main-d'œuvre de chaque contrat.",
    "Plafond (D5212-22) : 50 % de la contribution brute (avant déductions, D5212-20) lorsque "
    "l'employeur emploie moins de 3 % de bénéficiaires de l'obligation d'emploi, 75 % à partir "
    "de 3 %.",
    "Attestation (D5212-7) : le fournisseur remet à chaque client, au plus tard le 15 mars de "
    "l'année suivante, une attestation annuelle selon le modèle fixé par l'arrêté du "
    "19 novembre 2020 ; le montant attesté remplace l'estimation.",
]
NOT_COUNTED = (
    "Non pris en compte ici : les autres déductions (dépenses déductibles, D5212-23), "
    "l'écrêtement et la surcontribution de 1 500 fois le SMIC (D5212-21)."
)


def cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value())


def euros(cents_: int) -> float:
    return float(Decimal(cents_) / 100)


def _hundredths(value: Decimal | None) -> int | None:
    return None if value is None else cents(value)


def _from_hundredths(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / 100


def _labour_share(declaration: OethDeclaration | None) -> Decimal:
    if declaration is None:
        return DEFAULT_LABOUR_SHARE
    return Decimal(declaration.labour_share_basis_points) / 10_000


def _rate(declaration: OethDeclaration | None) -> Decimal | None:
    """The declared rate, else beneficiaries ÷ headcount (unrounded), else unknown."""
    if declaration is None:
        return None
    if declaration.rate_hundredths is not None:
        return Decimal(declaration.rate_hundredths) / 100
    if declaration.beneficiaries_hundredths is None:
        return None
    return (
        Decimal(declaration.beneficiaries_hundredths)
        / Decimal(declaration.headcount_hundredths)
        * HUNDRED
    )


def _estimate_json(found: contribution.Estimate) -> dict[str, object]:
    plain = asdict(found)
    plain["gross_eur"] = None if found.gross_cents is None else euros(found.gross_cents)
    plain["smic_hourly_eur"] = (
        None if found.smic_hourly_cents is None else euros(found.smic_hourly_cents)
    )
    for name in ("gross_cents", "smic_hourly_cents"):
        plain.pop(name)
    for name in ("headcount", "beneficiaries", "missing"):
        value = plain[name]
        plain[name] = None if value is None else float(value)
    plain["rules"] = (
        "Code du travail D5212-2 (obligation de 6 % arrondie à l'entier inférieur) et D5212-20 "
        "(400, 500 ou 600 fois le SMIC horaire brut en vigueur au 31 décembre de l'année "
        "selon l'effectif)"
    )
    return plain


def _contribution(
    declaration: OethDeclaration | None, year: int
) -> tuple[int | None, ContributionView, contribution.Estimate | None]:
    if declaration is not None and declaration.gross_contribution_cents is not None:
        gross = declaration.gross_contribution_cents
        return (
            gross,
            ContributionView(gross_eur=euros(gross), source="declared", estimate=None),
            None,
        )
    found = contribution.estimate(
        year,
        _from_hundredths(declaration.headcount_hundredths) if declaration else None,
        _from_hundredths(declaration.beneficiaries_hundredths) if declaration else None,
    )
    source = "estimated" if found.gross_cents is not None else "missing"
    view = ContributionView(
        gross_eur=None if found.gross_cents is None else euros(found.gross_cents),
        source=source,
        estimate=_estimate_json(found),
    )
    return found.gross_cents, view, found


def _kind(supplier: SpendSupplier, tih: bool) -> str | None:
    handicap = supplier.match in INCLUSIVE_MATCHES and supplier.kind in {
        str(k) for k in HANDICAP_KINDS
    }
    return supplier.kind if handicap else (TIH if tih else supplier.kind)


def _contracts(
    session: Session, organisation: Organisation, year: int
) -> list[tuple[ContractLine, deduction.Contract]]:
    """The year's contracts that open the deduction, each with what the computation needs; an
    attestation replaces the estimates of its structure's spend."""
    assert organisation.id is not None
    oeth = OethRepository(session)
    received = oeth.received(organisation, year)
    attested = {a.structure_id for a in received}
    keys: dict[int, str] = {}
    rows: list[tuple[ContractLine, deduction.Contract]] = []
    upload = oeth.active_upload(organisation.id, year)
    tih = oeth.tih_keys(organisation.id)
    for supplier in oeth.deduction_suppliers(upload.id or 0, tih) if upload else []:
        structure = supplier.structure_id if supplier.match in INCLUSIVE_MATCHES else None
        if structure is not None:
            keys.setdefault(structure, supplier.supplier_key)
            if structure in attested:
                continue
        rows.append(
            (
                ContractLine(
                    supplier_key=supplier.supplier_key,
                    structure_id=structure,
                    name=supplier.structure_name or supplier.name,
                    kind=_kind(supplier, supplier.supplier_key in tih),
                    siret=supplier.structure_siret or supplier.siret,
                    amount_eur=euros(supplier.amount_cents),
                    labour_cost_eur=0,
                    source="estimate",
                    attestation_id=None,
                    deductible_eur=0,
                    tih=supplier.supplier_key in tih,
                ),
                deduction.Contract(supplier.amount_cents),
            )
        )
    for attestation in received:
        rows.append((_attested_line(attestation, keys), _attested(attestation)))
    return rows


def _attested(attestation: Attestation) -> deduction.Contract:
    return deduction.Contract(attestation.amount_cents, attestation.labour_cost_cents)


def _attested_line(attestation: Attestation, keys: dict[int, str]) -> ContractLine:
    structure = attestation.structure
    return ContractLine(
        supplier_key=keys.get(attestation.structure_id, f"structure:{attestation.structure_id}"),
        structure_id=attestation.structure_id,
        name=str(structure.get("name", "")),
        kind=structure.get("kind"),
        siret=structure.get("siret"),
        amount_eur=euros(attestation.amount_cents),
        labour_cost_eur=0,
        source="attestation",
        attestation_id=attestation.id,
        deductible_eur=0,
    )


def _declaration_view(declaration: OethDeclaration) -> DeclarationView:
    beneficiaries = _from_hundredths(declaration.beneficiaries_hundredths)
    rate = _from_hundredths(declaration.rate_hundredths)
    gross = declaration.gross_contribution_cents
    return DeclarationView(
        headcount=float(Decimal(declaration.headcount_hundredths) / 100),
        beneficiaries=None if beneficiaries is None else float(beneficiaries),
        rate=None if rate is None else float(rate),
        gross_contribution_eur=None if gross is None else euros(gross),
        labour_share=float(_labour_share(declaration)),
        version=declaration.version,
        updated_at=declaration.updated_at,
    )


def _percent(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')).normalize():f}".replace(".", ",") + " %"


def _method(
    declaration: OethDeclaration | None,
    rate: Decimal | None,
    found: contribution.Estimate | None,
    result: deduction.Deduction,
) -> list[str]:
    share = _labour_share(declaration)
    lines = list(LAW)
    lines.append(
        "Sans attestation, le coût de la main-d'œuvre est estimé à "
        f"{_percent(share * HUNDRED)} du montant HT des achats"
        + (" (valeur par défaut : saisissez la vôtre)." if declaration is None else ".")
    )
    if rate is None:
        lines.append(
            "Taux d'emploi inconnu : saisissez votre taux ou vos bénéficiaires pour appliquer le "
            "plafond."
        )
    elif declaration is not None and declaration.rate_hundredths is None:
        lines.append(f"Taux d'emploi calculé : bénéficiaires ÷ effectif = {_percent(rate)}.")
    if found is not None:
        lines.append(found.formula or found.explanation)
    if result.cap_cents is None and rate is not None:
        lines.append("Contribution brute inconnue : le plafond ne peut pas être appliqué.")
    lines.append(NOT_COUNTED)
    return lines


def view(session: Session, organisation: Organisation, year: int) -> OethView:
    assert organisation.id is not None
    declaration = OethRepository(session).declaration(organisation.id, year)
    gross, contribution_view, found = _contribution(declaration, year)
    rate = _rate(declaration)
    rows = _contracts(session, organisation, year)
    result = deduction.deduction(
        [contract for _, contract in rows], _labour_share(declaration), rate, gross
    )
    contracts = [
        line.model_copy(
            update={
                "labour_cost_eur": euros(computed.labour_cents),
                "deductible_eur": euros(computed.deductible_cents),
                "source": computed.source.value,
            }
        )
        for (line, _), computed in zip(rows, result.contracts, strict=True)
    ]
    return OethView(
        year=year,
        declaration=_declaration_view(declaration) if declaration else None,
        contribution=contribution_view,
        rate=None if rate is None else float(rate),
        cap_share=None if result.cap_share is None else float(result.cap_share),
        cap_eur=None if result.cap_cents is None else euros(result.cap_cents),
        contracts=contracts,
        labour_cost_eur=euros(result.labour_cents),
        deductible_before_cap_eur=euros(result.deductible_cents),
        deduction_eur=None if result.deduction_cents is None else euros(result.deduction_cents),
        capped=result.capped,
        contribution_after_eur=(
            None
            if result.contribution_after_cents is None
            else euros(result.contribution_after_cents)
        ),
        estimated=result.estimated,
        method=_method(declaration, rate, found, result),
    )


def read(session: Session, principal: Principal, organisation_id: int, year: int) -> OethView:
    access = reach(session, principal, organisation_id, write=False)
    return view(session, access.organisation, year)


def declare(
    session: Session,
    principal: Principal,
    organisation_id: int,
    year: int,
    payload: DeclarationInput,
) -> OethView:
    access = reach(session, principal, organisation_id, write=True)
    oeth = OethRepository(session)
    declaration = oeth.declaration(organisation_id, year)
    if payload.beneficiaries is not None and payload.beneficiaries > payload.headcount:
        raise InvalidParameter(
            "beneficiaries", "ne peut pas dépasser l'effectif (headcount)", "body"
        )
    values: dict[str, Any] = {
        "headcount_hundredths": cents(payload.headcount),
        "beneficiaries_hundredths": _hundredths(payload.beneficiaries),
        "rate_hundredths": _hundredths(payload.rate),
        "gross_contribution_cents": _hundredths(payload.gross_contribution_eur),
        "labour_share_basis_points": int(payload.labour_share * 10_000),
        "updated_by": principal.account_id[:64],
        "updated_at": utcnow(),
    }
    if declaration is None:
        declaration = OethDeclaration(organisation_id=organisation_id, year=year, **values)
    else:
        for name, value in values.items():
            setattr(declaration, name, value)
        declaration.version += 1
    try:
        oeth.save(declaration)
    except IntegrityError as exc:  # two first declarations of the year at once
        raise Conflict(
            f"La déclaration {year} vient d'être enregistrée par ailleurs : rechargez-la."
        ) from exc
    return view(session, access.organisation, year)


def mark_tih(
    session: Session,
    principal: Principal,
    organisation_id: int,
    year: int,
    payload: TihInput,
) -> OethView:
    """Marks or unmarks a supplier of the year's spend as a disabled self-employed worker."""
    access = reach(session, principal, organisation_id, write=True)
    oeth = OethRepository(session)
    upload = oeth.active_upload(organisation_id, year)
    if upload is None:
        raise NotFound(f"Aucun import de dépenses actif pour {year}.")
    if oeth.supplier(upload.id or 0, payload.supplier_key) is None:
        raise InvalidParameter(
            "supplier_key", f"fournisseur inconnu dans les dépenses {year}", "body"
        )
    mark = oeth.tih_mark(organisation_id, payload.supplier_key)
    if payload.tih and mark is None:
        try:
            oeth.save(
                TihMark(
                    organisation_id=organisation_id,
                    supplier_key=payload.supplier_key,
                    marked_by=principal.account_id[:64],
                )
            )
        except IntegrityError as exc:  # marked by another request at the same moment
            raise Conflict("Ce fournisseur vient d'être marqué par ailleurs : rechargez.") from exc
    elif not payload.tih and mark is not None:
        oeth.delete(mark)
    return view(session, access.organisation, year)
