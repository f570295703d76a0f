"""Purchase projects: evaluation (market depth, options, insertion hours, Climat et Résilience),
decisions with their justification and history, the award, the need deposited from a project,
and the organisation's report and public record — on SQLite and PostgreSQL, a real index."""

from __future__ import annotations

from typing import Any

from services.sourcing.market.service import insertion_hours
from tests.sourcing.projects_support import CLEANING, Projects, buyer, project_input, projects
from tests.sourcing.projects_support import siret as new_siret

__all__ = ["projects"]

JUSTIFICATION = {
    "reason": "absence_offre_inclusive",
    "text": "Sourcing du 2 mars : aucune structure n'a répondu à notre dépôt de besoin.",
}


def _option(view: dict[str, Any], code: str) -> dict[str, Any]:
    return next(o for o in view["evaluation"]["options"] if o["code"] == code)


def _problem_fields(answer: Any) -> set[str]:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return {e["field"] for e in answer.json()["errors"]}


def test_a_services_project_in_the_93_gets_the_siae_reservation_only_with_three_siae(
    projects: Projects,
) -> None:
    who = buyer("acheteuse-93")
    organisation = projects.organisation(who)
    view = projects.project(who, organisation["id"])
    evaluation = view["evaluation"]
    # The market depth is exactly the one GET /v1/market-depth answers.
    depth = projects.sourcing.get(
        "/v1/market-depth", params={"department": "93", "sector": CLEANING}
    ).json()
    assert evaluation["market"] == depth
    reservation = _option(view, "reserve_L2113_13")
    assert reservation["eligible_suppliers"] == 2, "the data holds two SIAE cleaning in the 93"
    assert reservation["available"] is False
    assert reservation["article"] == "L2113-13" and "R2113-7" in reservation["requires"]
    assert _option(view, "clause_L2112_2")["available"] is True
    assert _option(view, "criterion_L2152_7")["available"] is True
    climate = evaluation["climate_law"]
    assert climate["applies"] is True and climate["threshold_eur"] == 216_000
    assert "L2112-2-1" in climate["text"] and "22 août 2026" in climate["text"]
    assert evaluation["social_consideration_expected"] is True
    assert evaluation["insertion_hours"]["hours"] == round(500_000 * 0.5 * 0.05 / 30, 1)
    assert view["place"] == {
        "level": "departement",
        "code": "93",
        "label": "Seine-Saint-Denis (93)",
    }
    assert view["status"] == "draft" and view["decision"] is None and view["decisions"] == []
    assert any("index" in source for source in evaluation["sources"])

    projects.give_siae_cleaning_in_93()
    again = projects.sourcing.post(f"/v1/projects/{view['id']}/evaluate", headers=who)
    assert again.status_code == 200, again.text
    reservation = _option(again.json(), "reserve_L2113_13")
    assert (reservation["eligible_suppliers"], reservation["available"]) == (3, True)
    assert again.json()["version"] == view["version"] + 1
    assert again.json()["evaluation"]["evaluated_at"] > evaluation["evaluated_at"]


def test_climate_law_follows_the_kind_of_buyer_and_contract(projects: Projects) -> None:
    who = buyer("acheteur-seuils")
    town = projects.organisation(who)["id"]
    state = projects.organisation(who, "etat")["id"]
    company = projects.organisation(who, "entreprise")["id"]

    def applies(organisation: int, **fields: Any) -> bool:
        climate = projects.project(who, organisation, **fields)["evaluation"]["climate_law"]
        return bool(climate["applies"])

    assert applies(town, estimated_amount_eur=216_000) is True
    assert applies(town, estimated_amount_eur=200_000) is False
    assert applies(state, estimated_amount_eur=150_000) is True
    assert applies(state, estimated_amount_eur=139_999) is False
    assert applies(town, contract_kind="travaux", estimated_amount_eur=1_000_000) is False
    assert applies(town, contract_kind="travaux", estimated_amount_eur=5_404_000) is True
    assert applies(company, estimated_amount_eur=10_000_000) is False


def test_hours_follow_the_calculator_with_edited_parameters(projects: Projects) -> None:
    who = buyer("acheteur-heures")
    organisation = projects.organisation(who)["id"]
    parameters = {"labour_share_percent": 70, "insertion_rate_percent": 7, "hourly_cost_eur": 27}
    view = projects.project(
        who, organisation, estimated_amount_eur=1_234_567, hours_parameters=parameters
    )
    hours = view["evaluation"]["insertion_hours"]
    assert hours == insertion_hours(1_234_567, 70, 7, 27).model_dump(mode="json")
    calculator = projects.sourcing.get(
        "/v1/insertion-hours", params={"amount_eur": 1_234_567, **parameters}
    ).json()
    assert hours == calculator
    assert view["hours_parameters"] == parameters


def test_none_needs_a_justification_when_a_social_consideration_is_expected(
    projects: Projects,
) -> None:
    who = buyer("acheteuse-justification")
    organisation = projects.organisation(who)["id"]
    view = projects.project(who, organisation)
    assert view["evaluation"]["social_consideration_expected"] is True
    refused = projects.decide(who, view["id"], "none")
    assert refused.status_code == 422 and _problem_fields(refused) == {"justification"}
    short = projects.decide(
        who, view["id"], "none", justification={"reason": "urgence", "text": "trop court"}
    )
    assert short.status_code == 422 and _problem_fields(short) == {"justification/text"}
    unknown = projects.decide(
        who, view["id"], "none", justification={"reason": "flemme", "text": "x" * 30}
    )
    assert unknown.status_code == 422 and "justification.reason" in _problem_fields(unknown)
    other = projects.decide(who, view["id"], "none", justification={"reason": "autre"})
    assert other.status_code == 422 and _problem_fields(other) == {"justification/text"}
    assert (
        projects.sourcing.get(f"/v1/projects/{view['id']}", headers=who).json()["decisions"] == []
    )

    recorded = projects.decide(who, view["id"], "none", justification=JUSTIFICATION)
    assert recorded.status_code == 201, recorded.text
    decision = recorded.json()["decision"]
    assert decision["justification"] == {
        "reason": "absence_offre_inclusive",
        "reason_label": "Absence d'offre inclusive sur le territoire",
        "text": JUSTIFICATION["text"],
    }
    assert decision["options"] == [
        {"code": "none", "article": "", "label": "Aucune considération sociale", "lot": None}
    ]
    assert "Aucune considération sociale" in decision["summary"]
    assert decision["decided_by"] == "acheteuse-justification@exemple.fr"
    assert recorded.json()["status"] == "decided"


def test_none_without_justification_when_nothing_is_expected_unless_the_hours_threshold(
    projects: Projects,
) -> None:
    who = buyer("acheteur-petit-marche")
    organisation = projects.organisation(who)["id"]
    small = projects.project(who, organisation, estimated_amount_eur=40_000)
    assert small["evaluation"]["social_consideration_expected"] is False
    accepted = projects.decide(who, small["id"], "none")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["decision"]["justification"] is None

    # 40,000 € × 50 % × 5 % ÷ 30 €/h ≈ 33 h: a threshold of 30 h makes it expected.
    demanding = projects.organisation(who, hours_threshold=30)["id"]
    view = projects.project(who, demanding, estimated_amount_eur=40_000)
    evaluation = view["evaluation"]
    assert evaluation["climate_law"]["applies"] is False
    assert evaluation["hours_threshold"] == 30
    assert evaluation["social_consideration_expected"] is True
    assert any("30 heures" in reason for reason in evaluation["expected_because"])
    refused = projects.decide(who, view["id"], "none")
    assert refused.status_code == 422 and _problem_fields(refused) == {"justification"}


def test_options_are_checked_and_revisions_kept_newest_first_until_the_award(
    projects: Projects,
) -> None:
    who = buyer("acheteur-revisions")
    organisation = projects.organisation(who)["id"]
    view = projects.project(
        who,
        organisation,
        sectors=["traiteur"],
        lots=[{"title": "Repas", "estimated_amount_eur": 300_000}, {"title": "Cocktails"}],
    )
    project_id = view["id"]
    assert [lot["number"] for lot in view["lots"]] == [1, 2]
    for body, field in (
        ({"options": [{"code": "none"}, {"code": "clause_L2112_2"}]}, "options"),
        ({"options": []}, "options"),
        ({"options": [{"code": "clause_L2112_2", "lot": 3}]}, "options/0/lot"),
    ):
        refused = projects.sourcing.post(
            f"/v1/projects/{project_id}/decisions", json=body, headers=who
        )
        assert refused.status_code == 422 and _problem_fields(refused) == {field}, refused.text

    first = projects.decide(who, project_id, "clause_L2112_2")
    assert first.status_code == 201 and first.json()["decision"]["warnings"] == []
    # Reserving where too few SIAE exist is accepted, with a warning.
    second = projects.sourcing.post(
        f"/v1/projects/{project_id}/decisions",
        json={"options": [{"code": "reserve_L2113_13", "lot": 1}, {"code": "criterion_L2152_7"}]},
        headers=who,
    )
    assert second.status_code == 201, second.text
    decision = second.json()["decision"]
    assert decision["options"][0]["lot"] == 1 and "lot 1" in decision["summary"]
    assert len(decision["warnings"]) == 1 and "L2113-13" in decision["warnings"][0]
    history = second.json()["decisions"]
    assert [d["id"] for d in history] == sorted((d["id"] for d in history), reverse=True)
    assert [d["options"][0]["code"] for d in history] == ["reserve_L2113_13", "clause_L2112_2"]

    awarded = projects.sourcing.post(
        f"/v1/projects/{project_id}/award", json={"awarded_on": "2026-11-02"}, headers=who
    )
    assert awarded.status_code == 200, awarded.text
    assert (awarded.json()["status"], awarded.json()["awarded_on"]) == ("awarded", "2026-11-02")
    etag = projects.sourcing.get(f"/v1/projects/{project_id}", headers=who).headers["etag"]
    for answer in (
        projects.decide(who, project_id, "clause_L2112_2"),
        projects.sourcing.patch(
            f"/v1/projects/{project_id}",
            json={"title": "Autre titre"},
            headers={**who, "If-Match": etag},
        ),
        projects.sourcing.post(f"/v1/projects/{project_id}/evaluate", headers=who),
        projects.sourcing.post(f"/v1/projects/{project_id}/award", json={}, headers=who),
        projects.sourcing.delete(f"/v1/projects/{project_id}", headers=who),
    ):
        assert answer.status_code == 409, answer.text


def test_award_needs_a_decision_and_delete_only_while_undecided(projects: Projects) -> None:
    who = buyer("acheteur-attribution")
    organisation = projects.organisation(who)["id"]
    view = projects.project(who, organisation)
    refused = projects.sourcing.post(f"/v1/projects/{view['id']}/award", json={}, headers=who)
    assert refused.status_code == 409
    assert projects.decide(who, view["id"], "clause_L2112_2").status_code == 201
    awarded = projects.sourcing.post(f"/v1/projects/{view['id']}/award", json={}, headers=who)
    assert awarded.json()["awarded_on"] is not None

    draft = projects.project(who, organisation)
    assert projects.sourcing.delete(f"/v1/projects/{draft['id']}", headers=who).status_code == 204
    assert projects.sourcing.get(f"/v1/projects/{draft['id']}", headers=who).status_code == 404


def test_changes_need_the_etag_and_re_evaluate(projects: Projects) -> None:
    who = buyer("acheteur-modifications")
    organisation = projects.organisation(who)["id"]
    view = projects.project(who, organisation)
    path = f"/v1/projects/{view['id']}"
    read = projects.sourcing.get(path, headers=who)
    assert read.headers["etag"] == f'"v{view["version"]}"'
    change = {"estimated_amount_eur": 200_000}
    assert projects.sourcing.patch(path, json=change, headers=who).status_code == 428
    stale = projects.sourcing.patch(path, json=change, headers={**who, "If-Match": '"v99"'})
    assert stale.status_code == 412
    changed = projects.sourcing.patch(
        path, json=change, headers={**who, "If-Match": read.headers["etag"]}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["evaluation"]["climate_law"]["applies"] is False
    assert changed.headers["etag"] == f'"v{view["version"] + 1}"'
    again = projects.sourcing.patch(
        path, json={"title": "Nouveau"}, headers={**who, "If-Match": read.headers["etag"]}
    )
    assert again.status_code == 412
    moved = projects.sourcing.patch(
        path,
        json={"commune": "93066"},
        headers={**who, "If-Match": changed.headers["etag"]},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["place"]["level"] == "commune"
    for body, field in (
        ({"department": "93", "region": "11"}, "department"),
        ({"sectors": ["inconnu"]}, "sectors/0"),
        ({"department": "00"}, "department"),
        ({"sectors": [], "cpv": []}, "sectors"),
    ):
        refused = projects.sourcing.patch(
            path, json=body, headers={**who, "If-Match": moved.headers["etag"]}
        )
        assert refused.status_code == 422 and _problem_fields(refused) == {field}, refused.text


def test_the_input_is_checked_and_named(projects: Projects) -> None:
    who = buyer("acheteur-saisie")
    organisation = projects.organisation(who)["id"]
    path = f"/v1/organisations/{organisation}/projects"
    for fields, field in (
        ({"sectors": [], "cpv": []}, "sectors"),
        ({"region": "11"}, "department"),
        ({"estimated_amount_eur": 0}, "estimated_amount_eur"),
        ({"duration_months": 241}, "duration_months"),
        ({"contract_kind": "prestations"}, "contract_kind"),
        ({"cpv": ["12345678"]}, "cpv/0"),
        ({"lots": [{"title": "x"}] * 51}, "lots"),
        ({"title": "Nettoyage\x00"}, "title"),
        ({"object": "Ligne\nsuivante\x07"}, "object"),
    ):
        refused = projects.sourcing.post(path, json=project_input(**fields), headers=who)
        assert refused.status_code == 422, (fields, refused.text)
        assert _problem_fields(refused) == {field}, (fields, refused.text)
    by_cpv = projects.sourcing.post(
        path,
        json=project_input(sectors=[], cpv=["90911200"], object="Lot 1 :\n\tnettoyage des bureaux"),
        headers=who,
    )
    assert by_cpv.status_code == 201, by_cpv.text
    assert by_cpv.json()["evaluation"]["market"]["domain"]["cpv"][0]["code"] == "90911200"


def test_the_need_is_deposited_from_the_project_once(projects: Projects) -> None:
    who = buyer("acheteuse-besoin")
    organisation = projects.organisation(who)["id"]
    view = projects.project(who, organisation, sectors=["traiteur"])
    assert projects.decide(who, view["id"], "reserve_L2113_13", "clause_L2112_2").status_code == 201
    created = projects.sourcing.post(
        f"/v1/projects/{view['id']}/need",
        json={"publish": True, "contact_email": "achats@saint-denis.fr"},
        headers=who,
    )
    assert created.status_code == 201, created.text
    need_id = created.json()["need_id"]
    assert created.json()["project"]["need_id"] == need_id
    need = projects.sourcing.get(f"/v1/needs/{need_id}", headers=who).json()
    assert need["project_id"] == view["id"]
    assert (need["title"], need["description"]) == (view["title"], view["object"])
    assert need["sectors"] == ["traiteur"] and need["reservation"] == "L2113-13"
    assert (need["place_level"], need["place_code"]) == ("departement", "93")
    assert need["amount_max_eur"] == 500_000 and need["status"] == "published"
    assert need["kind"] == "projet_achat"
    again = projects.sourcing.post(f"/v1/projects/{view['id']}/need", json={}, headers=who)
    assert again.status_code == 409 and again.json()["need_id"] == need_id
    listed = projects.sourcing.get(f"/v1/organisations/{organisation}/projects", headers=who)
    assert listed.json()["items"][0]["need_id"] == need_id

    undecided = projects.project(who, organisation)
    drafted = projects.sourcing.post(f"/v1/projects/{undecided['id']}/need", headers=who)
    assert drafted.status_code == 201 and drafted.json()["project"]["status"] == "draft"
    need = projects.sourcing.get(f"/v1/needs/{drafted.json()['need_id']}", headers=who).json()
    assert need["status"] == "draft" and need["reservation"] is None
    kept = projects.sourcing.delete(f"/v1/projects/{undecided['id']}", headers=who)
    assert kept.status_code == 409 and "besoin" in kept.json()["detail"]


def test_report_and_public_record(projects: Projects) -> None:
    who = buyer("acheteur-bilan")
    siret = "21750001600019"
    organisation = projects.organisation(who, name="Ville de Bilan", siret=siret)["id"]
    justified = projects.project(who, organisation, title="Sans clause justifiée")
    with_clause = projects.project(who, organisation, title="Avec clause")
    pending = projects.project(who, organisation, title="Décidé, pas attribué")
    projects.project(who, organisation, title="Brouillon")
    assert (
        projects.decide(who, justified["id"], "none", justification=JUSTIFICATION).status_code
        == 201
    )
    assert projects.decide(who, with_clause["id"], "clause_L2112_2").status_code == 201
    assert (
        projects.decide(who, pending["id"], "none", justification=JUSTIFICATION).status_code == 201
    )
    for project_id in (justified["id"], with_clause["id"]):
        awarded = projects.sourcing.post(
            f"/v1/projects/{project_id}/award", json={"awarded_on": "2026-10-01"}, headers=who
        )
        assert awarded.status_code == 200, awarded.text

    report = projects.sourcing.get(
        f"/v1/organisations/{organisation}/report", params={"year": 2026}, headers=who
    ).json()
    assert report["counts"] == {
        "projects": 4,
        "decided": 3,
        "awarded": 2,
        "with_social_consideration": 1,
        "without_social_consideration": 2,
        "without_justified": 2,
        "expected": 4,
        "expected_and_met": 1,
        "hours_planned": with_clause["evaluation"]["insertion_hours"]["hours"],
    }
    assert {j["project_id"] for j in report["justifications"]} == {justified["id"], pending["id"]}
    assert (
        report["justifications"][0]["reason_label"] == "Absence d'offre inclusive sur le territoire"
    )

    listed = f"/v1/organisations/{organisation}/projects"
    awarded = projects.sourcing.get(listed, params={"status": "awarded"}, headers=who).json()
    assert {p["id"] for p in awarded["items"]} == {justified["id"], with_clause["id"]}
    assert all(p["awarded_at"] == "2026-10-01" for p in awarded["items"])
    assert projects.sourcing.get(listed, params={"year": 2025}, headers=who).json()["items"] == []
    latest = projects.sourcing.get(listed, params={"year": 2026}, headers=who).json()["items"]
    assert latest[0]["title"] == "Brouillon" and len(latest) == 4
    assert latest[1]["decision_summary"].startswith("Aucune considération sociale")

    public = projects.sourcing.get("/v1/organisations/public-record", params={"year": 2026})
    assert public.status_code == 200
    row = next(o for o in public.json()["organisations"] if o["siret"] == siret)
    # Only the awarded projects count: the decided one waits for its award.
    assert row == {
        "siren": siret[:9],
        "siret": siret,
        "name": "Ville de Bilan",
        "projects_awarded": 2,
        "with_social_consideration": 1,
        "without_justified": 1,
        "reasons": {"absence_offre_inclusive": 1},
    }
    for identifier in (siret, siret[:9]):
        one = projects.sourcing.get(f"/v1/organisations/public-record/{identifier}")
        assert one.status_code == 200, one.text
        assert one.json()["years"] == [
            {"year": 2026, **{k: v for k, v in row.items() if k not in ("siren", "siret", "name")}}
        ]
    assert projects.sourcing.get("/v1/organisations/public-record/123456789").status_code == 404
    # Known by its SIREN alone, an organisation is found by any SIRET of that SIREN; a company's
    # projects stay out of the public record.
    by_siren = projects.organisation(who, siret=None, siren=new_siret()[:9])
    company = projects.organisation(who, "entreprise")
    for organisation_row in (by_siren, company):
        project = projects.project(who, organisation_row["id"])
        assert projects.decide(who, project["id"], "clause_L2112_2").status_code == 201
        assert (
            projects.sourcing.post(f"/v1/projects/{project['id']}/award", headers=who).status_code
            == 200
        )
    found = projects.sourcing.get(f"/v1/organisations/public-record/{by_siren['siren']}00017")
    assert found.status_code == 200 and found.json()["years"][0]["projects_awarded"] == 1
    hidden = projects.sourcing.get(f"/v1/organisations/public-record/{company['siret']}")
    assert hidden.status_code == 404
    assert projects.sourcing.get("/v1/organisations/public-record/12345").status_code == 422
    none_year = projects.sourcing.get("/v1/organisations/public-record", params={"year": 2027})
    assert all(o["siret"] != siret for o in none_year.json()["organisations"])


def test_vocabulary_is_open(projects: Projects) -> None:
    answer = projects.sourcing.get("/v1/projects/vocabulary")
    assert answer.status_code == 200
    body = answer.json()
    assert [o["code"] for o in body["option_codes"]] == [
        "reserve_L2113_12",
        "reserve_L2113_13",
        "clause_L2112_2",
        "criterion_L2152_7",
        "none",
    ]
    assert {r["code"] for r in body["justification_reasons"]} >= {"autre", "urgence"}
    assert body["hours_defaults"] == {
        "labour_share_percent": 50,
        "insertion_rate_percent": 5,
        "hourly_cost_eur": 30,
    }
    # The European thresholds of the Climat et Résilience law (2026–2027, € HT), per kind of
    # buyer and contract, as the evaluation applies them.
    thresholds = {
        t["buyer_kind"]: (t["subject"], t["threshold_eur"])
        for t in body["climate_thresholds"]["by_buyer_kind"]
    }
    works = 5_404_000
    assert thresholds == {
        "etat": (True, {"services": 140_000, "fournitures": 140_000, "travaux": works}),
        "collectivite": (True, {"services": 216_000, "fournitures": 216_000, "travaux": works}),
        "etablissement_public": (
            True,
            {"services": 216_000, "fournitures": 216_000, "travaux": works},
        ),
        "entite_adjudicatrice": (
            True,
            {"services": 432_000, "fournitures": 432_000, "travaux": works},
        ),
        "entreprise": (False, {"services": None, "fournitures": None, "travaux": None}),
    }
    assert "Climat et Résilience" in body["climate_thresholds"]["text"]
    who = buyer("acheteur-vocabulaire")
    state = projects.organisation(who, "etat")["id"]
    view = projects.project(who, state, contract_kind="fournitures")
    assert view["evaluation"]["climate_law"]["threshold_eur"] == 140_000
