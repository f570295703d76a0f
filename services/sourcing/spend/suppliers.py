"""The suppliers of an organisation's active spend of a year, as matched to the catalog; the
buyer confirms or rejects a match, and the choice is remembered for the next imports."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from typing import Any

from sqlmodel import Session

from services.common.db import utcnow
from services.common.errors import InvalidParameter, NotFound
from services.common.identity import Principal
from services.common.spreadsheet import safe_cell
from services.sourcing.projects.organisations import reach
from services.sourcing.spend.matching import snapshot
from services.sourcing.spend.models import (
    Decision,
    MatchKind,
    SpendChoice,
    SpendSupplier,
    SpendUpload,
)
from services.sourcing.spend.repository import SpendRepository
from services.sourcing.spend.schemas import (
    DecisionInput,
    SupplierItem,
    SupplierPage,
    SupplierStructure,
    SupplierSuggestion,
)

MATCH_LABELS = {
    MatchKind.SIRET: "SIRET",
    MatchKind.SIREN: "SIREN (autre établissement)",
    MatchKind.CONFIRMED: "confirmé par l'acheteur",
    MatchKind.SUGGESTED: "suggestion (nom et code postal) à confirmer",
    MatchKind.NONE: "aucun",
}


def euros(cents: int) -> float:
    return round(cents / 100, 2)


def active_upload(session: Session, organisation_id: int, year: int) -> SpendUpload:
    upload = SpendRepository(session).active(organisation_id, year)
    if upload is None:
        raise NotFound(f"Aucun import de dépenses en vigueur pour l'année {year}.")
    return upload


def item(
    supplier: SpendSupplier, identities: Mapping[int, Mapping[str, Any]] | None = None
) -> SupplierItem:
    structure = None
    if supplier.structure_id is not None:
        structure = SupplierStructure(
            id=supplier.structure_id,
            name=supplier.structure_name,
            siret=supplier.structure_siret,
            kind=supplier.kind,
            family=supplier.family,
            region_code=supplier.region_code,
            department_code=supplier.department_code,
            is_qpv=supplier.is_qpv,
            is_zrr=supplier.is_zrr,
        )
    suggestion = None
    if supplier.match == MatchKind.SUGGESTED and supplier.suggested_structure_id is not None:
        known = (identities or {}).get(supplier.suggested_structure_id) or {}
        suggestion = SupplierSuggestion(
            id=supplier.suggested_structure_id,
            name=known.get("name"),
            siret=known.get("siret"),
            postcode=known.get("postcode"),
            kind=known.get("kind"),
        )
    return SupplierItem(
        key=supplier.supplier_key,
        siret=supplier.siret,
        siren=supplier.siren,
        name=supplier.name,
        postcode=supplier.postcode,
        lines=supplier.lines,
        amount_eur=euros(supplier.amount_cents),
        match=supplier.match,
        structure=structure,
        suggestion=suggestion,
    )


def page(
    session: Session,
    principal: Principal,
    organisation_id: int,
    year: int,
    match: MatchKind | None,
    q: str | None,
    number: int,
    per_page: int,
) -> tuple[SupplierPage, list[SpendSupplier]]:
    """The page of suppliers and its rows (whose suggestions the caller may describe)."""
    reach(session, principal, organisation_id, write=False)
    upload = active_upload(session, organisation_id, year)
    assert upload.id is not None
    spend = SpendRepository(session)
    rows, total = spend.suppliers(upload.id, match, q, (number - 1) * per_page, per_page)
    return (
        SupplierPage(
            year=year,
            upload_id=upload.id,
            items=[],
            total=total,
            page=number,
            per_page=per_page,
            counts=spend.match_counts(upload.id),
        ),
        list(rows),
    )


def export_csv(
    session: Session, principal: Principal, organisation_id: int, year: int
) -> Iterator[str]:
    """Every supplier of the year and how it matched, semicolon-separated, formula-safe."""
    reach(session, principal, organisation_id, write=False)
    upload = active_upload(session, organisation_id, year)
    assert upload.id is not None
    rows, _ = SpendRepository(session).suppliers(upload.id, None, None)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        [
            "clé",
            "SIRET",
            "SIREN",
            "nom",
            "code postal",
            "lignes",
            "montant HT (€)",
            "rapprochement",
            "structure",
            "SIRET de la structure",
            "type",
            "famille",
            "région",
            "département",
            "QPV",
            "ZRR",
            "suggestion (id)",
        ]
    )
    for s in rows:
        writer.writerow(
            [
                safe_cell(v)
                for v in (
                    s.supplier_key,
                    s.siret,
                    s.siren,
                    s.name,
                    s.postcode,
                    s.lines,
                    f"{euros(s.amount_cents):.2f}".replace(".", ","),
                    MATCH_LABELS[s.match],
                    s.structure_name,
                    s.structure_siret,
                    s.kind,
                    s.family,
                    s.region_code,
                    s.department_code,
                    "" if s.is_qpv is None else ("oui" if s.is_qpv else "non"),
                    "" if s.is_zrr is None else ("oui" if s.is_zrr else "non"),
                    s.suggested_structure_id if s.match == MatchKind.SUGGESTED else "",
                )
            ]
        )
    yield "\ufeff" + buffer.getvalue()


def target_of(
    session: Session, principal: Principal, organisation_id: int, payload: DecisionInput
) -> SpendSupplier:
    """The active supplier a decision is about (write access checked)."""
    reach(session, principal, organisation_id, write=True)
    upload = active_upload(session, organisation_id, payload.year)
    assert upload.id is not None
    supplier = SpendRepository(session).supplier(upload.id, payload.key)
    if supplier is None:
        raise InvalidParameter(
            "key", f"aucun fournisseur « {payload.key} » en {payload.year}", "body"
        )
    return supplier


def confirmed_structure_id(supplier: SpendSupplier, payload: DecisionInput) -> int:
    structure_id = payload.structure_id or supplier.suggested_structure_id
    if structure_id is None:
        raise InvalidParameter(
            "structure_id", "aucune suggestion pour ce fournisseur : donnez la structure", "body"
        )
    return structure_id


def decide(
    session: Session,
    principal: Principal,
    organisation_id: int,
    payload: DecisionInput,
    structure: Mapping[str, Any] | None,
) -> SupplierItem:
    """Records the decision on the active supplier and remembers it for the next imports;
    `structure` is the catalog's record of the confirmed structure."""
    supplier = target_of(session, principal, organisation_id, payload)
    repository = SpendRepository(session)
    choice = repository.choice(organisation_id, supplier.supplier_key) or SpendChoice(
        organisation_id=organisation_id,
        supplier_key=supplier.supplier_key,
        decision=Decision.REJECTED,
        decided_by=principal.account_id[:64],
    )
    if payload.decision == "confirm":
        assert structure is not None
        choice.decision, choice.structure_id = Decision.CONFIRMED, int(structure["id"])
        supplier.match = MatchKind.CONFIRMED
        values = snapshot(structure)
    else:
        choice.decision, choice.structure_id = Decision.REJECTED, None
        supplier.match = MatchKind.NONE
        values = snapshot(None)
    for name, value in values.items():
        setattr(supplier, name, value)
    choice.decided_by = principal.account_id[:64]
    choice.decided_at = utcnow()
    repository.save(choice, supplier)
    return item(supplier)
