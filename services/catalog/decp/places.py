"""The région where a contract is executed, from its `lieuExecution` (INSEE codes or postcode)."""

from __future__ import annotations


def _department_of_commune(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def _department_of_postcode(code: str) -> str:
    if code.startswith("97"):
        return code[:3]
    if code.startswith("20"):  # Corsica: 200xx-201xx Corse-du-Sud, the rest Haute-Corse
        return "2A" if code[:3] in ("200", "201") else "2B"
    return code[:2]


def region_of(
    place_type: str | None,
    place_code: str | None,
    department_regions: dict[str, str],
    regions: frozenset[str],
) -> str | None:
    """The région code, or None when the place is a country, unknown or outside France."""
    if not place_code:
        return None
    code = place_code.strip().upper()
    kind = (place_type or "").lower()
    if "pays" in kind:
        return None
    if "région" in kind or "region" in kind:
        return code if code in regions else None
    if "département" in kind or "departement" in kind:
        department = code.zfill(2) if code.isdigit() and len(code) < 2 else code
    elif "postal" in kind:
        department = _department_of_postcode(code)
    elif "commune" in kind or "arrondissement" in kind or "canton" in kind:
        department = _department_of_commune(code)
    elif len(code) == 5 and code.isdigit():  # unnamed: read as a postcode
        department = _department_of_postcode(code)
    else:
        return None
    return department_regions.get(department)
