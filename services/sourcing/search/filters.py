"""The one place where search filters are built: whitelisted fields, every value escaped."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

# API parameter -> index attribute. Nothing outside this map reaches a filter.
FILTER_FIELDS: Mapping[str, str] = {
    "kind": "kind",
    "family": "family",
    "department": "department_code",
    "region": "region_code",
    "commune": "commune_code",
    "sector": "sectors",
    "sector_group": "sector_groups",
    "presta_type": "presta_types",
}


def quote(value: str) -> str:
    """A filter string literal: backslashes and double quotes escaped, then quoted."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def any_of(attribute: str, values: Iterable[str]) -> str:
    return f"{attribute} IN [{', '.join(quote(v) for v in values)}]"


def build_filter(selected: Mapping[str, Sequence[str]]) -> list[str]:
    """AND across parameters, OR among the values of one parameter."""
    clauses = []
    for parameter, values in selected.items():
        if not values:
            continue
        attribute = FILTER_FIELDS[parameter]
        clauses.append(any_of(attribute, sorted(set(values))))
    return clauses
