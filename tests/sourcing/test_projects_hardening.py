"""What a demanding buyer (or a careless client) may send to the organisations and projects
API: two requests at once, blank texts, incoherent amounts and dates — each refused in French,
naming the field, never a 500 — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import text
from sqlmodel import Session, func, select

from services.common.errors import Conflict
from services.common.identity import Principal, Role
from services.common.state import state_of
from services.sourcing.projects import organisations, service
from services.sourcing.projects.models import Organisation
from services.sourcing.projects.schemas import DecisionInput, OrganisationCreate
from services.sourcing.projects.vocabulary import BuyerKind
from services.sourcing.state import SourcingState
from tests.sourcing.projects_support import Projects, buyer, project_input, projects, siret

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


def test_blank_titles_and_names_are_refused_naming_the_field(projects: Projects) -> None:
    who = buyer("acheteuse-blancs")
    organisation = projects.organisation(who)
    client = projects.sourcing
    url = f"/v1/organisations/{organisation['id']}/projects"
    blank = client.post(url, json=project_input(title="   "), headers=who)
    assert blank.status_code == 422 and _fields(blank) == {"title"}, blank.text
    assert "titre" in blank.json()["errors"][0]["detail"]
    lot = client.post(url, json=project_input(lots=[{"title": "  "}]), headers=who)
    assert lot.status_code == 422 and _fields(lot) == {"lots.0.title"}, lot.text
    trimmed = projects.project(who, organisation["id"], title="  Entretien des espaces verts ")
    assert trimmed["title"] == "Entretien des espaces verts"

    read = client.get(f"/v1/projects/{trimmed['id']}", headers=who)
    patched = client.patch(
        f"/v1/projects/{trimmed['id']}",
        json={"title": "\t  "},
        headers={**who, "If-Match": read.headers["etag"]},
    )
    assert patched.status_code == 422 and _fields(patched) == {"title"}, patched.text
    renamed = client.patch(
        f"/v1/organisations/{organisation['id']}", json={"name": "   "}, headers=who
    )
    assert renamed.status_code == 422 and _fields(renamed) == {"name"}, renamed.text
    assert (
        client.get(f"/v1/organisations/{organisation['id']}", headers=who).json()["name"]
        == (organisation["name"])
    )


def test_the_lots_amounts_fit_in_the_estimated_amount(projects: Projects) -> None:
    who = buyer("acheteur-lots")
    organisation = projects.organisation(who)["id"]
    client = projects.sourcing
    too_much = client.post(
        f"/v1/organisations/{organisation}/projects",
        json=project_input(
            estimated_amount_eur=500_000,
            lots=[
                {"title": "Écoles", "estimated_amount_eur": 400_000},
                {"title": "Vitrerie", "estimated_amount_eur": 200_000},
            ],
        ),
        headers=who,
    )
    assert too_much.status_code == 422 and _fields(too_much) == {"lots"}, too_much.text
    assert "600\u202f000 € HT" in too_much.json()["errors"][0]["detail"]
    view = projects.project(
        who,
        organisation,
        estimated_amount_eur=500_000,
        lots=[
            {"title": "Écoles", "estimated_amount_eur": 320_000},
            {"title": "Vitrerie", "estimated_amount_eur": 180_000},
        ],
    )
    etag = client.get(f"/v1/projects/{view['id']}", headers=who).headers["etag"]
    lowered = client.patch(
        f"/v1/projects/{view['id']}",
        json={"estimated_amount_eur": 300_000},
        headers={**who, "If-Match": etag},
    )
    assert lowered.status_code == 422 and _fields(lowered) == {"estimated_amount_eur"}
    kept = client.get(f"/v1/projects/{view['id']}", headers=who).json()
    assert (kept["estimated_amount_eur"], kept["version"]) == (500_000, view["version"])


def test_the_award_date_is_neither_in_the_future_nor_before_2000(projects: Projects) -> None:
    who = buyer("acheteuse-attribution")
    organisation = projects.organisation(who)["id"]
    view = projects.project(who, organisation)
    assert projects.decide(who, view["id"], "clause_L2112_2").status_code == 201
    url = f"/v1/projects/{view['id']}/award"
    for day in ("2999-01-01", "1999-12-31"):
        refused = projects.sourcing.post(url, json={"awarded_on": day}, headers=who)
        assert refused.status_code == 422 and _fields(refused) == {"awarded_on"}, refused.text
        assert "date d'attribution" in refused.json()["errors"][0]["detail"]
    assert projects.sourcing.get(f"/v1/projects/{view['id']}", headers=who).json()["status"] == (
        "decided"
    )
    awarded = projects.sourcing.post(url, json={"awarded_on": "2026-03-02"}, headers=who)
    assert awarded.status_code == 200 and awarded.json()["awarded_on"] == "2026-03-02"


def test_the_evaluation_writes_hours_and_the_law_in_french(projects: Projects) -> None:
    who = buyer("acheteur-francais")
    organisation = projects.organisation(who, hours_threshold=400)["id"]
    evaluation = projects.project(who, organisation)["evaluation"]
    assert evaluation["insertion_hours"]["hours"] == 416.7
    clause = next(o for o in evaluation["options"] if o["code"] == "clause_L2112_2")
    assert "416,7 heures" in clause["why"], clause["why"]
    assert any(
        "416,7 heures" in reason and "400 heures" in reason
        for reason in evaluation["expected_because"]
    ), evaluation["expected_because"]
    climate = evaluation["climate_law"]["text"]
    assert "sociales (article L2112-2-1 du Code de la commande publique)." in climate, climate


def test_a_decision_racing_the_award_is_refused_not_recorded_after_it(
    projects: Projects,
) -> None:
    engine = state_of(projects.sourcing.app, SourcingState).engine  # type: ignore[arg-type]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    headers = buyer("acheteuse-course")
    organisation = projects.organisation(headers)["id"]
    view = projects.project(headers, organisation)
    assert projects.decide(headers, view["id"], "clause_L2112_2").status_code == 201
    who = Principal(
        account_id="acheteuse-course", role=Role.PUBLIC_BUYER, email="acheteuse-course@exemple.fr"
    )
    state = state_of(projects.sourcing.app, SourcingState)  # type: ignore[arg-type]
    choice = DecisionInput.model_validate({"options": [{"code": "criterion_L2152_7"}]})
    outcome: dict[str, object] = {}

    def decide() -> None:
        with Session(engine) as session:
            try:
                service.decide(session, who, view["id"], choice, state.vocabulary)
                session.commit()
                outcome["decision"] = "recorded"
            except Conflict as exc:
                outcome["decision"] = exc

    with Session(engine) as first, Session(engine) as observer:
        service.award(first, who, view["id"], None, state.vocabulary)  # not yet committed
        racer = threading.Thread(target=decide)
        racer.start()
        for _ in range(200):
            if _waiting_on_a_lock(observer) or not racer.is_alive():
                break
            time.sleep(0.05)
        first.commit()
        racer.join(30)
    assert isinstance(outcome.get("decision"), Conflict), outcome
    final = projects.sourcing.get(f"/v1/projects/{view['id']}", headers=headers).json()
    assert final["status"] == "awarded" and len(final["decisions"]) == 1
    assert final["decision"]["options"][0]["code"] == "clause_L2112_2"


def test_an_unjustified_none_is_not_awarded_once_the_project_expects_more(
    projects: Projects,
) -> None:
    who = buyer("acheteur-montant-revu")
    organisation = projects.organisation(who)["id"]
    view = projects.project(who, organisation, estimated_amount_eur=100_000)
    assert view["evaluation"]["social_consideration_expected"] is False
    assert projects.decide(who, view["id"], "none").status_code == 201
    client = projects.sourcing
    etag = client.get(f"/v1/projects/{view['id']}", headers=who).headers["etag"]
    raised = client.patch(
        f"/v1/projects/{view['id']}",
        json={"estimated_amount_eur": 500_000},
        headers={**who, "If-Match": etag},
    )
    assert raised.status_code == 200 and raised.json()["evaluation"]["climate_law"]["applies"]
    refused = client.post(f"/v1/projects/{view['id']}/award", json={}, headers=who)
    assert refused.status_code == 409, refused.text
    assert "n'est pas justifiée" in refused.json()["detail"]
    justified = projects.decide(
        who,
        view["id"],
        "none",
        justification={"reason": "urgence", "text": "Rupture du marché précédent le 3 novembre."},
    )
    assert justified.status_code == 201, justified.text
    awarded = client.post(f"/v1/projects/{view['id']}/award", json={}, headers=who)
    assert awarded.status_code == 200 and awarded.json()["status"] == "awarded"


def test_a_criterion_alone_is_warned_when_the_climate_law_applies(projects: Projects) -> None:
    who = buyer("acheteuse-critere")
    organisation = projects.organisation(who)["id"]
    view = projects.project(who, organisation)
    assert view["evaluation"]["climate_law"]["applies"] is True
    alone = projects.decide(who, view["id"], "criterion_L2152_7")
    assert alone.status_code == 201, alone.text
    assert any("L2112-2-1" in w for w in alone.json()["decision"]["warnings"])
    with_clause = projects.decide(who, view["id"], "criterion_L2152_7", "clause_L2112_2")
    assert with_clause.status_code == 201 and with_clause.json()["decision"]["warnings"] == []
    small = projects.project(who, organisation, estimated_amount_eur=100_000)
    below = projects.decide(who, small["id"], "criterion_L2152_7")
    assert below.status_code == 201 and below.json()["decision"]["warnings"] == []


def test_none_is_for_the_whole_marche_never_for_one_lot(projects: Projects) -> None:
    who = buyer("acheteur-aucune-lot")
    organisation = projects.organisation(who)["id"]
    view = projects.project(who, organisation, lots=[{"title": "Écoles"}, {"title": "Vitrerie"}])
    refused = projects.sourcing.post(
        f"/v1/projects/{view['id']}/decisions",
        json={
            "options": [{"code": "none", "lot": 2}],
            "justification": {
                "reason": "urgence",
                "text": "Rupture du marché précédent le 3 mars.",
            },
        },
        headers=who,
    )
    assert refused.status_code == 422 and _fields(refused) == {"options/0/lot"}, refused.text
    assert "tout le marché" in refused.json()["errors"][0]["detail"]
    assert (
        projects.sourcing.get(f"/v1/projects/{view['id']}", headers=who).json()["decisions"] == []
    )


def test_two_admins_removing_each_other_at_once_leave_one(projects: Projects) -> None:
    engine = state_of(projects.sourcing.app, SourcingState).engine  # type: ignore[arg-type]
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writer at a time")
    first_admin = buyer("premiere-admin")
    organisation = projects.organisation(first_admin)
    added = projects.sourcing.post(
        f"/v1/organisations/{organisation['id']}/members",
        json={"email": "second-admin@exemple.fr", "role": "admin"},
        headers=first_admin,
    )
    assert added.status_code == 201, added.text
    assert (
        projects.sourcing.get("/v1/organisations", headers=buyer("second-admin")).json()["items"][
            0
        ]["my_role"]
        == "admin"
    )
    ids = {m["email"]: m["id"] for m in added.json()["members"]}
    one = Principal("premiere-admin", Role.PUBLIC_BUYER, "premiere-admin@exemple.fr")
    two = Principal("second-admin", Role.PUBLIC_BUYER, "second-admin@exemple.fr")
    outcome: dict[str, object] = {}

    def second() -> None:
        with Session(engine) as session:
            try:
                organisations.remove_member(
                    session, two, organisation["id"], ids["premiere-admin@exemple.fr"]
                )
                session.commit()
                outcome["second"] = "removed"
            except Conflict as exc:
                outcome["second"] = exc

    with Session(engine) as first, Session(engine) as observer:
        organisations.remove_member(first, one, organisation["id"], ids["second-admin@exemple.fr"])
        racer = threading.Thread(target=second)
        racer.start()
        for _ in range(200):
            if _waiting_on_a_lock(observer) or not racer.is_alive():
                break
            time.sleep(0.05)
        first.commit()
        racer.join(30)
    assert isinstance(outcome.get("second"), Conflict), outcome
    members = projects.sourcing.get(
        f"/v1/organisations/{organisation['id']}", headers=first_admin
    ).json()["members"]
    assert [(m["email"], m["role"]) for m in members] == [("premiere-admin@exemple.fr", "admin")]


def test_a_clause_on_one_lot_plans_that_lots_hours_in_the_report(projects: Projects) -> None:
    who = buyer("acheteuse-heures-lot")
    organisation = projects.organisation(who)["id"]
    lots = [
        {"title": "Écoles", "estimated_amount_eur": 320_000},
        {"title": "Vitrerie", "estimated_amount_eur": 180_000},
    ]
    view = projects.project(who, organisation, lots=lots)
    whole = view["evaluation"]["insertion_hours"]["hours"]
    answer = projects.sourcing.post(
        f"/v1/projects/{view['id']}/decisions",
        json={"options": [{"code": "clause_L2112_2", "lot": 2}]},
        headers=who,
    )
    assert answer.status_code == 201, answer.text
    year = datetime.now(UTC).year
    report = projects.sourcing.get(
        f"/v1/organisations/{organisation}/report", params={"year": year}, headers=who
    ).json()
    assert report["counts"]["hours_planned"] == round(whole * 180_000 / 500_000, 1) == 150.0
    again = projects.sourcing.post(
        f"/v1/projects/{view['id']}/decisions",
        json={"options": [{"code": "clause_L2112_2"}]},
        headers=who,
    )
    assert again.status_code == 201
    report = projects.sourcing.get(
        f"/v1/organisations/{organisation}/report", params={"year": year}, headers=who
    ).json()
    assert report["counts"]["hours_planned"] == whole
