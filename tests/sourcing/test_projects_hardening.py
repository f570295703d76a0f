"""What a demanding buyer (or a careless client) may send to the organisations and projects
API: two requests at once, blank texts, incoherent amounts and dates — each refused in French,
naming the field, never a 500 — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from services.common.errors import Conflict
from services.common.identity import Principal, Role
from services.common.state import state_of
from services.sourcing.projects import organisations
from services.sourcing.projects.models import Organisation
from services.sourcing.projects.schemas import OrganisationCreate
from services.sourcing.projects.vocabulary import BuyerKind
from services.sourcing.state import SourcingState
from tests.sourcing.projects_support import Projects, projects, siret

__all__ = ["projects"]


def _fields(answer: Any) -> set[str]:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return {e["field"] for e in answer.json().get("errors", [])}


def _waiting_on_a_lock(session: Session) -> bool:
    return bool(
        session.exec(  # type: ignore[call-overload]
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND datname = current_database()"
            )
        ).scalar()
    )


def test_one_account_creating_the_same_siren_twice_at_once_gets_one_organisation(
    projects: Projects,
) -> None:
    engine = state_of(projects.sourcing.app, SourcingState).engine  # type: ignore[arg-type]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    who = Principal(account_id="course-siren", role=Role.PUBLIC_BUYER, email="course@exemple.fr")
    payload = OrganisationCreate(name="Ville", siret=siret(), buyer_kind=BuyerKind.COLLECTIVITE)
    outcome: dict[str, object] = {}

    def second() -> None:
        with Session(engine) as session:
            try:
                organisations.create(session, who, payload)
                session.commit()
                outcome["second"] = "created"
            except Conflict as exc:
                outcome["second"] = exc

    with Session(engine) as first, Session(engine) as observer:
        organisations.create(first, who, payload)  # written, not yet committed
        racer = threading.Thread(target=second)
        racer.start()
        # The second request passed its check (the first is not committed) and now waits on
        # the first's row; without the constraint it would not wait, and both would be created.
        for _ in range(200):
            if _waiting_on_a_lock(observer) or not racer.is_alive():
                break
            time.sleep(0.05)
        first.commit()
        racer.join(30)
        assert isinstance(outcome.get("second"), Conflict), outcome
        count = observer.exec(
            select(func.count())
            .select_from(Organisation)
            .where(Organisation.created_by == who.account_id)
        ).one()
    assert count == 1
