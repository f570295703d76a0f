"""Each buyer's figures per year, computed in SQL from every contract held, then ranked.

Run after each import (and whenever the catalog's structures should be matched again): the
tables of figures are rewritten whole, so that they never drift from the contracts."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

from services.catalog.decp import method
from services.catalog.decp.repository import DecpRepository
from services.common.text import fold


@dataclass
class _Inclusive:
    contracts: set[str] = field(default_factory=set)
    amount: float = 0.0
    awarded: set[str] = field(default_factory=set)
    subcontracted: set[str] = field(default_factory=set)
    by_family: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    by_kind: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def _structures(
    repository: DecpRepository,
) -> tuple[dict[str, set[tuple[str, str]]], dict[str, set[tuple[str, str]]]]:
    """(kind, family) of the active catalog structures, by SIRET and by SIREN."""
    by_siret: dict[str, set[tuple[str, str]]] = defaultdict(set)
    by_siren: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for siret, siren, kind, family in repository.active_structures():
        value = (str(getattr(kind, "value", kind)), str(getattr(family, "value", family)))
        if siret:
            by_siret[siret].add(value)
        if siren:
            by_siren[siren].add(value)
    return by_siret, by_siren


def _inclusive(repository: DecpRepository) -> dict[tuple[str, int], _Inclusive]:
    """Contracts with a partner that is a catalog structure: by SIRET, else by SIREN (another
    establishment of the same company). The database picks the candidates by index; the kinds
    are then read from the structures held in memory (a few tens of thousands)."""
    by_siret, by_siren = _structures(repository)
    found: dict[tuple[str, int], _Inclusive] = defaultdict(_Inclusive)
    for siret, year, uid, amount, role, ident, siren in repository.partner_candidates():
        matched = by_siret.get(ident) or by_siren.get(siren or "")
        if not matched:
            continue
        figures = found[(siret, year)]
        if uid not in figures.contracts:
            figures.contracts.add(uid)
            figures.amount += amount
        (figures.awarded if role == "titulaire" else figures.subcontracted).add(uid)
        for kind, family in matched:
            figures.by_family[family].add(uid)
            figures.by_kind[kind].add(uid)
    return found


def _regions(repository: DecpRepository) -> dict[tuple[str, int], str]:
    """Where most of a buyer's contracts of the year are executed; ties to the smaller code."""
    best: dict[tuple[str, int], tuple[int, str]] = {}
    for siret, year, region, count in repository.region_counts():
        current = best.get((siret, year))
        if current is None or (-count, region) < (-current[0], current[1]):
            best[(siret, year)] = (count, region)
    return {key: region for key, (_, region) in best.items()}


@dataclass
class _Row:
    """What the order of the ranking reads (see `method.order_key`)."""

    siret: str
    contracts: int
    with_social: int
    amount_eur: float
    social_amount_eur: float
    values: dict[str, Any]


def assign_ranks(rows: list[_Row]) -> None:
    """Ranks of one year: within the size band nationally, in the région, in the category."""
    groups: dict[tuple[str, ...], list[_Row]] = defaultdict(list)
    for row in rows:
        if row.contracts < method.MIN_CONTRACTS_TO_RANK:
            continue
        values = row.values
        groups[("rank_national", values["band"])].append(row)
        if values["region_code"]:
            groups[("rank_region", values["band"], values["region_code"])].append(row)
        groups[("rank_category", values["band"], values["category"])].append(row)
    for key, members in groups.items():
        for rank, row in enumerate(sorted(members, key=method.order_key), start=1):
            row.values[key[0]] = rank


def refresh(session: Session) -> tuple[int, int]:
    """Rewrites the buyers and their yearly figures, one year at a time (memory stays that of
    one year's buyers); returns (buyers, buyer-years)."""
    repository = DecpRepository(session)
    names = repository.latest_names()
    regions = _regions(repository)
    inclusive = _inclusive(repository)
    repository.clear_figures()
    seen: set[str] = set()
    count = 0
    for year in sorted(repository.contract_years()):
        rows: list[_Row] = []
        buyers: list[dict[str, Any]] = []
        for total in repository.totals(year):
            siret = total.buyer_siret
            category = method.category_of(siret[:9])
            if siret not in seen:
                seen.add(siret)
                name = names.get(siret) or f"Acheteur {siret}"
                buyers.append(
                    {
                        "siret": siret,
                        "siren": siret[:9],
                        "name": name,
                        "search_name": fold(name)[:255],
                        "category": category,
                    }
                )
            found = inclusive.pop((siret, year), None) or _Inclusive()
            values = {
                "siret": siret,
                "year": year,
                "category": category,
                "band": method.band_of(total.contracts),
                "region_code": regions.get((siret, year)),
                "contracts": total.contracts,
                "amount_eur": round(float(total.amount), 2),
                "with_social": int(total.with_social),
                "social_amount_eur": round(float(total.social_amount), 2),
                "social_share": method.share(int(total.with_social), total.contracts),
                "social_amount_share": method.share(
                    float(total.social_amount), float(total.amount)
                ),
                "clause_sociale": int(total.clause_sociale),
                "critere_social": int(total.critere_social),
                "marche_reserve": int(total.marche_reserve),
                "inclusive_contracts": len(found.contracts),
                "inclusive_amount_eur": round(found.amount, 2),
                "inclusive_awarded": len(found.awarded),
                "inclusive_subcontracted": len(found.subcontracted),
                "by_family": {k: len(v) for k, v in sorted(found.by_family.items())},
                "by_kind": {k: len(v) for k, v in sorted(found.by_kind.items())},
                "rank_national": None,
                "rank_region": None,
                "rank_category": None,
            }
            rows.append(
                _Row(
                    siret,
                    values["contracts"],
                    values["with_social"],
                    values["amount_eur"],
                    values["social_amount_eur"],
                    values,
                )
            )
        assign_ranks(rows)
        repository.add_figures(buyers, [row.values for row in rows])
        count += len(rows)
    return len(seen), count
