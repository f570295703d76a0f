"""A buyer's reminder: the matched structures told of a published need that have not answered
are sent the automatic reminder's e-mail again, within rules that keep them from being pestered.

The rules (stated in the API documentation and on the website):
- the need is published and its deadline has not passed;
- at least `reminder_after_hours` (72 h) have gone by since its publication and since the last
  reminder sent for it, automatic or asked by the buyer;
- a structure is reminded at most `reminder_cap` times (2) per need, all reminders counted, and
  only while it still fits the need and has not answered.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from anyio import to_thread
from pydantic import BaseModel, Field
from sqlmodel import Session

from services.common.db import utcnow
from services.common.errors import Conflict
from services.common.identity import Principal
from services.sourcing.needs.models import Need, NeedMatch, NeedStatus
from services.sourcing.needs.repository import NeedRepository
from services.sourcing.needs.schemas import BUYERS_TIME, buyers_today
from services.sourcing.needs.service import fits, get_need

if TYPE_CHECKING:
    from services.sourcing.state import SourcingState

RULES = (
    "Une relance est possible pour un besoin publié dont la date limite n'est pas passée, "
    "72 heures au moins après sa publication et après la relance précédente (automatique ou "
    "demandée). Elle va aux structures prévenues qui n'ont pas encore répondu et correspondent "
    "toujours au besoin ; chacune est relancée au plus 2 fois par besoin."
)


class ReminderState(BaseModel):
    """Whether the buyer may remind now, and otherwise why and from when."""

    possible: bool
    reason: str | None = Field(
        default=None, description="Pourquoi la relance n'est pas possible maintenant"
    )
    possible_from: datetime | None = Field(
        default=None, description="Quand elle le deviendra, si cela ne dépend que du temps"
    )
    structures: int = Field(description="Structures qui recevraient la relance")
    last_reminder_at: datetime | None = None
    reminded: int = Field(default=0, description="Structures relancées par cette demande")
    rules: str = RULES


@dataclass
class _Decision:
    state: ReminderState
    targets: list[NeedMatch]


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


def _paris(moment: datetime) -> str:
    local = moment.astimezone(BUYERS_TIME)
    return local.strftime("%d/%m/%Y à %H h %M")


def decide(session: Session, need: Need, delay: timedelta, cap: int) -> _Decision:
    """The rules applied to the need as it is now."""
    needs = NeedRepository(session)
    matches = needs.matches_of(need.id or 0)
    answered = needs.answers_by_structure(need.id)
    targets = [
        m
        for m in matches
        if m.notified_at is not None
        and m.structure_id not in answered
        and fits(m)
        and m.reminders < cap
    ]
    sent = [_aware(m.last_reminder_at) for m in matches]
    last = max((moment for moment in sent if moment is not None), default=None)
    state = ReminderState(possible=False, structures=len(targets), last_reminder_at=last)
    now = utcnow()
    if need.status != NeedStatus.PUBLISHED:
        state.reason = "Seul un besoin publié peut faire l'objet d'une relance."
    elif need.deadline is not None and need.deadline < buyers_today():
        state.reason = "La date limite de réponse est passée : plus de relance possible."
    else:
        published = _aware(need.published_at) or now
        ready = max(published + delay, (last + delay) if last else published)
        if now < ready:
            since = "la relance précédente" if last and last > published else "la publication"
            state.possible_from = ready
            state.reason = (
                f"Trop tôt : une relance est possible {_hours(delay)} après {since}, "
                f"soit à partir du {_paris(ready)} (heure de Paris)."
            )
        elif not targets:
            state.reason = (
                "Aucune structure à relancer : toutes ont répondu, ne correspondent plus, "
                "n'ont pas encore été prévenues ou ont déjà reçu 2 relances."
            )
        else:
            state.possible = True
    return _Decision(state, targets if state.possible else [])


def _hours(delay: timedelta) -> str:
    hours = delay.total_seconds() / 3600
    return f"{hours:g} heures" if hours >= 1 else f"{delay.total_seconds():g} secondes"


def reminder_state(
    session: Session, principal: Principal, need_id: int, delay: timedelta, cap: int
) -> ReminderState:
    return decide(session, get_need(session, principal, need_id), delay, cap).state


def _targets(
    state: SourcingState, principal: Principal, need_id: int
) -> list[tuple[int, int, int]]:
    """(match id, structure id, reminders so far) of the structures to remind, or a 409."""
    settings = state.settings
    with Session(state.engine) as session:
        need = get_need(session, principal, need_id)
        decision = decide(
            session, need, timedelta(hours=settings.reminder_after_hours), settings.reminder_cap
        )
    if not decision.state.possible:
        raise Conflict(
            decision.state.reason or "Relance impossible.",
            possible_from=(
                decision.state.possible_from.isoformat(timespec="seconds")
                if decision.state.possible_from
                else None
            ),
            rules=RULES,
        )
    return [(m.id, m.structure_id, m.reminders) for m in decision.targets if m.id is not None]


async def remind(state: SourcingState, principal: Principal, need_id: int) -> ReminderState:
    """Sends the reminder: each target gets the automatic reminder's e-mail once, the match
    taken by a conditional update on its count, so that two clicks remind it once."""
    targets = await to_thread.run_sync(_targets, state, principal, need_id)
    reminded = await state.runner.remind(targets)
    settings = state.settings

    def after() -> ReminderState:
        with Session(state.engine) as session:
            return reminder_state(
                session,
                principal,
                need_id,
                timedelta(hours=settings.reminder_after_hours),
                settings.reminder_cap,
            )

    result = await to_thread.run_sync(after)
    return result.model_copy(update={"reminded": reminded})
