"""Spend suppliers matched to the catalog's structures: by SIRET, then by SIREN (another
establishment of the same company), and only as a suggestion to confirm by name and postcode.
A buyer's remembered choice comes first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from services.common.text import fold
from services.sourcing.spend.models import Decision, MatchKind


def name_words(name: str) -> tuple[str, ...]:
    """A name as a match compares it: its folded words, in any order."""
    return tuple(sorted(set(fold(name).split())))


@dataclass(frozen=True)
class Choice:
    decision: Decision
    structure_id: int | None


@dataclass(frozen=True)
class Match:
    kind: MatchKind
    structure: Mapping[str, Any] | None = None
    suggestion: Mapping[str, Any] | None = None


class CatalogIdentities:
    """The catalog's active structures, indexed once per import for the three ways of matching."""

    def __init__(self, identities: list[Mapping[str, Any]]) -> None:
        self.by_id: dict[int, Mapping[str, Any]] = {}
        self.by_siret: dict[str, Mapping[str, Any]] = {}
        self.by_siren: dict[str, Mapping[str, Any]] = {}
        self.by_name: dict[tuple[tuple[str, ...], str], Mapping[str, Any]] = {}
        # By id, so that « the first » of a SIREN or a name is the same on every import.
        for identity in sorted(identities, key=lambda i: int(i["id"])):
            self.by_id[int(identity["id"])] = identity
            siret = identity.get("siret")
            if siret:
                self.by_siret.setdefault(siret, identity)
            siren = identity.get("siren") or (siret[:9] if siret else None)
            if siren:
                self.by_siren.setdefault(siren, identity)
            postcode = identity.get("postcode") or ""
            for name in (identity.get("name"), identity.get("brand")):
                words = name_words(name or "")
                if words and postcode:
                    self.by_name.setdefault((words, postcode), identity)

    def match(
        self,
        siret: str | None,
        siren: str | None,
        name: str,
        postcode: str | None,
        choice: Choice | None = None,
    ) -> Match:
        if choice is not None:
            if choice.decision == Decision.REJECTED:
                return Match(MatchKind.NONE)
            chosen = self.by_id.get(choice.structure_id or 0)
            if chosen is not None:
                return Match(MatchKind.CONFIRMED, structure=chosen)
        if siret and siret in self.by_siret:
            return Match(MatchKind.SIRET, structure=self.by_siret[siret])
        siren = siren or (siret[:9] if siret else None)
        if siren and siren in self.by_siren:
            return Match(MatchKind.SIREN, structure=self.by_siren[siren])
        if name and postcode:
            suggestion = self.by_name.get((name_words(name), postcode))
            if suggestion is not None:
                return Match(MatchKind.SUGGESTED, suggestion=suggestion)
        return Match(MatchKind.NONE)


def snapshot(structure: Mapping[str, Any] | None) -> dict[str, Any]:
    """The structure's fields a spend supplier keeps, as they were at match time."""
    if structure is None:
        return {
            "structure_id": None,
            "structure_name": None,
            "structure_siret": None,
            "kind": None,
            "family": None,
            "region_code": None,
            "department_code": None,
            "is_qpv": None,
            "is_zrr": None,
            "structure_postcode": None,
        }
    return {
        "structure_id": int(structure["id"]),
        "structure_name": str(structure.get("name") or "")[:255],
        "structure_siret": structure.get("siret"),
        "kind": structure.get("kind"),
        "family": structure.get("family"),
        "region_code": structure.get("region_code"),
        "department_code": structure.get("department_code"),
        "is_qpv": bool(structure.get("is_qpv")),
        "is_zrr": bool(structure.get("is_zrr")),
        "structure_postcode": structure.get("postcode"),
    }


def matched_columns(match: Match) -> dict[str, Any]:
    """The spend_supplier columns a match sets."""
    return {
        "match": match.kind,
        "suggested_structure_id": int(match.suggestion["id"]) if match.suggestion else None,
        **snapshot(match.structure),
    }
