"""What organisations did with their projects: an organisation's yearly report for its members,
and the public record of awarded projects (with or without a social consideration, and why)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from services.common.errors import InvalidParameter, NotFound
from services.common.identity import Principal
from services.sourcing.projects import organisations
from services.sourcing.projects.models import Organisation, Project, ProjectDecision, ProjectStatus
from services.sourcing.projects.repository import OrganisationRepository, ProjectRepository
from services.sourcing.projects.service import organisation_json, summary_of
from services.sourcing.projects.vocabulary import JUSTIFICATION_LABELS, BuyerKind, OptionCode
from services.sourcing.projects.vocabulary import JustificationReason as Reason


def _social(decision: ProjectDecision) -> bool:
    return any(o["code"] != OptionCode.NONE for o in decision.options)


def _hours(project: Project, decision: ProjectDecision) -> float:
    """The insertion hours the decision's clauses plan: all the project's, or the share of the
    lots they are on (a lot without an amount takes its share of what the others leave)."""
    clauses = [o for o in decision.options if o["code"] == OptionCode.CLAUSE]
    if not clauses:
        return 0.0
    hours = float(project.evaluation.get("insertion_hours", {}).get("hours", 0.0))
    if any(o.get("lot") is None for o in clauses) or not project.lots:
        return hours
    amounts = {lot["number"]: lot.get("estimated_amount_eur") for lot in project.lots}
    known = sum(a for a in amounts.values() if a is not None)
    unknown = sum(1 for a in amounts.values() if a is None)
    share = max(project.estimated_amount_eur - known, 0.0) / unknown if unknown else 0.0
    covered = sum(
        a if (a := amounts.get(o["lot"])) is not None else share
        for o in clauses
        if o["lot"] in amounts
    )
    return hours * min(covered / project.estimated_amount_eur, 1.0)


def report(
    session: Session, principal: Principal, organisation_id: int, year: int
) -> dict[str, Any]:
    access = organisations.reach(session, principal, organisation_id, write=False)
    repository = ProjectRepository(session)
    # The whole year, however many projects: the report counts them all.
    projects = repository.of_organisation(organisation_id, year=year, limit=None)
    latest = repository.latest_decisions([p.id for p in projects if p.id is not None])
    counts = Counter[str]()
    hours = 0.0
    justifications = []
    for project in projects:
        decision = latest.get(project.id or 0)
        counts["projects"] += 1
        counts["expected"] += project.social_consideration_expected
        counts["awarded"] += project.status == ProjectStatus.AWARDED
        if decision is None:
            continue
        counts["decided"] += 1
        if _social(decision):
            counts["with_social_consideration"] += 1
            counts["expected_and_met"] += project.social_consideration_expected
            hours += _hours(project, decision)
            continue
        counts["without_social_consideration"] += 1
        if decision.justification_reason:
            counts["without_justified"] += 1
            reason = Reason(decision.justification_reason)
            justifications.append(
                {
                    "project_id": project.id,
                    "title": project.title,
                    "reason": reason.value,
                    "reason_label": JUSTIFICATION_LABELS[reason],
                    "text": decision.justification_text or "",
                    "decided_at": decision.decided_at.isoformat(),
                    "decided_by": decision.decided_by,
                }
            )
    names = (
        "projects",
        "decided",
        "awarded",
        "with_social_consideration",
        "without_social_consideration",
        "without_justified",
        "expected",
        "expected_and_met",
    )
    return {
        "organisation": organisation_json(access.organisation),
        "year": year,
        "projects": [
            summary_of(p, latest.get(p.id or 0)).model_dump(mode="json") for p in projects
        ],
        "counts": {name: counts[name] for name in names} | {"hours_planned": round(hours, 1)},
        "justifications": justifications,
    }


# Private companies are not public buyers: their projects stay theirs.
_PUBLIC = [kind for kind in BuyerKind if kind != BuyerKind.ENTREPRISE]


def _counts(projects: Sequence[Project], latest: dict[int, ProjectDecision]) -> dict[str, Any]:
    with_social = without_justified = 0
    reasons = Counter[str]()
    for project in projects:
        decision = latest.get(project.id or 0)
        if decision is None:
            continue
        if _social(decision):
            with_social += 1
        elif decision.justification_reason:
            without_justified += 1
            reasons[decision.justification_reason] += 1
    return {
        "projects_awarded": len(projects),
        "with_social_consideration": with_social,
        "without_justified": without_justified,
        "reasons": dict(sorted(reasons.items())),
    }


def _awarded(
    session: Session, organisation_ids: list[int] | None, year: int | None = None
) -> tuple[list[Project], dict[int, ProjectDecision]]:
    repository = ProjectRepository(session)
    projects = list(repository.awarded(organisation_ids, year))
    return projects, repository.latest_decisions([p.id for p in projects if p.id is not None])


def public_year(session: Session, year: int) -> dict[str, Any]:
    projects, latest = _awarded(session, None, year)
    by_organisation: dict[int, list[Project]] = {}
    for project in projects:
        by_organisation.setdefault(project.organisation_id, []).append(project)
    rows = []
    for organisation in OrganisationRepository(session).by_ids(list(by_organisation)):
        if organisation.buyer_kind not in _PUBLIC:
            continue
        rows.append(
            {
                "siren": organisation.siren,
                "siret": organisation.siret,
                "name": organisation.name,
                **_counts(by_organisation[organisation.id or 0], latest),
            }
        )
    return {"year": year, "organisations": rows}


def public_organisation(session: Session, identifier: str) -> dict[str, Any]:
    if not (identifier.isascii() and identifier.isdigit()) or len(identifier) not in (9, 14):
        raise InvalidParameter(
            "siren_or_siret", "SIREN (9 chiffres) ou SIRET (14 chiffres) attendu", "path"
        )
    found: list[Organisation] = [
        o
        for o in OrganisationRepository(session).by_identifier(identifier)
        if o.buyer_kind in _PUBLIC
    ]
    if not found:
        raise NotFound(f"Aucune organisation publique de SIREN ou SIRET {identifier}.")
    projects, latest = _awarded(session, [o.id for o in found if o.id is not None])
    by_year: dict[int, list[Project]] = {}
    for project in projects:
        if project.awarded_on is not None:
            by_year.setdefault(project.awarded_on.year, []).append(project)
    return {
        "siren": found[0].siren,
        "name": found[0].name,
        "years": [
            {"year": year, **_counts(by_year[year], latest)}
            for year in sorted(by_year, reverse=True)
        ],
    }
