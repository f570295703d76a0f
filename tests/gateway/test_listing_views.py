"""Listing views counted honestly, on SQLite and PostgreSQL: one per visitor, structure and day;
the day's salt rotates and yesterday's visitor keys are deleted; robots are told apart."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from redis.asyncio import Redis
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from services.common.db import make_engine
from services.gateway.listing_views.models import ListingVisit, ViewSalt
from services.gateway.listing_views.service import (
    REDIS_KEY_TTL_S,
    add_view,
    count_view,
    first_visit_in_redis,
    is_robot,
    today,
    views_of,
)
from tests.conftest import _postgres_database
from tests.gateway.test_quotas import REDIS_URL
from tests.support import migrate

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"
DAY = date(2026, 9, 14)


@pytest.fixture
def engine(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    if backend == "sqlite":
        urls: Iterator[str] = iter([f"sqlite:///{tmp_path / 'gateway.db'}"])
    else:
        urls = _postgres_database(request.getfixturevalue("postgres_server"))
    for url in urls:
        migrate(url, "gateway")
        engine = make_engine(url)
        yield engine
        engine.dispose()


def test_one_view_per_visitor_structure_and_day(engine: Engine) -> None:
    assert count_view(engine, 7, "203.0.113.5", FIREFOX, DAY)
    assert not count_view(engine, 7, "203.0.113.5", FIREFOX, DAY)  # same visitor, same day
    assert count_view(engine, 7, "203.0.113.5", SAFARI, DAY)  # another browser
    assert count_view(engine, 7, "203.0.113.6", FIREFOX, DAY)  # another address
    assert count_view(engine, 8, "203.0.113.5", FIREFOX, DAY)  # another structure
    assert views_of(engine, 7, DAY)["total"] == 3
    assert views_of(engine, 8, DAY)["total"] == 1

    # Nothing personal is kept: keyed hashes only.
    with Session(engine) as session:
        keys = [v.visitor for v in session.exec(select(ListingVisit))]
    assert len(keys) == 4 and all(len(k) == 64 and "203.0.113" not in k for k in keys)

    # The next day the same visitor counts again; yesterday's salt and keys are gone.
    tomorrow = DAY + timedelta(days=1)
    with Session(engine) as session:
        salt_before = session.get(ViewSalt, DAY)
        assert salt_before is not None
    assert count_view(engine, 7, "203.0.113.5", FIREFOX, tomorrow)
    with Session(engine) as session:
        assert session.get(ViewSalt, DAY) is None
        assert {v.day for v in session.exec(select(ListingVisit))} == {tomorrow}
        salt_after = session.get(ViewSalt, tomorrow)
        assert salt_after is not None and salt_after.salt != salt_before.salt
    assert views_of(engine, 7, tomorrow)["total"] == 4


def test_months_and_weeks_oldest_first_with_zeros(engine: Engine) -> None:
    count_view(engine, 9, "198.51.100.1", FIREFOX, date(2026, 7, 31))
    count_view(engine, 9, "198.51.100.1", FIREFOX, date(2026, 8, 3))
    count_view(engine, 9, "198.51.100.2", FIREFOX, date(2026, 9, 14))
    summary = views_of(engine, 9, date(2026, 9, 16))
    assert summary["total"] == 3
    assert summary["months"] == [
        {"month": "2026-07", "views": 1},
        {"month": "2026-08", "views": 1},
        {"month": "2026-09", "views": 1},
    ]
    weeks = summary["weeks"]
    assert isinstance(weeks, list) and len(weeks) == 12
    assert weeks[-1] == {"week": "2026-W38", "start": "2026-09-14", "views": 1}
    assert sum(int(w["views"]) for w in weeks) == 3
    assert "une seule fois par visiteur et par jour" in str(summary["method"])


@pytest.mark.parametrize(
    "agent",
    [
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "Mozilla/5.0 (compatible; bingbot/2.0)",
        "Mozilla/5.0 (compatible; Yahoo! Slurp)",
        "curl/8.5.0",
        "Wget/1.21",
        "python-httpx/0.28.1",
        "python-requests/2.32",
        "Baiduspider",
        "Mozilla/5.0 AhrefsCrawler",
        "",
        None,
    ],
)
def test_robots_are_told_apart(agent: str | None) -> None:
    assert is_robot(agent)


def test_browsers_are_people() -> None:
    assert not is_robot(FIREFOX) and not is_robot(SAFARI)


def test_the_day_is_french() -> None:
    late = datetime(2026, 9, 14, 22, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 in Paris
    assert today(late) == date(2026, 9, 15)


def test_visitor_keys_in_redis_expire_by_themselves(tmp_path: Path) -> None:
    """With Redis (the real server), the day's salt and the visitor keys live there, each
    with an expiry; the daily counts stay in the database."""
    url = f"sqlite:///{tmp_path / 'gateway.db'}"
    migrate(url, "gateway")
    engine = make_engine(url)
    day = date(2031, 5, 6)  # a day no other run uses
    structure_id = secrets.randbelow(10**9) + 10**9

    async def visit(agent: str) -> None:
        client = Redis.from_url(REDIS_URL)
        try:
            if await first_visit_in_redis(client, structure_id, "192.0.2.7", agent, day):
                add_view(engine, structure_id, day)
        finally:
            await client.aclose()

    async def scenario() -> list[int]:
        await visit(FIREFOX)
        await visit(FIREFOX)
        await visit(SAFARI)
        client = Redis.from_url(REDIS_URL)
        try:
            keys = [k async for k in client.scan_iter(f"mi:views:seen:{day}:{structure_id}:*")]
            ttls = [await client.ttl(k) for k in [*keys, f"mi:views:salt:{day}"]]
            for key in keys:
                await client.delete(key)
        finally:
            await client.aclose()
        assert len(keys) == 2 and all(b"192.0.2.7" not in k for k in keys)
        return ttls

    ttls = asyncio.run(scenario())
    assert all(0 < ttl <= REDIS_KEY_TTL_S for ttl in ttls)
    assert views_of(engine, structure_id, day)["total"] == 2
    engine.dispose()
