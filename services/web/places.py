"""The départements and régions every page names, as the API's reference gives them: read once
an hour, with their labels and the matching of a name typed by a visitor."""

from __future__ import annotations

import time
from dataclasses import dataclass

from services.common.text import fold
from services.web.api import Api, ApiProblem, ApiUnavailable

KEPT_S = 3600.0


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    region: str


@dataclass(frozen=True)
class Territories:
    """Départements and régions by code (empty while the API could not be read)."""

    departments: dict[str, Department]
    regions: dict[str, str]  # code -> name

    def department_name(self, code: str) -> str | None:
        found = self.departments.get(code.upper())
        return found.name if found else None

    def region_name(self, code: str) -> str | None:
        return self.regions.get(code)

    def department_label(self, code: str) -> str:
        """« Seine-Saint-Denis (93) », or « Département 93 » when the name is not known."""
        name = self.department_name(code)
        return f"{name} ({code.upper()})" if name else f"Département {code.upper()}"

    def region_label(self, code: str) -> str:
        """« Région Île-de-France », or « Région 11 » when the name is not known."""
        return f"Région {self.regions.get(code, code)}"

    def department_named(self, text: str) -> list[str]:
        """Codes of the départements whose name is the text (accents, case, hyphens aside)."""
        wanted = fold(text)
        return [d.code for d in self.departments.values() if fold(d.name) == wanted]

    def region_named(self, text: str) -> list[str]:
        wanted = fold(text)
        return [code for code, name in self.regions.items() if fold(name) == wanted]

    def matching(self, text: str, limit: int = 3) -> list[tuple[str, str]]:
        """(« department » | « region », code) of the places whose name starts with, then
        contains, the text; a département number typed as such matches its département."""
        wanted = fold(text)
        if not wanted:
            return []
        found: list[tuple[int, str, str]] = []
        for code, name in self.regions.items():
            folded = fold(name)
            if wanted in folded:
                found.append((0 if folded.startswith(wanted) else 1, "region", code))
        for department in self.departments.values():
            folded = fold(department.name)
            if wanted in folded or department.code.lower() == text.strip().lower():
                starts = folded.startswith(wanted) or department.code.lower() == wanted
                found.append((0 if starts else 1, "department", department.code))
        found.sort(key=lambda row: row[0])
        return [(kind, code) for _, kind, code in found[:limit]]


NONE_KNOWN = Territories({}, {})
_kept: dict[str, tuple[float, Territories]] = {}


async def territories(api: Api, client_ip: str | None = None) -> Territories:
    """The places, read from the API at most once an hour. When the API cannot be read, the
    last places read (or none) are returned and the next call tries again."""
    key = str(api.client.base_url)
    kept = _kept.get(key)
    if kept and time.monotonic() - kept[0] < KEPT_S:
        return kept[1]
    try:
        departments = await api.get("/reference/departments", client_ip=client_ip)
        regions = await api.get("/reference/regions", client_ip=client_ip)
    except (ApiUnavailable, ApiProblem):
        return kept[1] if kept else NONE_KNOWN
    fresh = Territories(
        departments={
            str(d["code"]): Department(str(d["code"]), str(d["name"]), str(d.get("region") or ""))
            for d in departments
        },
        regions={str(r["code"]): str(r["name"]) for r in regions},
    )
    _kept[key] = (time.monotonic(), fresh)
    return fresh
