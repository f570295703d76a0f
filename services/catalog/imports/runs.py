"""What the staff read of past imports: each run's counts and the lines it rejected."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session

from services.catalog.imports.models import ImportRun
from services.catalog.imports.repository import ImportRepository
from services.catalog.imports.schemas import ImportRunDetail, ImportRunPublic, Rejection
from services.catalog.ownership.permissions import require_staff
from services.common.db import as_utc
from services.common.errors import InvalidParameter, NotFound
from services.common.identity import Principal

REJECTIONS_PER_PAGE = 50
_COUNTS = ("id", "source", "created", "updated", "unchanged", "delisted", "rejected")


def _summary(run: ImportRun) -> dict[str, Any]:
    return {
        **{name: getattr(run, name) for name in _COUNTS},
        "started_at": as_utc(run.started_at),
        "finished_at": as_utc(run.finished_at),
    }


def runs(session: Session, principal: Principal, limit: int) -> list[ImportRunPublic]:
    require_staff(principal)
    return [
        ImportRunPublic.model_validate(_summary(run))
        for run in ImportRepository(session).runs(limit)
    ]


def _rejection(entry: dict[str, Any]) -> Rejection:
    line = entry.get("line")
    key = entry.get("key")
    return Rejection(
        line=line if isinstance(line, int) else None,
        key=str(key) if key not in (None, "") else None,
        reason=str(entry.get("reason") or ""),
    )


def run_detail(session: Session, principal: Principal, run_id: int, page: int) -> ImportRunDetail:
    require_staff(principal)
    run = ImportRepository(session).run(run_id)
    if run is None:
        raise NotFound(f"Aucun import n° {run_id}.")
    rejections = run.rejections or []
    pages = max(1, -(-len(rejections) // REJECTIONS_PER_PAGE))
    if page > pages:
        raise InvalidParameter("page", f"cet import a {pages} page(s) de lignes écartées")
    start = (page - 1) * REJECTIONS_PER_PAGE
    return ImportRunDetail.model_validate(
        {
            **_summary(run),
            "rejections": [_rejection(e) for e in rejections[start : start + REJECTIONS_PER_PAGE]],
            "page": page,
            "pages": pages,
            "per_page": REJECTIONS_PER_PAGE,
        }
    )
