"""The spend dashboard of an organisation's year: how much of its spend, and of its suppliers,
goes to inclusive structures, by family, kind, région, QPV/ZRR, category and buying entity,
year over year. Every figure is a GROUP BY in the database: a year may hold a million lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlmodel
from sqlalchemy import ColumnElement, Subquery, and_, case, distinct, func, literal, select
from sqlmodel import Session, col

from services.common.errors import NotFound
from services.domain.kinds import FAMILY_LABELS, KIND_LABELS, Family, Kind
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.spend.models import (
    INCLUSIVE_MATCHES,
    SpendCategory,
    SpendLine,
    SpendSupplier,
    SpendUpload,
    UploadStatus,
)

INCLUSIVE = tuple(m.value for m in INCLUSIVE_MATCHES)
NO_CATEGORY = "(sans catégorie)"
NO_ENTITY = "(sans entité)"
TERRITORY_LABELS = {
    "qpv": "Quartier prioritaire de la ville (QPV)",
    "zrr": "Zone de revitalisation rurale (ZRR)",
    "other": "Hors QPV et ZRR",
}


@dataclass(frozen=True)
class Filters:
    """The drill of the dashboard: every figure counts only the lines of this category and
    this buying entity (None: all)."""

    category: str | None = None
    buying_entity: str | None = None

    @property
    def any(self) -> bool:
        return self.category is not None or self.buying_entity is not None

    def clauses(self) -> list[ColumnElement[bool]]:
        found = []
        if self.category is not None:
            found.append(col(SpendLine.category) == self.category)
        if self.buying_entity is not None:
            found.append(col(SpendLine.buying_entity) == self.buying_entity)
        return found

    def as_dict(self) -> dict[str, str | None]:
        return {"category": self.category, "buying_entity": self.buying_entity}


def euros(cents: int | Decimal | None) -> float:
    # PostgreSQL sums a BigInteger column as a numeric: read back as a Decimal.
    return round(int(cents or 0) / 100, 2)


def share(part: int | Decimal | None, whole: int | Decimal | None) -> float:
    """A fraction 0..1; 0 when there is nothing (or only credit notes) to divide by."""
    return int(part or 0) / int(whole) if whole and whole > 0 else 0.0


def active_upload(session: Session, organisation_id: int, year: int) -> SpendUpload:
    """The year's active import; 404 when the organisation has none for that year."""
    upload = session.exec(
        sqlmodel.select(SpendUpload)
        .where(
            col(SpendUpload.organisation_id) == organisation_id,
            col(SpendUpload.year) == year,
            col(SpendUpload.status) == UploadStatus.ACTIVE,
        )
        .order_by(col(SpendUpload.id).desc())
        .limit(1)
    ).first()
    if upload is None:
        raise NotFound(f"Aucun import de dépenses actif pour l'année {year}.")
    return upload


def _inclusive(match: ColumnElement[Any]) -> ColumnElement[bool]:
    return match.in_(INCLUSIVE)


def supplier_figures(upload_id: int, filters: Filters) -> Subquery:
    """One row per supplier of the upload with its amount and lines within the filters, and
    what it matched. Without a filter the import's own per-supplier totals serve."""
    supplier = SpendSupplier.__table__.c  # type: ignore[attr-defined]
    attributes = (
        supplier.supplier_key,
        supplier.name,
        supplier.match,
        supplier.structure_id,
        supplier.kind,
        supplier.family,
        supplier.region_code,
        supplier.is_qpv,
        supplier.is_zrr,
        supplier.siret,
        supplier.siren,
        supplier.postcode,
        supplier.structure_name,
        supplier.structure_siret,
        supplier.department_code,
    )
    if not filters.any:
        return (
            select(
                *attributes,
                supplier.amount_cents.label("amount"),
                supplier.lines.label("lines"),
            )
            .where(supplier.upload_id == upload_id)
            .subquery("figures")
        )
    line = SpendLine.__table__.c  # type: ignore[attr-defined]
    per_key = (
        select(
            line.supplier_key,
            func.sum(line.amount_cents).label("amount"),
            func.count().label("lines"),
        )
        .where(line.upload_id == upload_id, *filters.clauses())
        .group_by(line.supplier_key)
        .subquery("per_key")
    )
    return (
        select(*attributes, per_key.c.amount, per_key.c.lines)
        .join_from(
            per_key,
            SpendSupplier.__table__,  # type: ignore[attr-defined]
            and_(
                supplier.upload_id == upload_id,
                supplier.supplier_key == per_key.c.supplier_key,
            ),
        )
        .subquery("figures")
    )


def _kind_label(code: str | None) -> str:
    try:
        return KIND_LABELS[Kind(code or "")]
    except ValueError:
        return code or "—"


def _family_label(code: str | None) -> str:
    try:
        return FAMILY_LABELS[Family(code or "")]
    except ValueError:
        return code or "—"


def _row(key: str, label: str, cents: int, suppliers: int, total: int) -> dict[str, Any]:
    return {
        "key": key,
        "label": label,
        "spend_eur": euros(cents),
        "suppliers": suppliers,
        "share": share(cents, total),
    }


def _rows(groups: Mapping[str, tuple[int, int]], total: int, label: Any) -> list[dict[str, Any]]:
    ordered = sorted(groups.items(), key=lambda item: (-item[1][0], item[0]))
    return [_row(key, label(key), cents, n, total) for key, (cents, n) in ordered]


def _breakdowns(
    session: Session, figures: Subquery, vocabulary: SearchVocabulary
) -> dict[str, Any]:
    """Totals and the breakdowns of inclusive spend, from one GROUP BY over the suppliers'
    figures: each supplier has one structure, so the groups' counts add up."""
    f = figures.c
    inclusive = _inclusive(f.match)
    rows = session.connection().execute(
        select(
            inclusive.label("inclusive"),
            f.family,
            f.kind,
            f.region_code,
            f.is_qpv,
            f.is_zrr,
            func.coalesce(func.sum(f.amount), 0),
            func.count(),
            func.coalesce(func.sum(f.lines), 0),
        ).group_by(inclusive, f.family, f.kind, f.region_code, f.is_qpv, f.is_zrr)
    )
    total = inclusive_cents = suppliers = inclusive_suppliers = lines = 0
    by: dict[str, dict[str, list[int]]] = {"family": {}, "kind": {}, "region": {}, "territory": {}}
    for is_inclusive, family, kind, region, qpv, zrr, summed, count, line_count in rows:
        cents = int(summed)
        total += cents
        suppliers += count
        lines += int(line_count)
        if not is_inclusive:
            continue
        inclusive_cents += cents
        inclusive_suppliers += count
        territories = [k for k, v in (("qpv", qpv), ("zrr", zrr)) if v] or ["other"]
        keys = {"family": [family or ""], "kind": [kind or ""], "region": [region or ""]}
        keys["territory"] = territories
        for name, values in keys.items():
            for value in values:
                cell = by[name].setdefault(value, [0, 0])
                cell[0] += cents
                cell[1] += count
    regions = vocabulary.region_names or {}

    def grouped(name: str) -> dict[str, tuple[int, int]]:
        return {k: (v[0], v[1]) for k, v in by[name].items()}

    return {
        "totals": {
            "spend_eur": euros(total),
            "inclusive_eur": euros(inclusive_cents),
            "inclusive_share": share(inclusive_cents, total),
            "suppliers": suppliers,
            "inclusive_suppliers": inclusive_suppliers,
            "inclusive_supplier_share": inclusive_suppliers / suppliers if suppliers else 0.0,
            "lines": lines,
        },
        "by_family": _rows(grouped("family"), total, _family_label),
        "by_kind": _rows(grouped("kind"), total, _kind_label),
        "by_region": _rows(grouped("region"), total, lambda c: regions.get(c, c or "—")),
        "by_territory": [
            _row(key, label, *grouped("territory").get(key, (0, 0)), total)
            for key, label in TERRITORY_LABELS.items()
        ],
    }


def _by_line_field(
    session: Session,
    upload_id: int,
    filters: Filters,
    field: str,
    sectors: Mapping[str, str | None],
    empty_label: str,
) -> list[dict[str, Any]]:
    """Spend and suppliers by a column of the lines (category, buying entity): a supplier
    counts once in each group it sold in."""
    line = SpendLine.__table__.c  # type: ignore[attr-defined]
    supplier = SpendSupplier.__table__.c  # type: ignore[attr-defined]
    inclusive = _inclusive(supplier.match)
    group = line[field]
    rows = (
        session.connection()
        .execute(
            select(
                group,
                func.sum(line.amount_cents),
                func.coalesce(func.sum(case((inclusive, line.amount_cents), else_=0)), 0),
                func.count(distinct(line.supplier_key)),
                func.count(distinct(case((inclusive, line.supplier_key), else_=None))),
            )
            .join_from(
                SpendLine.__table__,  # type: ignore[attr-defined]
                SpendSupplier.__table__,  # type: ignore[attr-defined]
                and_(
                    supplier.upload_id == line.upload_id,
                    supplier.supplier_key == line.supplier_key,
                ),
            )
            .where(line.upload_id == upload_id, *filters.clauses())
            .group_by(group)
        )
        .all()
    )
    ordered = sorted(rows, key=lambda r: (-int(r[1]), r[0]))
    return [
        {
            "key": key,
            "label": key or empty_label,
            "spend_eur": euros(cents),
            "inclusive_eur": euros(inclusive_cents),
            "inclusive_share": share(inclusive_cents, cents),
            "suppliers": count,
            "inclusive_suppliers": inclusive_count,
            "sector": sectors.get(key),
        }
        for key, cents, inclusive_cents, count, inclusive_count in ordered
    ]


def category_sectors(session: Session, organisation_id: int) -> dict[str, str | None]:
    """The sector each of the organisation's spend categories is mapped to."""
    rows = session.exec(
        sqlmodel.select(SpendCategory.label, SpendCategory.sector_slug).where(
            col(SpendCategory.organisation_id) == organisation_id
        )
    ).all()
    return {label: sector for label, sector in rows}


def years(session: Session, organisation_id: int, filters: Filters) -> list[dict[str, Any]]:
    """Every year with an active import, ascending, within the filters."""
    upload = SpendUpload.__table__.c  # type: ignore[attr-defined]
    supplier = SpendSupplier.__table__.c  # type: ignore[attr-defined]
    active = and_(upload.organisation_id == organisation_id, upload.status == UploadStatus.ACTIVE)
    inclusive = _inclusive(supplier.match)
    if filters.any:
        line = SpendLine.__table__.c  # type: ignore[attr-defined]
        query = (
            select(
                upload.year,
                func.sum(line.amount_cents),
                func.coalesce(func.sum(case((inclusive, line.amount_cents), else_=0)), 0),
                func.count(distinct(line.supplier_key)),
                func.count(distinct(case((inclusive, line.supplier_key), else_=None))),
            )
            .select_from(SpendUpload.__table__)  # type: ignore[attr-defined]
            .join(SpendLine.__table__, line.upload_id == upload.id)  # type: ignore[attr-defined]
            .join(
                SpendSupplier.__table__,  # type: ignore[attr-defined]
                and_(
                    supplier.upload_id == line.upload_id,
                    supplier.supplier_key == line.supplier_key,
                ),
            )
            .where(active, *filters.clauses())
        )
    else:
        query = (
            select(
                upload.year,
                func.sum(supplier.amount_cents),
                func.coalesce(func.sum(case((inclusive, supplier.amount_cents), else_=0)), 0),
                func.count(),
                func.coalesce(func.sum(case((inclusive, literal(1)), else_=0)), 0),
            )
            .select_from(SpendUpload.__table__)  # type: ignore[attr-defined]
            .join(SpendSupplier.__table__, supplier.upload_id == upload.id)  # type: ignore[attr-defined]
            .where(active)
        )
    rows = session.connection().execute(query.group_by(upload.year).order_by(upload.year))
    return [
        {
            "year": year,
            "spend_eur": euros(cents),
            "inclusive_eur": euros(inclusive_cents),
            "inclusive_share": share(inclusive_cents, cents),
            "suppliers": count,
            "inclusive_suppliers": inclusive_count,
        }
        for year, cents, inclusive_cents, count, inclusive_count in rows
    ]


def inclusive_suppliers(session: Session, figures: Subquery) -> list[dict[str, Any]]:
    f = figures.c
    rows = session.connection().execute(
        select(
            f.supplier_key,
            f.name,
            f.structure_id,
            f.kind,
            f.family,
            f.region_code,
            f.amount,
            f.lines,
            f.match,
        )
        .where(_inclusive(f.match))
        .order_by(f.amount.desc(), f.supplier_key)
    )
    return [
        {
            "key": key,
            "name": name,
            "structure_id": structure_id,
            "kind": kind,
            "family": family,
            "region_code": region,
            "amount_eur": euros(cents),
            "lines": lines,
            "match": match,
        }
        for key, name, structure_id, kind, family, region, cents, lines, match in rows
    ]


def figures(
    session: Session,
    organisation_id: int,
    year: int,
    filters: Filters,
    vocabulary: SearchVocabulary,
) -> dict[str, Any]:
    """The dashboard without its gaps (which ask the search engine, outside any transaction)."""
    upload = active_upload(session, organisation_id, year)
    assert upload.id is not None
    per_supplier = supplier_figures(upload.id, filters)
    sectors = category_sectors(session, organisation_id)
    return {
        "year": year,
        "upload_id": upload.id,
        "as_of": upload.finished_at,
        "filters": filters.as_dict(),
        **_breakdowns(session, per_supplier, vocabulary),
        "by_category": _by_line_field(
            session, upload.id, filters, "category", sectors, NO_CATEGORY
        ),
        "by_buying_entity": _by_line_field(
            session, upload.id, filters, "buying_entity", {}, NO_ENTITY
        ),
        "years": years(session, organisation_id, filters),
        "suppliers": inclusive_suppliers(session, per_supplier),
    }
