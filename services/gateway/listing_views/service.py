"""Listing views, counted honestly: a structure's public page read at most once a day per visitor,
not by its own managers, staff or robots. A visitor is a hash of a salt drawn each day, the
client's address and its User-Agent: nothing personal is kept, and yesterday's keys are deleted."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from redis.asyncio import Redis
from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from services.gateway.listing_views.models import ListingViewDay, ListingVisit, ViewSalt

FRENCH_TIME = ZoneInfo("Europe/Paris")
ROBOTS = re.compile(
    r"bot|crawl|spider|slurp|curl|wget|python|httpx|aiohttp|go-http|java/|okhttp|libwww|"
    r"scrapy|headless|facebookexternalhit",
    re.IGNORECASE,
)
METHOD = (
    "Une vue est comptée quand la page publique de la structure est consultée, une seule fois "
    "par visiteur et par jour (heure de Paris). Un visiteur est reconnu par une empreinte de son "
    "adresse réseau et de son navigateur, calculée avec un secret tiré chaque jour et oubliée le "
    "lendemain : rien de personnel n'est conservé. Ne sont pas comptées les consultations des "
    "gestionnaires de la structure, de l'équipe de la plateforme, ni celles des robots et des "
    "programmes qui ne disent pas quel navigateur ils sont."
)
WEEKS_SHOWN = 12
MONTHS_SHOWN = 3


def today(now: datetime | None = None) -> date:
    return (now or datetime.now(FRENCH_TIME)).astimezone(FRENCH_TIME).date()


def is_robot(user_agent: str | None) -> bool:
    """Robots and programs say so in their User-Agent; one that gives none is not a browser."""
    return not user_agent or not user_agent.strip() or bool(ROBOTS.search(user_agent))


def _salt(session: Session, day: date) -> str:
    """The day's salt, drawn on its first visit; older salts and visit keys are deleted then."""
    found = session.get(ViewSalt, day)
    if found is not None:
        return found.salt
    session.execute(delete(ViewSalt).where(col(ViewSalt.day) < day))
    session.execute(delete(ListingVisit).where(col(ListingVisit.day) < day))
    salt = ViewSalt(day=day, salt=secrets.token_hex(32))
    try:
        with session.begin_nested():
            session.add(salt)
    except IntegrityError:
        drawn = session.get(ViewSalt, day, populate_existing=True)
        assert drawn is not None
        return drawn.salt
    return salt.salt


def visitor_key(salt: str, address: str, user_agent: str) -> str:
    return hashlib.sha256(f"{salt}\n{address}\n{user_agent}".encode()).hexdigest()


def count_view(engine: Engine, structure_id: int, address: str, user_agent: str, day: date) -> bool:
    """Counts one view unless this visitor was counted for this structure today (keys kept in
    the database)."""
    with Session(engine) as session:
        key = visitor_key(_salt(session, day), address, user_agent)
        try:
            with session.begin_nested():
                session.add(ListingVisit(day=day, structure_id=structure_id, visitor=key))
        except IntegrityError:
            session.commit()
            return False
        _bump(session, structure_id, day)
        session.commit()
    return True


def add_view(engine: Engine, structure_id: int, day: date) -> None:
    """One more view of the day, the visitor already checked elsewhere (Redis)."""
    with Session(engine) as session:
        _bump(session, structure_id, day)
        session.commit()


# Keys live a day and a half: past the day they no longer count, and then they are gone.
REDIS_KEY_TTL_S = 36 * 3600


async def first_visit_in_redis(
    redis: Redis, structure_id: int, address: str, user_agent: str, day: date
) -> bool:
    """Whether this visitor is new today for this structure, with the salt and keys in Redis:
    both expire by themselves."""
    salt_key = f"mi:views:salt:{day.isoformat()}"
    await redis.set(salt_key, secrets.token_hex(32), nx=True, ex=REDIS_KEY_TTL_S)
    salt = await redis.get(salt_key)
    text = salt.decode() if isinstance(salt, bytes) else str(salt)
    key = visitor_key(text, address, user_agent)
    seen = f"mi:views:seen:{day.isoformat()}:{structure_id}:{key}"
    return bool(await redis.set(seen, "1", nx=True, ex=REDIS_KEY_TTL_S))


def _bump(session: Session, structure_id: int, day: date) -> None:
    def increment() -> int:
        statement = (
            update(ListingViewDay)
            .where(col(ListingViewDay.structure_id) == structure_id, col(ListingViewDay.day) == day)
            .values(views=ListingViewDay.views + 1)
        )
        return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    if increment():
        return
    try:
        with session.begin_nested():
            session.add(ListingViewDay(structure_id=structure_id, day=day, views=1))
    except IntegrityError:  # another request made the day's row first
        increment()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _month_start(day: date, back: int) -> date:
    month = day.year * 12 + day.month - 1 - back
    return date(month // 12, month % 12 + 1, 1)


def views_of(engine: Engine, structure_id: int, day: date) -> dict[str, object]:
    """All-time total, the last three months and the last twelve weeks, oldest first, zeros
    included."""
    with Session(engine) as session:
        rows = session.exec(
            select(ListingViewDay).where(ListingViewDay.structure_id == structure_id)
        ).all()
    by_day = {r.day: r.views for r in rows}
    months = []
    for back in range(MONTHS_SHOWN - 1, -1, -1):
        start = _month_start(day, back)
        end = _month_start(day, back - 1)
        months.append(
            {
                "month": start.strftime("%Y-%m"),
                "views": sum(v for d, v in by_day.items() if start <= d < end),
            }
        )
    weeks = []
    for back in range(WEEKS_SHOWN - 1, -1, -1):
        start = _monday(day) - timedelta(weeks=back)
        year, week, _ = start.isocalendar()
        weeks.append(
            {
                "week": f"{year}-W{week:02d}",
                "start": start.isoformat(),
                "views": sum(v for d, v in by_day.items() if start <= d < start + timedelta(7)),
            }
        )
    return {
        "method": METHOD,
        "total": sum(by_day.values()),
        "months": months,
        "weeks": weeks,
    }
