"""The rules of a need: statuses, matching on publication, notifications once, answers."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlmodel import Session, col, func, select

from services.common.db import utcnow
from services.common.errors import Conflict, Forbidden, InvalidParameter, NotFound
from services.common.identity import Principal, Role
from services.common.mail import queue_mail
from services.sourcing.needs.links import make_token
from services.sourcing.needs.matching import Candidate
from services.sourcing.needs.models import AnswerStatus, Need, NeedAnswer, NeedMatch, NeedStatus
from services.sourcing.needs.schemas import AnswerCreate, NeedCreate, NeedPublic
from services.sourcing.search.vocabulary import SearchVocabulary

BUYERS = {Role.PUBLIC_BUYER, Role.PRIVATE_BUYER, Role.STAFF}


def require_buyer(principal: Principal) -> None:
    if principal.role not in BUYERS:
        raise Forbidden("Seuls les acheteurs déposent des besoins.")


def check_need(payload: NeedCreate, vocabulary: SearchVocabulary) -> None:
    for position, slug in enumerate(payload.sectors):
        if slug not in vocabulary.sectors:
            raise InvalidParameter(
                f"sectors/{position}", f"secteur inconnu « {slug[:60]} »", "body"
            )
    for position, code in enumerate(payload.cpv_codes):
        if code not in vocabulary.cpv_labels:
            raise InvalidParameter(f"cpv_codes/{position}", f"code CPV inconnu « {code} »", "body")
    if payload.place is not None:
        known: set[str] = set(
            {
                "commune": vocabulary.communes.keys(),
                "departement": vocabulary.departments.keys(),
                "region": vocabulary.regions.keys(),
            }[payload.place.level]
        )
        if payload.place.code not in known:
            raise InvalidParameter(
                "place/code", f"{payload.place.level} inconnu(e) « {payload.place.code} »", "body"
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
    check_need(payload, vocabulary)
    data = payload.model_dump(mode="json", exclude={"place", "publish"})
    # Typed values where the column wants them, not their JSON text.
    data["kind"], data["deadline"] = payload.kind, payload.deadline
    data |= {
        "place_level": payload.place.level if payload.place else None,
        "place_code": payload.place.code if payload.place else None,
    }
    existing = None
    if payload.external_ref:
        existing = session.exec(
            select(Need).where(
                Need.buyer_account_id == principal.account_id,
                Need.external_ref == payload.external_ref,
            )
        ).first()
    if existing is not None:
        if existing.status in (NeedStatus.CLOSED, NeedStatus.CANCELLED):
            raise Conflict(
                f"Le besoin « {payload.external_ref} » est clos : il n'est plus modifiable."
            )
        for name, value in data.items():
            setattr(existing, name, value)
        existing.updated_at = utcnow()
        session.add(existing)
        session.flush()
        if payload.publish and existing.status == NeedStatus.DRAFT:
            publish(session, principal, existing, moderation)
        return existing
    need = Need(
        **data,
        buyer_account_id=principal.account_id,
        buyer_email=principal.email,
        status=NeedStatus.DRAFT,
    )
    session.add(need)
    session.flush()
    if payload.publish:
        publish(session, principal, need, moderation)
    return need


def get_need(session: Session, principal: Principal, need_id: int) -> Need:
    need = session.get(Need, need_id)
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
    need.updated_at = utcnow()
    session.add(need)
    session.flush()
    return need


def change_status(session: Session, need: Need, status: NeedStatus) -> Need:
    allowed = {
        NeedStatus.CLOSED: {NeedStatus.PUBLISHED},
        NeedStatus.CANCELLED: {NeedStatus.DRAFT, NeedStatus.MODERATION, NeedStatus.PUBLISHED},
    }[status]
    if need.status not in allowed:
        raise Conflict(f"Un besoin « {need.status} » ne peut passer à « {status} ».")
    need.status, need.updated_at = status, utcnow()
    session.add(need)
    session.flush()
    return need


def to_public(session: Session, need: Need) -> NeedPublic:
    matches = session.exec(
        select(func.count()).select_from(NeedMatch).where(NeedMatch.need_id == need.id)
    ).one()
    answers = Counter(
        str(a.status) for a in session.exec(select(NeedAnswer).where(NeedAnswer.need_id == need.id))
    )
    return NeedPublic.model_validate(
        {**need.model_dump(), "matches": matches, "answers": dict(answers)}
    )


def responsiveness(session: Session) -> dict[int, float]:
    """Per structure: the share of needs it was told of that it answered."""
    notified = Counter(
        sid
        for sid in session.exec(
            select(NeedMatch.structure_id).where(col(NeedMatch.notified_at).is_not(None))
        )
    )
    answered = Counter(sid for sid in session.exec(select(NeedAnswer.structure_id)))
    return {sid: min(1.0, answered[sid] / count) for sid, count in notified.items()}


def record_matches(session: Session, need_id: int, candidates: list[Candidate]) -> int:
    """New candidates become matches; known ones keep their notification state."""
    known = set(session.exec(select(NeedMatch.structure_id).where(NeedMatch.need_id == need_id)))
    added = 0
    for candidate in candidates:
        if candidate.structure_id in known:
            continue
        session.add(
            NeedMatch(
                need_id=need_id,
                structure_id=candidate.structure_id,
                structure_name=candidate.name[:255],
                score=candidate.score,
                reasons=candidate.reasons,
            )
        )
        added += 1
    session.flush()
    return added


def unnotified(session: Session, limit: int) -> list[tuple[NeedMatch, Need]]:
    rows = session.exec(
        select(NeedMatch, Need)
        .join(Need, col(Need.id) == NeedMatch.need_id)
        .where(col(NeedMatch.notified_at).is_(None), Need.status == NeedStatus.PUBLISHED)
        .order_by(col(NeedMatch.score).desc(), col(NeedMatch.id))
        .limit(limit)
    ).all()
    return [(m, n) for m, n in rows]


def notify(
    session: Session,
    match: NeedMatch,
    need: Need,
    recipients: list[str],
    secret: str,
    public_url: str,
    ttl_days: int,
    reminder: bool = False,
) -> None:
    """Queues the mail with its signed answer link; the caller marks the match in the same
    transaction, so that a structure is told once per need (and reminded at most the cap)."""
    token = make_token(secret, need.id or 0, match.structure_id, ttl_days * 86400)
    link = f"{public_url}/api/v1/answers/{token}"
    subject = (("Rappel : " if reminder else "") + f"Besoin d'achat : {need.title}")[:200]
    body = (
        f"Bonjour,\n\nUn acheteur recherche des fournisseurs inclusifs pour : {need.title}.\n"
        f"« {match.structure_name} » correspond à ce besoin.\n\n{need.description[:1500]}\n\n"
        + (f"Réponse attendue avant le {need.deadline.isoformat()}.\n" if need.deadline else "")
        + f"Consultez le besoin et répondez, sans vous connecter :\n{link}\n"
    )
    for recipient in recipients:
        queue_mail(session, recipient, subject, body)


def reminders_due(session: Session, after: timedelta, cap: int) -> list[tuple[NeedMatch, Need]]:
    threshold = utcnow() - after
    rows = session.exec(
        select(NeedMatch, Need)
        .join(Need, col(Need.id) == NeedMatch.need_id)
        .where(
            Need.status == NeedStatus.PUBLISHED,
            col(NeedMatch.notified_at).is_not(None),
            col(NeedMatch.opened_at).is_(None),
            NeedMatch.reminders < cap,
        )
    ).all()
    due = []
    for match, need in rows:
        last = match.last_reminder_at or match.notified_at
        answered = session.exec(
            select(NeedAnswer.id).where(
                NeedAnswer.need_id == need.id, NeedAnswer.structure_id == match.structure_id
            )
        ).first()
        if (
            last is not None
            and last.replace(tzinfo=threshold.tzinfo) <= threshold
            and answered is None
        ):
            due.append((match, need))
    return due


def match_of(session: Session, need_id: int, structure_id: int) -> tuple[NeedMatch, Need]:
    row = session.exec(
        select(NeedMatch, Need)
        .join(Need, col(Need.id) == NeedMatch.need_id)
        .where(NeedMatch.need_id == need_id, NeedMatch.structure_id == structure_id)
    ).first()
    if row is None:
        raise NotFound("Ce besoin n'a pas été adressé à cette structure.")
    return row[0], row[1]


def answer(session: Session, need: Need, structure_id: int, payload: AnswerCreate) -> NeedAnswer:
    if need.status != NeedStatus.PUBLISHED:
        raise Conflict("Ce besoin n'accepte plus de réponses.")
    for key in payload.answers:
        if not key.isdigit() or int(key) >= len(need.questions):
            raise InvalidParameter(
                f"answers/{key[:10]}", "question inconnue (clés : numéros des questions)", "body"
            )
    existing = session.exec(
        select(NeedAnswer).where(
            NeedAnswer.need_id == need.id, NeedAnswer.structure_id == structure_id
        )
    ).first()
    record = existing or NeedAnswer(
        need_id=need.id or 0, structure_id=structure_id, status=payload.status
    )
    record.status, record.reason, record.answers = payload.status, payload.reason, payload.answers
    record.contact_email, record.answered_at = payload.contact_email, utcnow()
    session.add(record)
    session.flush()
    return record


def answers_of(session: Session, need_id: int) -> list[tuple[NeedAnswer, str | None]]:
    names = {
        m.structure_id: m.structure_name
        for m in session.exec(select(NeedMatch).where(NeedMatch.need_id == need_id))
    }
    rows = session.exec(
        select(NeedAnswer)
        .where(NeedAnswer.need_id == need_id)
        .order_by(col(NeedAnswer.answered_at))
    )
    return [(a, names.get(a.structure_id)) for a in rows]


ANSWER_LABELS = {
    AnswerStatus.INTERESTED: "intéressée",
    AnswerStatus.NOT_INTERESTED: "pas intéressée",
    AnswerStatus.GROUPEMENT: "répondrait en groupement",
}
