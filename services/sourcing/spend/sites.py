"""The organisation's sites, as the départements where it buys: the territories where the
dashboard looks for inclusive suppliers it does not use yet."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlmodel
from sqlmodel import Session, col

from services.common.errors import InvalidParameter
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.spend.models import SpendSite

MAX_SITES = 120
# Built once per vocabulary (it holds every commune): the département of each postcode.
_POSTCODE_DEPARTMENTS: dict[int, dict[str, str]] = {}


def body_error(path: Sequence[str | int], detail: str) -> InvalidParameter:
    """A refusal of a field of the body, placed as the request validation places its own:
    pointer /body/mappings/0/sector, field mappings.0.sector."""
    parts = [str(p) for p in path]
    error = InvalidParameter(".".join(parts), detail, "body")
    error.extra["errors"][0]["pointer"] = "/body/" + "/".join(parts)
    return error


def department_label(vocabulary: SearchVocabulary, code: str) -> str:
    name = (vocabulary.department_names or {}).get(code)
    return f"{name} ({code})" if name else code


def department_of_postcode(vocabulary: SearchVocabulary, postcode: str) -> str | None:
    """The département of a postcode, from the communes it serves (the first one's when a
    postcode crosses a border, which is rare)."""
    table = _POSTCODE_DEPARTMENTS.get(id(vocabulary))
    if table is None:
        table = {}
        for commune in vocabulary.communes.values():
            for code in commune.postcodes:
                table.setdefault(code, commune.department)
        _POSTCODE_DEPARTMENTS[id(vocabulary)] = table
    return table.get(postcode)


def site_departments(session: Session, organisation_id: int) -> list[str]:
    rows = session.exec(
        sqlmodel.select(SpendSite.department_code)
        .where(col(SpendSite.organisation_id) == organisation_id)
        .order_by(col(SpendSite.department_code))
    ).all()
    return list(rows)


def view(session: Session, organisation_id: int, vocabulary: SearchVocabulary) -> dict[str, Any]:
    return {
        "departments": [
            {"code": code, "label": department_label(vocabulary, code)}
            for code in site_departments(session, organisation_id)
        ]
    }


def replace(
    session: Session,
    organisation_id: int,
    departments: Sequence[str],
    vocabulary: SearchVocabulary,
) -> dict[str, Any]:
    """The sites become exactly these départements; an unknown code refuses the whole list."""
    if len(departments) > MAX_SITES:
        raise InvalidParameter("departments", f"au plus {MAX_SITES} départements", "body")
    wanted: list[str] = []
    for position, raw in enumerate(departments):
        code = raw.strip().upper()
        if code not in vocabulary.departments:
            raise body_error(("departments", position), f"département inconnu « {raw[:10]} »")
        if code not in wanted:
            wanted.append(code)
    existing = {
        site.department_code: site
        for site in session.exec(
            sqlmodel.select(SpendSite).where(col(SpendSite.organisation_id) == organisation_id)
        ).all()
    }
    for code, site in existing.items():
        if code not in wanted:
            session.delete(site)
    for code in wanted:
        if code not in existing:
            session.add(SpendSite(organisation_id=organisation_id, department_code=code))
    session.flush()
    return view(session, organisation_id, vocabulary)
