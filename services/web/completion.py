"""How complete a structure's listing is, as its managers see it: what buyers find on it, what
is missing, and where each missing piece is filled in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# A presentation shorter than this tells a buyer too little to pick a supplier.
MIN_DESCRIPTION = 100


@dataclass(frozen=True)
class Item:
    key: str
    label: str
    done: bool
    href: str
    hint: str = ""


@dataclass(frozen=True)
class Completion:
    items: list[Item]

    @property
    def done(self) -> int:
        return sum(1 for item in self.items if item.done)

    @property
    def score(self) -> int:
        """0 to 100: the share of the items filled in."""
        return round(100 * self.done / len(self.items)) if self.items else 100

    @property
    def missing(self) -> list[Item]:
        return [item for item in self.items if not item.done]

    @property
    def level(self) -> str:
        """The DSFR badge that goes with the score."""
        if self.score >= 80:
            return "success"
        if self.score >= 50:
            return "info"
        return "warning"


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def _covers_somewhere(activity: Mapping[str, Any]) -> bool:
    kind = activity.get("range")
    if kind == "country":
        return True
    if kind == "radius":
        return bool(activity.get("radius_km"))
    return bool(activity.get("zones"))


def completion(
    structure: Mapping[str, Any], offers: Sequence[Mapping[str, Any]] | None, base: str
) -> Completion:
    """The items of a listing, in the order a manager fills them. `base` is the address of the
    structure's manager pages (/espace-structure/{id}); `offers` None when unknown (not counted)."""
    fiche = f"{base}/fiche"
    activities = list(structure.get("activities") or [])
    confirmed = [a for a in activities if not a.get("inferred")]
    inferred = len(activities) - len(confirmed)
    description = str(structure.get("description") or "").strip()
    items = [
        Item(
            "description",
            "Une présentation de la structure",
            len(description) >= MIN_DESCRIPTION,
            f"{fiche}#champ-description",
            f"{MIN_DESCRIPTION} caractères au moins : ce que vous faites, pour qui, comment."
            if description
            else "",
        ),
        Item("logo", "Un logo", _filled(structure.get("logo")), f"{fiche}#logo"),
        Item("photos", "Au moins une photo", _filled(structure.get("photos")), f"{fiche}#photos"),
        Item(
            "contact",
            "Un site internet où les acheteurs vous contactent",
            _filled(structure.get("website")),
            f"{fiche}#champ-website",
        ),
        Item(
            "address",
            "L'adresse complète",
            _filled(structure.get("address")) and _filled(structure.get("postcode")),
            f"{fiche}#champ-address",
        ),
        Item(
            "headcount",
            "Les effectifs (salariés en insertion ou permanents)",
            _filled(structure.get("headcount_insertion"))
            or _filled(structure.get("headcount_permanent")),
            f"{fiche}#champ-headcount_insertion",
        ),
        Item(
            "turnover",
            "Le chiffre d'affaires",
            _filled(structure.get("turnover_eur")),
            f"{fiche}#champ-turnover_eur",
        ),
        Item(
            "references",
            "Au moins une référence client",
            _filled(structure.get("client_references")),
            f"{fiche}#references",
        ),
        Item(
            "activity",
            "Au moins une activité confirmée",
            bool(confirmed),
            f"{base}/activites",
        ),
        Item(
            "zone",
            "Une zone d'intervention déclarée",
            any(_covers_somewhere(a) for a in confirmed),
            f"{base}/activites",
        ),
    ]
    if offers is not None:
        items.append(Item("offer", "Au moins une offre", bool(offers), f"{base}/offres"))
    if inferred:
        label = (
            "1 activité déduite à confirmer"
            if inferred == 1
            else f"{inferred} activités déduites à confirmer"
        )
        items.append(
            Item(
                "inferred",
                label,
                False,
                f"{base}/activites",
                "Déduites de votre code NAF : confirmez, corrigez ou retirez-les.",
            )
        )
    return Completion(items)
