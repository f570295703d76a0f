"""A buyer's reminder of a published need: its rules (too early, cap, deadline, status), the
e-mail each silent structure gets over a real SMTP server, and exactly once per reminder."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import Session

from services.common.state import state_of
from services.sourcing.needs.models import Need
from services.sourcing.needs.repository import NeedRepository
from services.sourcing.needs.schemas import buyers_today
from services.sourcing.state import SourcingState
from tests.sourcing import test_needs
from tests.sourcing.test_needs import BUYER, NEED, OTHER_BUYER, Market

# The needs tests' market (catalog, sourcing, real SMTP), a fresh one for this module.
market = test_needs.market


def _state(market: Market) -> SourcingState:
    return state_of(market.sourcing.app, SourcingState)  # type: ignore[arg-type]


@pytest.fixture
def delay(market: Market) -> Iterator[None]:
    """The fixture's near-zero delay between reminders, put back after a test changes it."""
    settings = _state(market).settings
    before = settings.reminder_after_hours
    yield
    settings.reminder_after_hours = before


def _publish(market: Market, title: str) -> dict[str, object]:
    response = market.sourcing.post("/v1/needs", json={**NEED, "title": title}, headers=BUYER)
    assert response.status_code == 201, response.text
    market.deliver()
    return dict(response.json())


def _reminders(market: Market, before: int, title: str) -> list[str]:
    market.deliver()
    return [
        str(m["To"])
        for m in market.inbox.messages[before:]
        if str(m["Subject"]) == f"Rappel : Besoin d'achat : {title}"
    ]


def test_too_early_is_refused_with_when_it_becomes_possible(market: Market, delay: None) -> None:
    need = _publish(market, "Relance trop tôt")
    _state(market).settings.reminder_after_hours = 72
    shown = market.sourcing.get(f"/v1/needs/{need['id']}/remind", headers=BUYER)
    assert shown.status_code == 200, shown.text
    assert shown.json()["possible"] is False and shown.json()["structures"] == len(market.managed)
    before = len(market.inbox.messages)
    refused = market.sourcing.post(f"/v1/needs/{need['id']}/remind", headers=BUYER)
    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert "Trop tôt" in problem["detail"] and "72 heures après la publication" in problem["detail"]
    assert problem["possible_from"].startswith(str(buyers_today() + timedelta(days=3))[:4])
    assert _reminders(market, before, "Relance trop tôt") == []


def test_silent_structures_are_reminded_once_each_up_to_the_cap(market: Market) -> None:
    title = "Relance des structures silencieuses"
    need = _publish(market, title)
    answering = next(iter(market.managed))
    reply = market.sourcing.post(
        f"/v1/structures/{answering}/needs/{need['id']}/answer",
        json={"status": "interested"},
        headers=market.managed[answering],
    )
    assert reply.status_code == 200, reply.text
    silent = {f"gerant-{sid}@exemple.fr" for sid in market.managed if sid != answering}
    assert silent

    before = len(market.inbox.messages)
    first = market.sourcing.post(f"/v1/needs/{need['id']}/remind", headers=BUYER)
    assert first.status_code == 200, first.text
    assert first.json()["reminded"] == len(silent)
    assert first.json()["last_reminder_at"] is not None
    recipients = _reminders(market, before, title)
    assert sorted(recipients) == sorted(silent)  # once each, never the one that answered

    second = market.sourcing.post(f"/v1/needs/{need['id']}/remind", headers=BUYER)
    assert second.status_code == 200 and second.json()["reminded"] == len(silent)
    third = market.sourcing.post(f"/v1/needs/{need['id']}/remind", headers=BUYER)
    assert third.status_code == 409
    assert "Aucune structure à relancer" in third.json()["detail"]
    assert sorted(_reminders(market, before, title)) == sorted([*silent, *silent])


def test_a_reminder_reaches_a_structure_once_even_when_asked_twice(market: Market) -> None:
    title = "Relance demandée deux fois"
    need = _publish(market, title)
    state = _state(market)
    matches = market.sourcing.get(f"/v1/needs/{need['id']}/matches", headers=BUYER).json()
    told = {m["structure_id"] for m in matches if m["notified"]}
    with Session(state.engine) as session:
        rows = NeedRepository(session).matches_of(int(str(need["id"])))
        targets = [(m.id, m.structure_id, m.reminders) for m in rows if m.structure_id in told]
    before = len(market.inbox.messages)
    # Two requests that read the same counts before either sent: the second sends nothing.
    assert market.sourcing.portal.call(state.runner.remind, targets) == len(told)  # type: ignore[union-attr]
    assert market.sourcing.portal.call(state.runner.remind, targets) == 0  # type: ignore[union-attr]
    assert len(_reminders(market, before, title)) == len(told)


def test_only_a_published_need_before_its_deadline(market: Market) -> None:
    need = _publish(market, "Relance après la date limite")
    with Session(_state(market).engine) as session:
        row = session.get(Need, need["id"])
        assert row is not None
        row.deadline = buyers_today() - timedelta(days=1)
        session.add(row)
        session.commit()
    late = market.sourcing.post(f"/v1/needs/{need['id']}/remind", headers=BUYER)
    assert late.status_code == 409 and "date limite" in late.json()["detail"]

    other = _publish(market, "Relance d'un besoin clos")
    assert market.sourcing.post(f"/v1/needs/{other['id']}/close", headers=BUYER).status_code == 200
    closed = market.sourcing.post(f"/v1/needs/{other['id']}/remind", headers=BUYER)
    assert closed.status_code == 409 and "publié" in closed.json()["detail"]
    assert (
        market.sourcing.post(f"/v1/needs/{other['id']}/remind", headers=OTHER_BUYER).status_code
        == 404
    )
