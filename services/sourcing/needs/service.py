"""The rules of a need: statuses, matching on publication, notifications once, answers."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from anyio import to_thread
from sqlmodel import Session

from services.common.db import session_scope, utcnow
from services.common.errors import (
    Conflict,
    Forbidden,
    InvalidParameter,
    NotFound,
    PreconditionFailed,
)
from services.common.identity import Principal, Role
from services.common.mail import queue_mail
from services.common.params import etag as http_etag
from services.common.params import expected_version
from services.sourcing.needs.links import make_token, read_token
from services.sourcing.needs.matching import Candidate
from services.sourcing.needs.missed import amount_band, place_label
from services.sourcing.needs.models import AnswerStatus, Need, NeedAnswer, NeedMatch, NeedStatus
from services.sourcing.needs.repository import NeedRepository
from services.sourcing.needs.schemas import (
    EMAIL,
    AnswerCreate,
    AnswerPublic,
    MatchPublic,
    NeedCreate,
    NeedForStructure,
    NeedInModeration,
    NeedPlace,
    NeedPublic,
    NeedUpdate,
    OpenNeed,
    UntoldMatch,
)
from services.sourcing.search.export import safe_cell
from services.sourcing.search.vocabulary import SearchVocabulary

if TYPE_CHECKING:
    from services.sourcing.state import SourcingState

BUYERS = {Role.PUBLIC_BUYER, Role.PRIVATE_BUYER, Role.STAFF}


def require_buyer(principal: Principal) -> None:
    if principal.role not in BUYERS:
        raise Forbidden("Seuls les acheteurs déposent des besoins.")


def check_need(
    vocabulary: SearchVocabulary,
    sectors: list[str],
    cpv_codes: list[str],
    place: NeedPlace | None,
    details: dict[str, Any],
) -> None:
    for position, slug in enumerate(sectors):
        if slug not in vocabulary.sectors:
            raise InvalidParameter(
                f"sectors/{position}", f"secteur inconnu « {slug[:60]} »", "body"
            )
    for position, code in enumerate(cpv_codes):
        if code not in vocabulary.cpv_labels:
            raise InvalidParameter(f"cpv_codes/{position}", f"code CPV inconnu « {code} »", "body")
    if place is not None:
        known: set[str] = set(
            {
                "commune": vocabulary.communes.keys(),
                "departement": vocabulary.departments.keys(),
                "region": vocabulary.regions.keys(),
            }[place.level]
        )
        if place.code not in known:
            raise InvalidParameter(
                "place/code", f"{place.level} inconnu(e) « {place.code} »", "body"
            )
    email = details.get("contact_email")
    if email is not None and (not isinstance(email, str) or not EMAIL.match(email)):
        raise InvalidParameter(
            "details/contact_email", f"adresse e-mail invalide « {str(email)[:80]} »", "body"
        )


def create_need(
    session: Session,
    principal: Principal,
    payload: NeedCreate,
    vocabulary: SearchVocabulary,
    moderation: bool,
) -> Need:
    """A new need, or — when the buyer sends an `external_ref` already known — that need updated."""
    require_buyer(principal)
    check_need(vocabulary, payload.sectors, payload.cpv_codes, payload.place, payload.details)
    data = payload.model_dump(mode="json", exclude={"place", "publish"})
    # Typed values where the column wants them, not their JSON text.
    data["kind"], data["deadline"] = payload.kind, payload.deadline
    data |= {
        "place_level": payload.place.level if payload.place else None,
        "place_code": payload.place.code if payload.place else None,
    }
    needs = NeedRepository(session)
    existing = None
    if payload.external_ref:
        existing = needs.by_external_ref(principal.account_id, payload.external_ref)
    if existing is not None:
        if existing.status in (NeedStatus.CLOSED, NeedStatus.CANCELLED):
            raise Conflict(
                f"Le besoin « {payload.external_ref} » est clos : il n'est plus modifiable."
            )
        for name, value in data.items():
            setattr(existing, name, value)
        existing.updated_at, existing.version = utcnow(), existing.version + 1
        needs.save(existing)
        if payload.publish and existing.status == NeedStatus.DRAFT:
            publish(session, principal, existing, moderation)
        return existing
    need = Need(
        **data,
        buyer_account_id=principal.account_id,
        buyer_email=principal.email,
        status=NeedStatus.DRAFT,
    )
    needs.save(need)
    if payload.publish:
        publish(session, principal, need, moderation)
    return need


_transaction = contextmanager(session_scope)


def _saved(state: SourcingState, write: Callable[[Session], Need]) -> tuple[Need, NeedPublic]:
    """Read before the commit: once the need is saved, a connection lost while reading it back
    would answer 503, and the buyer, told to try again, would deposit or publish it twice."""
    with _transaction(state.engine) as session:
        need = write(session)
        return need, to_public(session, need)


async def _saved_then_matched(state: SourcingState, write: Callable[[Session], Need]) -> NeedPublic:
    """The request's one commit comes before matching, which reads the need in sessions of its
    own, and whose count the answer gives."""
    need, saved = await to_thread.run_sync(_saved, state, write)
    matched = await state.runner.match_published(need)
    return saved.model_copy(update={"matches": saved.matches + matched})


async def deposit_with(state: SourcingState, write: Callable[[Session], Need]) -> NeedPublic:
    """A need written by another part of sourcing (a purchase project), saved then matched."""
    return await _saved_then_matched(state, write)


async def deposit(state: SourcingState, principal: Principal, payload: NeedCreate) -> NeedPublic:
    moderation = state.settings.moderation
    return await _saved_then_matched(
        state,
        lambda session: create_need(session, principal, payload, state.vocabulary, moderation),
    )


async def publish_now(state: SourcingState, principal: Principal, need_id: int) -> NeedPublic:
    moderation = state.settings.moderation
    return await _saved_then_matched(
        state,
        lambda session: publish(
            session, principal, get_need(session, principal, need_id), moderation
        ),
    )


# What a buyer may change once a need exists, and what makes it matched again.
EDITABLE = (NeedStatus.DRAFT, NeedStatus.MODERATION, NeedStatus.PUBLISHED)
MATCHING_FIELDS = frozenset(
    {"sectors", "cpv_codes", "place", "presta_types", "kinds", "reservation"}
)
_NOT_NULL = ("kind", "title", "description")
# Sent as null, these mean "none".
_EMPTY_WHEN_NULL: dict[str, Any] = {
    "sectors": [],
    "cpv_codes": [],
    "presta_types": [],
    "kinds": [],
    "questions": [],
    "details": {},
}


def etag(need: Need | NeedPublic) -> str:
    return http_etag(need.version)


def update_need(
    session: Session,
    principal: Principal,
    need_id: int,
    expected: int,
    payload: NeedUpdate,
    vocabulary: SearchVocabulary,
) -> tuple[Need, set[str]]:
    """The need with the fields sent changed, and the names of those that changed."""
    need = get_need(session, principal, need_id)
    if need.status not in EDITABLE:
        raise Conflict(f"Un besoin « {need.status} » n'est plus modifiable.")
    changes = payload.model_dump(mode="json", exclude_unset=True)
    for name in _NOT_NULL:
        if name in changes and changes[name] is None:
            raise InvalidParameter(name, "ne peut pas être vide (null)", "body")
    for name, empty in _EMPTY_WHEN_NULL.items():
        if name in changes and changes[name] is None:
            changes[name] = empty
    place = payload.place if "place" in changes else _place_of(need)
    sectors = changes.get("sectors", need.sectors)
    cpv_codes = changes.get("cpv_codes", need.cpv_codes)
    details = changes.get("details", need.details)
    check_need(vocabulary, sectors, cpv_codes, place, details)
    if not sectors and not cpv_codes:
        field = "sectors" if "sectors" in changes else "cpv_codes"
        raise InvalidParameter(field, "indiquez au moins un secteur ou un code CPV", "body")
    low = changes.get("amount_min_eur", need.amount_min_eur)
    high = changes.get("amount_max_eur", need.amount_max_eur)
    if low is not None and high is not None and low > high:
        field = "amount_min_eur" if "amount_min_eur" in changes else "amount_max_eur"
        raise InvalidParameter(field, "le montant minimal dépasse le montant maximal", "body")
    needs = NeedRepository(session)
    questions = changes.get("questions", need.questions)
    # Answers are keyed by the questions' positions: those already answered stay as they are.
    if questions[: len(need.questions)] != need.questions and needs.answers_of(need.id):
        raise InvalidParameter(
            "questions",
            "des structures ont déjà répondu : ajoutez des questions à la suite, "
            "sans modifier ni retirer les premières",
            "body",
        )
    current = need.model_dump(mode="json") | {"place": _place_dump(need)}
    changed = {name for name, value in changes.items() if current.get(name) != value}
    stale = PreconditionFailed(
        "Ce besoin a été modifié depuis votre lecture : relisez-le puis réappliquez vos changements."
    )
    if need.version != expected:
        raise stale
    if not changed:
        return need, changed
    if not needs.take_version(need_id, expected):
        raise stale
    for name in changed - {"place"}:
        setattr(
            need, name, getattr(payload, name) if name in ("kind", "deadline") else changes[name]
        )
    if "place" in changed:
        need.place_level = place.level if place else None
        need.place_code = place.code if place else None
    need.updated_at, need.version = utcnow(), expected + 1
    needs.save(need)
    return need, changed


def _place_of(need: Need) -> NeedPlace | None:
    if need.place_level and need.place_code:
        return NeedPlace(level=need.place_level, code=need.place_code)
    return None


def _place_dump(need: Need) -> dict[str, str] | None:
    place = _place_of(need)
    return place.model_dump() if place else None


async def amend(
    state: SourcingState,
    principal: Principal,
    need_id: int,
    if_match: str | None,
    payload: NeedUpdate,
) -> NeedPublic:
    """The change commits first; a published need whose domain, place or allowed suppliers
    changed is then matched again, the new matches told."""
    expected = expected_version(if_match)
    changed: set[str] = set()

    def write(session: Session) -> Need:
        need, fields = update_need(session, principal, need_id, expected, payload, state.vocabulary)
        changed.update(fields)
        return need

    need, saved = await to_thread.run_sync(_saved, state, write)
    if not changed & MATCHING_FIELDS or need.status != NeedStatus.PUBLISHED:
        return saved
    await state.runner.match_published(need)
    return await to_thread.run_sync(_reread, state, need_id)


def _reread(state: SourcingState, need_id: int) -> NeedPublic:
    with _transaction(state.engine) as session:
        need = NeedRepository(session).get(need_id)
        assert need is not None
        return to_public(session, need)


def latest_needs(session: Session, principal: Principal) -> list[NeedPublic]:
    require_buyer(principal)
    buyer = None if principal.is_staff else principal.account_id
    return [to_public(session, n) for n in NeedRepository(session).latest(buyer)]


def get_need(session: Session, principal: Principal, need_id: int) -> Need:
    need = NeedRepository(session).get(need_id)
    # Another buyer's need does not exist for you.
    if need is None or (need.buyer_account_id != principal.account_id and not principal.is_staff):
        raise NotFound(f"Aucun besoin n° {need_id}.")
    return need


def publish(session: Session, principal: Principal, need: Need, moderation: bool) -> Need:
    if need.status not in (NeedStatus.DRAFT, NeedStatus.MODERATION):
        raise Conflict(f"Un besoin « {need.status} » ne peut être publié.")
    if need.status == NeedStatus.MODERATION and not principal.is_staff:
        raise Forbidden("Ce besoin attend la validation de l'équipe.")
    if moderation and not principal.is_staff:
        need.status = NeedStatus.MODERATION
    else:
        need.status, need.published_at = NeedStatus.PUBLISHED, utcnow()
        need.moderation_reason = None
    need.updated_at, need.version = utcnow(), need.version + 1
    NeedRepository(session).save(need)
    return need


def require_staff(principal: Principal) -> None:
    if not principal.is_staff:
        raise Forbidden("Réservé à l'équipe de la plateforme.")


def buyer_organisation(need: Need) -> str | None:
    """The organisation the buyer named, else the domain of their address."""
    named = need.details.get("contact_company_name") or need.details.get("organisation")
    if isinstance(named, str) and named.strip():
        return named.strip()
    if need.buyer_email and "@" in need.buyer_email:
        return need.buyer_email.rsplit("@", 1)[1]
    return None


def moderation_queue(session: Session, principal: Principal) -> list[NeedInModeration]:
    require_staff(principal)
    return [
        NeedInModeration.model_validate(
            {**need.model_dump(), "buyer_organisation": buyer_organisation(need)}
        )
        for need in NeedRepository(session).in_moderation()
    ]


def reject(
    session: Session, principal: Principal, need_id: int, reason: str, website: str
) -> NeedPublic:
    """Back to draft with the reason; the buyer is told by e-mail, with the need's page."""
    require_staff(principal)
    need = get_need(session, principal, need_id)
    if need.status != NeedStatus.MODERATION:
        raise Conflict(
            f"Seul un besoin en modération peut être refusé (celui-ci est « {need.status} »)."
        )
    need.status, need.moderation_reason = NeedStatus.DRAFT, reason
    need.updated_at, need.version = utcnow(), need.version + 1
    NeedRepository(session).save(need)
    if need.buyer_email:
        body = (
            "Bonjour,\n\n"
            f"Votre besoin « {need.title} » n'a pas été publié : l'équipe de la plateforme "
            "l'a renvoyé en brouillon.\n\n"
            f"Motif : {reason}\n\n"
            "Modifiez-le puis publiez-le de nouveau depuis sa page :\n"
            f"{website}/besoins/{need.id}\n"
        )
        queue_mail(session, need.buyer_email, f"Besoin à revoir : {need.title}"[:200], body)
    return to_public(session, need)


def change_status(session: Session, need: Need, status: NeedStatus) -> Need:
    allowed = {
        NeedStatus.CLOSED: {NeedStatus.PUBLISHED},
        NeedStatus.CANCELLED: {NeedStatus.DRAFT, NeedStatus.MODERATION, NeedStatus.PUBLISHED},
    }[status]
    if need.status not in allowed:
        raise Conflict(f"Un besoin « {need.status} » ne peut passer à « {status} ».")
    need.status, need.updated_at, need.version = status, utcnow(), need.version + 1
    NeedRepository(session).save(need)
    return need


def to_public(session: Session, need: Need) -> NeedPublic:
    needs = NeedRepository(session)
    matches = needs.match_count(need.id)
    answers = Counter(str(status) for status in needs.answers_by_structure(need.id).values())
    return NeedPublic.model_validate(
        {**need.model_dump(), "matches": matches, "answers": dict(answers)}
    )


def responsiveness(session: Session) -> dict[int, float]:
    """Per structure: the share of needs it was told of that it answered."""
    needs = NeedRepository(session)
    notified = Counter(needs.notified_structure_ids())
    answered = Counter(needs.answering_structure_ids())
    return {sid: min(1.0, answered[sid] / count) for sid, count in notified.items()}


NO_LONGER_FITS = "no_longer_fits"


def fits(match: NeedMatch) -> bool:
    return not any(r.get("kind") == NO_LONGER_FITS for r in match.reasons)


def record_matches(session: Session, need_id: int, candidates: list[Candidate]) -> int:
    """New candidates become matches; known ones keep their notification state, with their
    score and reasons brought up to date. A match that no longer fits (the need or the
    structure changed) is dropped when the structure never heard of it, otherwise kept and
    marked, so that the buyer still sees the answer of a structure that was told."""
    needs = NeedRepository(session)
    found = {c.structure_id: c for c in candidates}
    answered = needs.answers_by_structure(need_id)
    for match in needs.matches_of(need_id):
        candidate = found.pop(match.structure_id, None)
        seen = match.notified_at or match.opened_at or match.structure_id in answered
        if candidate is None and not seen:
            needs.delete(match)
        elif candidate is None:
            if fits(match):
                match.reasons = [
                    *match.reasons,
                    {
                        "kind": NO_LONGER_FITS,
                        "detail": "ne correspond plus au besoin depuis une modification",
                        "at": utcnow().isoformat(timespec="seconds"),
                    },
                ]
                needs.save(match)
        elif (match.score, match.reasons) != (candidate.score, candidate.reasons):
            match.score, match.reasons = candidate.score, candidate.reasons
            needs.save(match)
    added = [
        NeedMatch(
            need_id=need_id,
            structure_id=candidate.structure_id,
            structure_name=candidate.name[:255],
            score=candidate.score,
            reasons=candidate.reasons,
        )
        for candidate in found.values()
    ]
    needs.save(*added)
    return len(added)


def notify(
    session: Session,
    match: NeedMatch,
    need: Need,
    recipients: list[str],
    secret: str,
    public_url: str,
    ttl_days: int,
    reminder: bool = False,
    web_url: str = "",
) -> None:
    """Queues the mail with its signed answer link; the caller marks the match in the same
    transaction, so that a structure is told once per need (and reminded at most the cap).
    With a website, both links open its pages; without, the API's operations."""
    token = make_token(secret, need.id or 0, match.structure_id, ttl_days * 86400)
    if web_url:
        web = web_url.rstrip("/")
        link = f"{web}/repondre/{token}"
        space = f"{web}/espace-structure/{match.structure_id}/besoins/{need.id}"
    else:
        base = public_url.rstrip("/")
        link = f"{base}/api/v1/answers/{token}"
        space = f"{base}/api/v1/structures/{match.structure_id}/needs/{need.id}"
    subject = (("Rappel : " if reminder else "") + f"Besoin d'achat : {need.title}")[:200]
    body = (
        f"Bonjour,\n\nUn acheteur recherche des fournisseurs inclusifs pour : {need.title}.\n"
        f"« {match.structure_name} » correspond à ce besoin.\n\n{need.description[:1500]}\n\n"
        + (f"Réponse attendue avant le {need.deadline.isoformat()}.\n" if need.deadline else "")
        + f"Consultez le besoin et répondez, sans vous connecter :\n{link}\n\n"
        + f"Ou, connecté(e) comme gestionnaire de la structure :\n{space}\n"
    )
    for recipient in recipients:
        queue_mail(session, recipient, subject, body)


def matches_of(session: Session, principal: Principal, need_id: int) -> list[MatchPublic]:
    get_need(session, principal, need_id)
    needs = NeedRepository(session)
    answers = needs.answers_by_structure(need_id)
    return [
        MatchPublic(
            structure_id=m.structure_id,
            structure_name=m.structure_name,
            score=m.score,
            reasons=m.reasons,
            fits=fits(m),
            notified=m.notified_at is not None,
            opened=m.opened_at is not None,
            answer=answers.get(m.structure_id),
        )
        for m in needs.matches_of(need_id)
    ]


def _facts(need: Need, match: NeedMatch, vocabulary: SearchVocabulary | None) -> dict[str, Any]:
    """What a structure reads of a need it matched besides its text: where, how much, why."""
    return {
        "sectors": need.sectors,
        "place": place_label(need, vocabulary) if vocabulary is not None else None,
        "amount_band": amount_band(need),
        "published_at": need.published_at,
        "why": [
            str(r["detail"]) for r in match.reasons if r.get("kind") != "score" and r.get("detail")
        ],
    }


def open_needs_of(
    session: Session, structure_id: int, vocabulary: SearchVocabulary | None = None
) -> list[OpenNeed]:
    """The published needs a structure matched, best first, with what it did of them."""
    needs = NeedRepository(session)
    rows = needs.published_matches_of_structure(structure_id)
    answers = needs.answers_by_need(structure_id)
    return [
        OpenNeed(
            structure_id=match.structure_id,
            structure_name=match.structure_name,
            need_id=need.id or 0,
            kind=str(need.kind),
            title=need.title,
            deadline=need.deadline,
            score=match.score,
            fits=fits(match),
            opened=match.opened_at is not None,
            answer=str(answers[need.id]) if need.id in answers else None,
            **_facts(need, match, vocabulary),
        )
        for match, need in rows
    ]


def open_needs_of_all(
    session: Session, structure_ids: list[int], vocabulary: SearchVocabulary | None = None
) -> list[OpenNeed]:
    """The published needs matched by any of these structures, the soonest deadline first
    (those without one last), then best score."""
    found = [n for sid in structure_ids for n in open_needs_of(session, sid, vocabulary)]
    return sorted(
        found, key=lambda n: (n.deadline is None, n.deadline or date.max, -n.score, n.need_id)
    )


def untold_matches(session: Session, principal: Principal, limit: int) -> list[UntoldMatch]:
    if not principal.is_staff:
        raise Forbidden("Réservé à l'équipe de la plateforme.")
    return [
        UntoldMatch(
            need_id=need.id or 0,
            need_title=need.title,
            deadline=need.deadline,
            structure_id=match.structure_id,
            structure_name=match.structure_name,
            score=match.score,
            matched_at=match.matched_at,
        )
        for match, need in NeedRepository(session).oldest_untold(limit)
    ]


def reminders_due(session: Session, after: timedelta, cap: int) -> list[tuple[NeedMatch, Need]]:
    threshold = utcnow() - after
    needs = NeedRepository(session)
    due = []
    for match, need in needs.unopened(cap):
        last = match.last_reminder_at or match.notified_at
        if (
            fits(match)
            and last is not None
            and last.replace(tzinfo=threshold.tzinfo) <= threshold
            and needs.answer_of(need.id, match.structure_id) is None
        ):
            due.append((match, need))
    return due


def match_of(session: Session, need_id: int, structure_id: int) -> tuple[NeedMatch, Need]:
    row = NeedRepository(session).match_of(need_id, structure_id)
    if row is None:
        raise NotFound("Ce besoin n'a pas été adressé à cette structure.")
    return row


def _opened(session: Session, need_id: int, structure_id: int) -> tuple[NeedMatch, Need]:
    match, need = match_of(session, need_id, structure_id)
    if match.opened_at is None:
        match.opened_at = utcnow()
        NeedRepository(session).save(match)
    return match, need


def read_for_structure(
    session: Session, need_id: int, structure_id: int, vocabulary: SearchVocabulary | None = None
) -> NeedForStructure:
    """What the answer link shows; the caller has checked the link, or that the reader manages
    the structure."""
    match, need = _opened(session, need_id, structure_id)
    answer = NeedRepository(session).answer_of(need.id, match.structure_id)
    return NeedForStructure(
        need_id=need.id or 0,
        structure_id=match.structure_id,
        kind=need.kind,
        title=need.title,
        description=need.description,
        deadline=need.deadline,
        questions=need.questions,
        status=need.status,
        your_answer=answer.status if answer else None,
        your_answer_detail=(
            AnswerPublic(
                structure_name=match.structure_name,
                **answer.model_dump(exclude={"id", "need_id"}),
            )
            if answer
            else None
        ),
        **_facts(need, match, vocabulary),
    )


def answer_for_structure(
    session: Session, need_id: int, structure_id: int, payload: AnswerCreate
) -> AnswerPublic:
    match, need = _opened(session, need_id, structure_id)
    record = answer(session, need, match.structure_id, payload)
    return AnswerPublic(
        structure_name=match.structure_name, **record.model_dump(exclude={"id", "need_id"})
    )


def read_by_link(
    session: Session, secret: str, token: str, vocabulary: SearchVocabulary | None = None
) -> NeedForStructure:
    link = read_token(secret, token)
    return read_for_structure(session, link.need_id, link.structure_id, vocabulary)


def answer_by_link(
    session: Session, secret: str, token: str, payload: AnswerCreate
) -> AnswerPublic:
    link = read_token(secret, token)
    return answer_for_structure(session, link.need_id, link.structure_id, payload)


def answer(session: Session, need: Need, structure_id: int, payload: AnswerCreate) -> NeedAnswer:
    if need.status != NeedStatus.PUBLISHED:
        raise Conflict("Ce besoin n'accepte plus de réponses.")
    for key in payload.answers:
        if not key.isdigit() or int(key) >= len(need.questions):
            raise InvalidParameter(
                f"answers/{key[:10]}", "question inconnue (clés : numéros des questions)", "body"
            )
    needs = NeedRepository(session)
    record = needs.answer_of(need.id, structure_id) or NeedAnswer(
        need_id=need.id or 0, structure_id=structure_id, status=payload.status
    )
    record.status, record.reason, record.answers = payload.status, payload.reason, payload.answers
    record.contact_email, record.answered_at = payload.contact_email, utcnow()
    needs.save(record)
    return record


def answers_to(
    session: Session, principal: Principal, need_id: int
) -> tuple[Need, list[AnswerPublic]]:
    need = get_need(session, principal, need_id)
    needs = NeedRepository(session)
    names = needs.structure_names(need_id)
    return need, [
        AnswerPublic(
            structure_name=names.get(a.structure_id), **a.model_dump(exclude={"id", "need_id"})
        )
        for a in needs.answers_of(need_id)
    ]


def answers_csv(need: Need, rows: list[AnswerPublic]) -> str:
    """For a spreadsheet: `;`-separated, a byte-order mark, cells it will not run as formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(["Structure", "Réponse", "Raison", *need.questions, "Contact", "Date"])
    for row in rows:
        writer.writerow(
            [
                safe_cell(row.structure_name),
                ANSWER_LABELS[row.status],
                safe_cell(row.reason),
                *(safe_cell(row.answers.get(str(i))) for i in range(len(need.questions))),
                safe_cell(row.contact_email),
                row.answered_at.isoformat(timespec="minutes"),
            ]
        )
    return "\ufeff" + buffer.getvalue()


def matches_csv(session: Session, principal: Principal, need_id: int) -> str:
    """One row per matched structure, best first: score and why, whether it was told and
    opened the need, and its answer."""
    need = get_need(session, principal, need_id)
    needs = NeedRepository(session)
    answers = {a.structure_id: a for a in needs.answers_of(need_id)}
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(
        [
            "Structure",
            "Identifiant",
            "Score",
            "Détail du score",
            "Raisons",
            "Correspond au besoin",
            "Prévenue",
            "Besoin ouvert",
            "Réponse",
            "Raison",
            *need.questions,
            "Contact",
            "Date de réponse",
        ]
    )
    for match in needs.matches_of(need_id):
        given = answers.get(match.structure_id)
        parts: dict[str, float] = next(
            (r.get("parts", {}) for r in match.reasons if r.get("kind") == "score"), {}
        )
        writer.writerow(
            [
                safe_cell(match.structure_name),
                match.structure_id,
                f"{match.score:.1f}".replace(".", ","),
                safe_cell(", ".join(f"{SCORE_LABELS.get(k, k)} {v}" for k, v in parts.items())),
                safe_cell(
                    " ; ".join(
                        str(r.get("detail")) for r in match.reasons if r.get("kind") != "score"
                    )
                ),
                "oui" if fits(match) else "non",
                "oui" if match.notified_at else "non",
                "oui" if match.opened_at else "non",
                ANSWER_LABELS[given.status] if given else "",
                safe_cell(given.reason if given else None),
                *(
                    safe_cell(given.answers.get(str(i)) if given else None)
                    for i in range(len(need.questions))
                ),
                safe_cell(given.contact_email if given else None),
                given.answered_at.isoformat(timespec="minutes") if given else "",
            ]
        )
    return "\ufeff" + buffer.getvalue()


SCORE_LABELS = {
    "domain": "domaine",
    "distance": "proximité",
    "profile": "fiche",
    "responsiveness": "réactivité",
}

ANSWER_LABELS = {
    AnswerStatus.INTERESTED: "intéressée",
    AnswerStatus.NOT_INTERESTED: "pas intéressée",
    AnswerStatus.GROUPEMENT: "répondrait en groupement",
}
