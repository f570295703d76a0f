"""A public buyer's page: its figures year by year from the DECP, the chart of their evolution,
its ranks, and what its organisation declared on the platform (the sourcing public record)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from markupsafe import Markup

from services.domain.kinds import FAMILY_LABELS, KIND_LABELS
from services.web.api import Api, ApiProblem, ApiUnavailable
from services.web.charts import Bar, year_columns
from services.web.ranking_view import percent

FAMILIES = {family.value: label for family, label in FAMILY_LABELS.items()}
KINDS = {kind.value: label for kind, label in KIND_LABELS.items()}


@dataclass
class Counted:
    label: str
    count: int


@dataclass
class BuyerPage:
    buyer: dict[str, Any]
    years: list[dict[str, Any]]  # newest first, as the API gives them
    chart: Markup
    record: dict[str, Any] | None
    record_years: list[dict[str, Any]] = field(default_factory=list)
    reason_labels: dict[str, str] = field(default_factory=dict)
    record_known: bool = True  # False: the record could not be read just now

    @property
    def latest(self) -> dict[str, Any] | None:
        return self.years[0] if self.years else None


def families(year: dict[str, Any]) -> list[Counted]:
    found = year.get("inclusive", {}).get("by_family", {}) or {}
    return [Counted(FAMILIES.get(code, code), int(n)) for code, n in sorted(found.items())]


def kinds(year: dict[str, Any]) -> list[Counted]:
    found = year.get("inclusive", {}).get("by_kind", {}) or {}
    return [Counted(KINDS.get(code, code), int(n)) for code, n in sorted(found.items())]


def evolution_chart(buyer: dict[str, Any]) -> Markup:
    years = sorted(buyer.get("years", []), key=lambda y: y["year"])
    bars = [
        Bar(str(y["year"]), float(y["social_share"]), percent(y["social_share"])) for y in years
    ]
    return year_columns(
        bars,
        chart_id="graphique-evolution",
        title=f"Part des marchés avec considération sociale de {buyer['name']}, par année",
    )


class RecordUnavailable(Exception):
    """The platform's record could not be read: the page shows the DECP figures and says so."""


async def public_record(api: Api, siret: str, client_ip: str | None) -> dict[str, Any] | None:
    """What the buyer's organisation declared on the platform; None when it declared nothing
    (the record answers 404 for an organisation it does not know, 422 for an identifier it
    does not take)."""
    try:
        found: dict[str, Any] = await api.get(
            f"/organisations/public-record/{quote(siret, safe='')}", client_ip=client_ip
        )
    except ApiProblem as problem:
        if problem.status in (404, 422):
            return None
        raise RecordUnavailable from problem
    except ApiUnavailable as exc:
        raise RecordUnavailable from exc
    return found


async def load(api: Api, siret: str, client_ip: str | None) -> BuyerPage:
    buyer: dict[str, Any] = await api.get(
        f"/public-buyers/{quote(siret, safe='')}", client_ip=client_ip
    )
    try:
        record = await public_record(api, siret, client_ip)
        record_known = True
    except RecordUnavailable:
        record, record_known = None, False
    record_years = sorted((record or {}).get("years", []), key=lambda y: -int(y["year"]))
    reasons: dict[str, str] = {}
    if record_years:
        try:
            vocabulary = await api.get("/projects/vocabulary", client_ip=client_ip)
        except (ApiProblem, ApiUnavailable):  # the reasons' codes are shown instead
            vocabulary = {}
        reasons = {r["code"]: r["label"] for r in vocabulary.get("justification_reasons", [])}
    return BuyerPage(
        buyer=buyer,
        years=list(buyer.get("years", [])),
        chart=evolution_chart(buyer),
        record=record,
        record_years=record_years,
        reason_labels=reasons,
        record_known=record_known,
    )
