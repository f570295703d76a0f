"""A supplier manager's dashboards: the structures they manage with their completion and their
new needs, their claims in progress, and one structure's needs and views."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from services.common.text import FRENCH_MONTHS
from services.web.api import ApiProblem, ApiUnavailable
from services.web.completion import Completion, completion
from services.web.manage_view import calls
from services.web.visitor import Visitor

ROLE_LABELS = {"admin": "Administrateur", "editor": "Éditeur"}
CLAIM_LABELS = {
    "pending": "En cours",
    "accepted": "Acceptée",
    "refused": "Refusée",
    "cancelled": "Annulée",
}
NEED_STATUS = (
    ("new", "Nouveaux", "new"),
    ("opened", "Lus, sans réponse", "info"),
    ("answered", "Répondus", "success"),
)


@dataclass
class StructureCard:
    id: int
    name: str
    kind: str
    city: str | None
    role: str
    completion: Completion | None
    new_needs: int | None

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def href(self) -> str:
        return f"/espace-structure/{self.id}"


@dataclass
class NeedsByStatus:
    groups: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def count(self, status: str) -> int:
        return len(self.groups.get(status, []))


def need_status(need: Mapping[str, Any]) -> str:
    """new: never opened; opened: read, no answer; answered: an answer was given."""
    if need.get("answer"):
        return "answered"
    return "opened" if need.get("opened") else "new"


def needs_by_status(needs: Sequence[Mapping[str, Any]]) -> NeedsByStatus:
    grouped: dict[str, list[dict[str, Any]]] = {key: [] for key, _label, _level in NEED_STATUS}
    for need in needs:
        grouped[need_status(need)].append(dict(need))
    return NeedsByStatus(grouped)


def month_label(month: str) -> str:
    """« 2026-09 » → « septembre 2026 »."""
    year, _, number = month.partition("-")
    if number.isdigit() and 1 <= int(number) <= 12:
        return f"{FRENCH_MONTHS[int(number) - 1]} {year}"
    return month


async def optional(visitor: Visitor, path: str) -> Any:
    """An answer the page can do without: None when the API refuses or does not answer."""
    try:
        return await visitor.state.api.get(path, **calls(visitor))
    except (ApiProblem, ApiUnavailable):
        return None


async def structure_card(visitor: Visitor, managed: Mapping[str, Any]) -> StructureCard:
    structure_id = int(managed["id"])
    base = f"/espace-structure/{structure_id}"
    structure, offers, needs = await asyncio.gather(
        optional(visitor, f"/structures/{structure_id}"),
        optional(visitor, f"/structures/{structure_id}/offers"),
        optional(visitor, f"/structures/{structure_id}/needs"),
    )
    return StructureCard(
        id=structure_id,
        name=str(managed.get("brand") or managed.get("name") or ""),
        kind=str(managed.get("kind") or ""),
        city=managed.get("city"),
        role=str(managed.get("role") or ""),
        completion=completion(structure, offers, base) if structure else None,
        new_needs=needs_by_status(needs).count("new") if isinstance(needs, list) else None,
    )


async def structure_cards(
    visitor: Visitor, managed: Sequence[Mapping[str, Any]]
) -> list[StructureCard]:
    return list(await asyncio.gather(*(structure_card(visitor, row) for row in managed)))


def claims_in_progress(claims: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(c) for c in claims if c.get("status") == "pending"]


def views_summary(views: Any) -> dict[str, Any] | None:
    """The views of the last months as the API counts them, or None when it says nothing."""
    if not isinstance(views, dict) or not isinstance(views.get("months"), list):
        return None
    months = [
        {"label": month_label(str(m.get("month", ""))), "views": int(m.get("views") or 0)}
        for m in views["months"][-3:]
        if isinstance(m, dict)
    ]
    return {
        "method": str(views.get("method") or ""),
        "total": sum(m["views"] for m in months),
        "months": months,
    }
