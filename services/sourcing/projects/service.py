"""The rules of a purchase project: evaluated on creation and on each change, decisions
recorded with their justification and kept as a history, revisable until the award, and the
need deposited from it in one step."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

from anyio import to_thread
from pydantic import ValidationError
from sqlmodel import Session

from services.common.db import session_scope, utcnow
from services.common.errors import Conflict, InvalidParameter, NotFound, PreconditionFailed
from services.common.identity import Principal
from services.common.params import etag as http_etag
from services.common.params import expected_version
from services.domain.reservations import BOTH
from services.sourcing.needs import service as needs
from services.sourcing.needs.models import Need, NeedKind
from services.sourcing.needs.schemas import NeedCreate, NeedPlace, buyers_today
from services.sourcing.projects import organisations
from services.sourcing.projects.evaluation import evaluate, place_label, sector_labels
from services.sourcing.projects.models import (
    Organisation,
    Project,
    ProjectDecision,
    ProjectStatus,
)
from services.sourcing.projects.organisations import Access
from services.sourcing.projects.repository import ProjectRepository
from services.sourcing.projects.schemas import (
    DecisionInput,
    HoursParameters,
    NeedCreated,
    NeedFromProject,
    ProjectInput,
    ProjectSummary,
    ProjectUpdate,
    ProjectView,
    lots_problem,
)
from services.sourcing.projects.vocabulary import (
    BUYER_KIND_LABELS,
    CONTRACT_KIND_LABELS,
    JUSTIFICATION_LABELS,
    MIN_JUSTIFICATION_CHARS,
    OPTION_ARTICLES,
    OPTION_LABELS,
    PROCEDURE_LABELS,
    RESERVATIONS,
    JustificationReason,
    OptionCode,
)
from services.sourcing.search.vocabulary import SearchVocabulary

if TYPE_CHECKING:
    from services.sourcing.state import SourcingState

T = TypeVar("T")
_transaction = contextmanager(session_scope)
_PLACE_LEVELS = {"department": "departement", "commune": "commune", "region": "region"}
_SHORT = {
    OptionCode.RESERVE_DISABILITY: "marché réservé EA/ESAT (L2113-12)",
    OptionCode.RESERVE_INSERTION: "marché réservé SIAE (L2113-13)",
    OptionCode.CLAUSE: "clause sociale d'exécution (L2112-2)",
    OptionCode.CRITERION: "critère social d'attribution (L2152-7)",
    OptionCode.NONE: "aucune considération sociale",
}


async def in_transaction(state: SourcingState, work: Callable[[Session], T]) -> T:
    """`work` in a transaction of its own, in a worker thread: the event loop never waits on
    the database, and the market is searched between transactions, never inside one."""

    def run() -> T:
        with _transaction(state.engine) as session:
            return work(session)

    return await to_thread.run_sync(run)


def etag(project: Project | ProjectView) -> str:
    return http_etag(project.version)


def _who(principal: Principal) -> str:
    return principal.email or principal.account_id


# Reading and checking.


def reach_project(
    session: Session, principal: Principal, project_id: int, write: bool
) -> tuple[Project, Access]:
    project = ProjectRepository(session).get(project_id)
    if project is None:
        raise NotFound(f"Projet d'achat {project_id} introuvable.")
    return project, organisations.reach(session, principal, project.organisation_id, write)


def _editable(project: Project) -> None:
    if project.status == ProjectStatus.AWARDED:
        raise Conflict("Le marché est attribué : le projet n'est plus modifiable.")


def check_domain_and_place(
    vocabulary: SearchVocabulary, sectors: list[str], cpv: list[str], level: str, code: str
) -> None:
    for position, slug in enumerate(sectors):
        if slug not in vocabulary.sectors:
            raise InvalidParameter(
                f"sectors/{position}", f"secteur inconnu « {slug[:60]} »", "body"
            )
    for position, value in enumerate(cpv):
        if value not in vocabulary.cpv_labels:
            raise InvalidParameter(f"cpv/{position}", f"code CPV inconnu « {value} »", "body")
    known: dict[str, Any] = {
        "commune": vocabulary.communes,
        "departement": vocabulary.departments,
        "region": vocabulary.regions,
    }
    if code not in known[level]:
        field = next(f for f, lvl in _PLACE_LEVELS.items() if lvl == level)
        raise InvalidParameter(field, f"lieu inconnu « {code} »", "body")


def _place(fields: dict[str, Any]) -> tuple[str, str] | None:
    given = [(name, fields[name]) for name in _PLACE_LEVELS if fields.get(name) is not None]
    if not given:
        return None
    if len(given) > 1:
        raise InvalidParameter(
            "department",
            "indiquez un seul lieu : un département, une commune ou une région",
            "body",
        )
    name, code = given[0]
    return _PLACE_LEVELS[name], code


def _values(payload: ProjectInput | ProjectUpdate) -> dict[str, Any]:
    """The columns a payload sets (all of an input, those sent of an update), lots and hours
    parameters as JSON."""
    data = payload.model_dump(
        exclude_unset=isinstance(payload, ProjectUpdate), exclude=set(_PLACE_LEVELS)
    )
    as_json = payload.model_dump(mode="json", include={"lots", "hours_parameters"})
    for name in ("lots", "hours_parameters"):
        if name in data:
            data[name] = as_json[name]
    if "lots" in data:
        data["lots"] = [{"number": n, **lot} for n, lot in enumerate(data["lots"], start=1)]
    return data


# Views.


def _decision_json(decision: ProjectDecision) -> dict[str, Any]:
    justification = None
    if decision.justification_reason:
        reason = JustificationReason(decision.justification_reason)
        justification = {
            "reason": reason.value,
            "reason_label": JUSTIFICATION_LABELS[reason],
            "text": decision.justification_text or "",
        }
    return {
        "id": decision.id,
        "options": decision.options,
        "summary": decision.summary,
        "justification": justification,
        "warnings": decision.warnings,
        "decided_at": decision.decided_at.isoformat(),
        "decided_by": decision.decided_by,
    }


def organisation_json(organisation: Organisation) -> dict[str, Any]:
    return {
        "id": organisation.id,
        "name": organisation.name,
        "siren": organisation.siren,
        "siret": organisation.siret,
        "buyer_kind": organisation.buyer_kind.value,
        "buyer_kind_label": BUYER_KIND_LABELS[organisation.buyer_kind],
    }


def to_view(
    session: Session, project: Project, organisation: Organisation, vocabulary: SearchVocabulary
) -> ProjectView:
    decisions = [_decision_json(d) for d in ProjectRepository(session).decisions(project.id)]
    return ProjectView.model_validate(
        {
            **project.model_dump(
                exclude={
                    "organisation_id",
                    "place_level",
                    "place_code",
                    "social_consideration_expected",
                    "decided_at",
                }
            ),
            "organisation": organisation_json(organisation),
            "sector_labels": sector_labels(vocabulary, project.sectors),
            "place": {
                "level": project.place_level,
                "code": project.place_code,
                "label": place_label(vocabulary, project.place_level, project.place_code),
            },
            "contract_kind_label": CONTRACT_KIND_LABELS[project.contract_kind],
            "procedure_label": PROCEDURE_LABELS[project.procedure],
            "decision": decisions[0] if decisions else None,
            "decisions": decisions,
        }
    )


def summary_of(project: Project, decision: ProjectDecision | None) -> ProjectSummary:
    assert project.id is not None
    return ProjectSummary(
        id=project.id,
        title=project.title,
        estimated_amount_eur=project.estimated_amount_eur,
        contract_kind=project.contract_kind,
        status=project.status,
        climate_law_applies=bool(project.evaluation.get("climate_law", {}).get("applies")),
        social_consideration_expected=project.social_consideration_expected,
        decision_summary=decision.summary if decision else None,
        decided_at=project.decided_at,
        awarded_at=project.awarded_on,
        created_at=project.created_at,
        need_id=project.need_id,
    )


def list_projects(
    session: Session,
    principal: Principal,
    organisation_id: int,
    year: int | None,
    status: ProjectStatus | None,
) -> list[ProjectSummary]:
    organisations.reach(session, principal, organisation_id, write=False)
    repository = ProjectRepository(session)
    projects = repository.of_organisation(organisation_id, status, year)
    latest = repository.latest_decisions([p.id for p in projects if p.id is not None])
    return [summary_of(p, latest.get(p.id or 0)) for p in projects]


def read(
    session: Session, principal: Principal, project_id: int, vocabulary: SearchVocabulary
) -> ProjectView:
    project, access = reach_project(session, principal, project_id, write=False)
    return to_view(session, project, access.organisation, vocabulary)


# Writing.


def _evaluated(project: Project, evaluation: dict[str, Any]) -> None:
    project.evaluation = evaluation
    project.social_consideration_expected = bool(evaluation["social_consideration_expected"])


async def create(
    state: SourcingState, principal: Principal, organisation_id: int, payload: ProjectInput
) -> ProjectView:
    vocabulary = state.vocabulary
    place = _place(payload.model_dump(include=set(_PLACE_LEVELS)))
    assert place is not None  # the input requires one
    check_domain_and_place(vocabulary, payload.sectors, payload.cpv, *place)
    access = await in_transaction(
        state, lambda s: organisations.reach(s, principal, organisation_id, write=True)
    )
    project = Project(
        **_values(payload),
        organisation_id=organisation_id,
        place_level=place[0],
        place_code=place[1],
        status=ProjectStatus.DRAFT,
        created_by=_who(principal),
    )
    _evaluated(
        project, await evaluate(state.search_engine, vocabulary, access.organisation, project)
    )

    def save(session: Session) -> ProjectView:
        organisation = organisations.reach(session, principal, organisation_id, write=True)
        ProjectRepository(session).save(project)
        return to_view(session, project, organisation.organisation, vocabulary)

    return await in_transaction(state, save)


async def amend(
    state: SourcingState,
    principal: Principal,
    project_id: int,
    if_match: str | None,
    payload: ProjectUpdate,
) -> ProjectView:
    expected = expected_version(if_match)
    vocabulary = state.vocabulary
    changes = _values(payload)
    for name in ("title", "contract_kind", "estimated_amount_eur", "duration_months", "procedure"):
        if name in changes and changes[name] is None:
            raise InvalidParameter(name, "ne peut pas être vide (null)", "body")
    for name, empty in (("object", ""), ("cpv", []), ("sectors", []), ("lots", [])):
        if name in changes and changes[name] is None:
            changes[name] = empty
    if "hours_parameters" in changes and changes["hours_parameters"] is None:
        changes["hours_parameters"] = HoursParameters().model_dump()
    place = _place(payload.model_dump(include=set(_PLACE_LEVELS), exclude_unset=True))

    def draft(session: Session) -> tuple[Project, Organisation]:
        project, access = reach_project(session, principal, project_id, write=True)
        _editable(project)
        if project.version != expected:
            raise _stale()
        changed = Project.model_validate(project.model_dump() | changes)
        if place is not None:
            changed.place_level, changed.place_code = place
        if not changed.sectors and not changed.cpv:
            field = "sectors" if "sectors" in changes else "cpv"
            raise InvalidParameter(field, "indiquez au moins un secteur ou un code CPV", "body")
        problem = lots_problem(changed.lots, changed.estimated_amount_eur)
        if problem:
            field = "lots" if "lots" in changes else "estimated_amount_eur"
            raise InvalidParameter(field, problem, "body")
        check_domain_and_place(
            vocabulary, changed.sectors, changed.cpv, changed.place_level, changed.place_code
        )
        return changed, access.organisation

    changed, organisation = await in_transaction(state, draft)
    evaluation = await evaluate(state.search_engine, vocabulary, organisation, changed)

    def save(session: Session) -> ProjectView:
        project, access = reach_project(session, principal, project_id, write=True)
        _editable(project)
        if not ProjectRepository(session).take_version(project_id, expected):
            raise _stale()
        for name in (*changes, "place_level", "place_code"):
            setattr(project, name, getattr(changed, name))
        _evaluated(project, evaluation)
        project.updated_at, project.version = utcnow(), expected + 1
        ProjectRepository(session).save(project)
        return to_view(session, project, access.organisation, vocabulary)

    return await in_transaction(state, save)


def _next_version(session: Session, project: Project) -> None:
    """Moves the project to its next version, unless another request changed it since it was
    read: a decision is never recorded on a project awarded meanwhile, and no version is given
    twice."""
    assert project.id is not None
    expected = project.version
    if not ProjectRepository(session).take_version(project.id, expected):
        raise Conflict(
            "Ce projet a été modifié au même moment par une autre demande : relisez-le puis "
            "recommencez."
        )
    project.version = expected + 1


def _stale() -> PreconditionFailed:
    return PreconditionFailed(
        "Ce projet a été modifié depuis votre lecture : relisez-le puis réappliquez vos changements."
    )


async def reevaluate(state: SourcingState, principal: Principal, project_id: int) -> ProjectView:
    def load(session: Session) -> tuple[Project, Organisation]:
        project, access = reach_project(session, principal, project_id, write=True)
        _editable(project)
        return project, access.organisation

    project, organisation = await in_transaction(state, load)
    evaluation = await evaluate(state.search_engine, state.vocabulary, organisation, project)

    def save(session: Session) -> ProjectView:
        current, access = reach_project(session, principal, project_id, write=True)
        _editable(current)
        _next_version(session, current)
        _evaluated(current, evaluation)
        current.updated_at = utcnow()
        ProjectRepository(session).save(current)
        return to_view(session, current, access.organisation, state.vocabulary)

    return await in_transaction(state, save)


def delete(session: Session, principal: Principal, project_id: int) -> None:
    project, _ = reach_project(session, principal, project_id, write=True)
    if ProjectRepository(session).decisions(project.id):
        raise Conflict(
            "Une décision a été enregistrée sur ce projet : il ne peut plus être supprimé."
        )
    if project.need_id is not None:
        raise Conflict(
            f"Le besoin {project.need_id} a été déposé depuis ce projet : il ne peut plus être "
            "supprimé."
        )
    ProjectRepository(session).delete(project)


def _options_of(payload: DecisionInput, project: Project) -> list[dict[str, Any]]:
    if not payload.options:
        raise InvalidParameter("options", "choisissez au moins une option", "body")
    codes = {o.code for o in payload.options}
    if OptionCode.NONE in codes and len(payload.options) > 1:
        raise InvalidParameter(
            "options",
            "« none » (aucune considération sociale) ne se combine avec aucune autre option",
            "body",
        )
    seen = set()
    for position, option in enumerate(payload.options):
        if option.code == OptionCode.NONE and option.lot is not None:
            raise InvalidParameter(
                f"options/{position}/lot",
                "« none » vaut pour tout le marché : choisissez une option pour chaque lot, ou "
                "« none » sans lot",
                "body",
            )
        if option.lot is not None and option.lot > len(project.lots):
            raise InvalidParameter(
                f"options/{position}/lot",
                f"le projet n'a pas de lot {option.lot} ({len(project.lots)} lot(s))",
                "body",
            )
        if (option.code, option.lot) in seen:
            raise InvalidParameter(f"options/{position}", "option choisie deux fois", "body")
        seen.add((option.code, option.lot))
    return [
        {
            "code": o.code.value,
            "article": OPTION_ARTICLES[o.code],
            "label": OPTION_LABELS[o.code],
            "lot": o.lot,
        }
        for o in payload.options
    ]


def _justification(payload: DecisionInput, only_none: bool, expected: bool) -> None:
    justification = payload.justification
    if justification is None:
        if only_none and expected:
            raise InvalidParameter(
                "justification",
                "une considération sociale est attendue pour ce marché : justifiez l'absence "
                "de considération sociale (motif et explication)",
                "body",
            )
        return
    if not only_none:
        raise InvalidParameter(
            "justification",
            "une justification ne s'enregistre qu'avec l'option « none »",
            "body",
        )
    if len(justification.text.strip()) < MIN_JUSTIFICATION_CHARS:
        raise InvalidParameter(
            "justification/text",
            f"expliquez le motif en au moins {MIN_JUSTIFICATION_CHARS} caractères",
            "body",
        )


def _summary(options: list[dict[str, Any]], payload: DecisionInput) -> str:
    parts = []
    for option in options:
        text = _SHORT[OptionCode(option["code"])]
        parts.append(f"{text}, lot {option['lot']}" if option["lot"] else text)
    summary = " ; ".join(parts)
    summary = summary[0].upper() + summary[1:]
    if payload.justification is not None:
        summary += f" — motif : {JUSTIFICATION_LABELS[payload.justification.reason].lower()}"
    return summary[:1000]


def _warnings(options: list[dict[str, Any]], project: Project) -> list[str]:
    evaluated = {o["code"]: o for o in project.evaluation.get("options", [])}
    warnings = []
    for option in options:
        code = OptionCode(option["code"])
        known = evaluated.get(code.value)
        if code in RESERVATIONS and known is not None and not known["available"]:
            warnings.append(
                f"Réservation {option['article']} retenue alors que "
                f"{known['eligible_suppliers']} structure(s) éligible(s) seulement ont été "
                "trouvées : risque d'infructuosité, interrogez les structures avant de publier."
            )
    codes = {OptionCode(o["code"]) for o in options}
    if project.evaluation.get("climate_law", {}).get("applies") and codes == {OptionCode.CRITERION}:
        warnings.append(
            "La loi Climat et Résilience (L2112-2-1) vise les conditions d'exécution : un critère "
            "d'attribution seul ne la satisfait pas ; ajoutez une clause sociale d'exécution "
            "(L2112-2)."
        )
    return warnings


def decide(
    session: Session,
    principal: Principal,
    project_id: int,
    payload: DecisionInput,
    vocabulary: SearchVocabulary,
) -> ProjectView:
    project, access = reach_project(session, principal, project_id, write=True)
    _editable(project)
    options = _options_of(payload, project)
    only_none = options[0]["code"] == OptionCode.NONE
    _justification(payload, only_none, project.social_consideration_expected)
    justification = payload.justification
    now = utcnow()
    decision = ProjectDecision(
        project_id=project_id,
        options=options,
        summary=_summary(options, payload),
        justification_reason=justification.reason.value if justification else None,
        justification_text=justification.text.strip() if justification else None,
        warnings=_warnings(options, project),
        decided_at=now,
        decided_by=_who(principal),
    )
    _next_version(session, project)
    project.status, project.decided_at, project.updated_at = ProjectStatus.DECIDED, now, now
    ProjectRepository(session).save(decision, project)
    return to_view(session, project, access.organisation, vocabulary)


def award(
    session: Session,
    principal: Principal,
    project_id: int,
    awarded_on: Any,
    vocabulary: SearchVocabulary,
) -> ProjectView:
    project, access = reach_project(session, principal, project_id, write=True)
    _editable(project)
    if project.status != ProjectStatus.DECIDED:
        raise Conflict("Enregistrez d'abord une décision : le marché ne peut être attribué sans.")
    decision = ProjectRepository(session).decisions(project.id)[0]
    if (
        project.social_consideration_expected
        and all(o["code"] == OptionCode.NONE for o in decision.options)
        and decision.justification_reason is None
    ):
        # The project changed after its decision (amount, kind of buyer, hours threshold):
        # « none » now needs the justification it was recorded without.
        raise Conflict(
            "Une considération sociale est désormais attendue pour ce marché et la décision "
            "« aucune considération sociale » n'est pas justifiée : enregistrez une nouvelle "
            "décision avant l'attribution."
        )
    _next_version(session, project)
    project.status, project.awarded_on = ProjectStatus.AWARDED, awarded_on or buyers_today()
    project.updated_at = utcnow()
    ProjectRepository(session).save(project)
    return to_view(session, project, access.organisation, vocabulary)


def _reservation(project: Project, decision: ProjectDecision | None) -> str | None:
    if decision is None:
        return None
    reserved = {
        RESERVATIONS[OptionCode(o["code"])].value
        for o in decision.options
        if OptionCode(o["code"]) in RESERVATIONS
    }
    if len(reserved) > 1:
        return BOTH
    return next(iter(reserved), None)


def _need_payload(
    project: Project, decision: ProjectDecision | None, request: NeedFromProject
) -> NeedCreate:
    description = project.object.strip()
    if len(description) < 10:
        description = f"{project.title}. {description}".strip()
    if len(description) < 10:
        description = f"Projet d'achat : {description}"
    return NeedCreate(
        kind=NeedKind.PROJECT,
        title=project.title,
        description=description,
        sectors=project.sectors,
        cpv_codes=project.cpv,
        place=NeedPlace(level=project.place_level, code=project.place_code),
        reservation=_reservation(project, decision),
        amount_max_eur=round(project.estimated_amount_eur),
        deadline=request.deadline,
        details={"contact_email": request.contact_email} if request.contact_email else {},
        publish=request.publish,
    )


async def deposit_need(
    state: SourcingState, principal: Principal, project_id: int, request: NeedFromProject
) -> NeedCreated:
    def write(session: Session) -> Need:
        project, _ = reach_project(session, principal, project_id, write=True)
        if project.need_id is not None:
            raise Conflict(
                f"Le besoin {project.need_id} a déjà été déposé depuis ce projet.",
                need_id=project.need_id,
            )
        decisions = ProjectRepository(session).decisions(project.id)
        try:
            payload = _need_payload(project, decisions[0] if decisions else None, request)
        except ValidationError as exc:  # a project's fields fit a need's: kept as a safeguard
            error = exc.errors()[0]
            field = "/".join(str(part) for part in error["loc"])
            raise InvalidParameter(field, "ne convient pas à un besoin", "body") from exc
        need = needs.create_need(
            session, principal, payload, state.vocabulary, state.settings.moderation
        )
        need.project_id = project_id
        project.need_id = need.id
        _next_version(session, project)
        project.updated_at = utcnow()
        ProjectRepository(session).save(need, project)
        return need

    created = await needs.deposit_with(state, write)
    view = await in_transaction(state, lambda s: read(s, principal, project_id, state.vocabulary))
    return NeedCreated(need_id=created.id, project=view)
