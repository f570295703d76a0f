"""Buyers' organisations: identified by a checked SIRET or SIREN, administered by their admins,
joined by e-mail; every project route refuses non-members, staff read — on SQLite and
PostgreSQL, with the real index behind the projects' evaluation."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select

from services.common.identity import Role
from services.common.mail import OutgoingMail
from services.common.state import state_of
from services.sourcing.state import SourcingState
from tests.catalog.api_support import STAFF, identity
from tests.sourcing.projects_support import Projects, buyer, project_input, projects, siret

__all__ = ["projects"]


def _fields(answer: Any) -> set[str]:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return {e["field"] for e in answer.json().get("errors", [])}


def test_an_organisation_is_identified_by_a_checked_siret_or_siren(projects: Projects) -> None:
    who = buyer("acheteuse-identifiants")
    client = projects.sourcing
    valid = siret()
    wrong = valid[:-1] + str((int(valid[-1]) + 1) % 10)
    for body, field in (
        ({"siret": wrong}, "siret"),
        ({"siret": "1234"}, "siret"),
        ({"siren": "123456788"}, "siren"),
        ({}, "siret"),
        ({"siret": valid, "siren": "999999999"}, "siren"),
    ):
        refused = client.post(
            "/v1/organisations",
            json={"name": "Commune", "buyer_kind": "collectivite", **body},
            headers=who,
        )
        assert refused.status_code == 422 and _fields(refused) == {field}, refused.text
        assert "SIRE" in refused.json()["errors"][0]["detail"]
    created = projects.organisation(who, siret=valid)
    assert (created["siret"], created["siren"]) == (valid, valid[:9])
    assert created["buyer_kind_label"] == "Collectivité territoriale"
    assert created["members"][0]["email"] == "acheteuse-identifiants@exemple.fr"
    assert created["members"][0]["role"] == "admin" and created["my_role"] == "admin"
    again = client.post(
        "/v1/organisations",
        json={"name": "Doublon", "siren": valid[:9], "buyer_kind": "etat"},
        headers=who,
    )
    assert again.status_code == 409 and valid[:9] in again.json()["detail"]
    by_siren = projects.organisation(buyer("autre-acheteur-siren"), siret=None, siren=valid[:9])
    assert (by_siren["siren"], by_siren["siret"]) == (valid[:9], None)
    listed = client.get("/v1/organisations", headers=who).json()["items"]
    assert [o["id"] for o in listed] == [created["id"]]

    manager = identity("gerant-sans-organisation", Role.SUPPLIER_MANAGER)
    body = {"name": "Pas un acheteur", "siret": siret(), "buyer_kind": "collectivite"}
    assert client.post("/v1/organisations", json=body, headers=manager).status_code == 403
    assert client.get("/v1/organisations").status_code == 401


def test_every_route_refuses_non_members_and_staff_only_read(projects: Projects) -> None:
    owner = buyer("acheteur-proprietaire")
    stranger = buyer("acheteur-etranger")
    organisation = projects.organisation(owner)["id"]
    project = projects.project(owner, organisation)["id"]
    etag = projects.sourcing.get(f"/v1/projects/{project}", headers=owner).headers["etag"]
    reads = [
        f"/v1/organisations/{organisation}",
        f"/v1/organisations/{organisation}/projects",
        f"/v1/organisations/{organisation}/report?year=2026",
        f"/v1/projects/{project}",
        f"/v1/projects/{project}/note.pdf",
    ]
    writes: list[tuple[str, str, dict[str, Any]]] = [
        ("PATCH", f"/v1/organisations/{organisation}", {"name": "Pris"}),
        ("POST", f"/v1/organisations/{organisation}/members", {"email": "x@exemple.fr"}),
        ("DELETE", f"/v1/organisations/{organisation}/members/1", {}),
        ("POST", f"/v1/organisations/{organisation}/projects", project_input()),
        ("PATCH", f"/v1/projects/{project}", {"title": "Pris"}),
        ("POST", f"/v1/projects/{project}/evaluate", {}),
        ("POST", f"/v1/projects/{project}/decisions", {"options": [{"code": "clause_L2112_2"}]}),
        ("POST", f"/v1/projects/{project}/award", {}),
        ("POST", f"/v1/projects/{project}/need", {}),
        ("DELETE", f"/v1/projects/{project}", {}),
    ]
    for path in reads:
        refused = projects.sourcing.get(path, headers=stranger)
        assert refused.status_code == 403, (path, refused.text)
        assert projects.sourcing.get(path, headers=STAFF).status_code == 200, path
    for method, path, body in writes:
        for who in (stranger, STAFF):
            refused = projects.sourcing.request(
                method, path, json=body or None, headers={**who, "If-Match": etag}
            )
            assert refused.status_code == 403, (method, path, refused.text)
    assert projects.sourcing.get(f"/v1/projects/{project}", headers=owner).json()["version"] == 1
    assert projects.sourcing.get("/v1/organisations/999999", headers=owner).status_code == 404
    assert projects.sourcing.get("/v1/projects/999999", headers=owner).status_code == 404


def test_a_member_added_by_email_sees_the_projects_and_is_told(projects: Projects) -> None:
    admin = buyer("admin-organisation")
    colleague = identity("collegue-organisation", Role.PUBLIC_BUYER)
    organisation = projects.organisation(admin, name="Département de la Seine-Saint-Denis")
    organisation_id = organisation["id"]
    project = projects.project(admin, organisation_id)["id"]
    assert projects.sourcing.get(f"/v1/projects/{project}", headers=colleague).status_code == 403

    added = projects.sourcing.post(
        f"/v1/organisations/{organisation_id}/members",
        json={"email": "Collegue-Organisation@Exemple.fr"},
        headers=admin,
    )
    assert added.status_code == 201, added.text
    assert {m["email"] for m in added.json()["members"]} == {
        "admin-organisation@exemple.fr",
        "collegue-organisation@exemple.fr",
    }
    twice = projects.sourcing.post(
        f"/v1/organisations/{organisation_id}/members",
        json={"email": "collegue-organisation@exemple.fr"},
        headers=admin,
    )
    assert twice.status_code == 409
    engine = state_of(projects.sourcing.app, SourcingState).engine  # type: ignore[arg-type]
    with Session(engine) as session:
        mail = session.exec(
            select(OutgoingMail).where(OutgoingMail.recipient == "collegue-organisation@exemple.fr")
        ).one()
    assert "Seine-Saint-Denis" in mail.subject and "membre" in mail.body
    assert f"https://marche.example/organisation/{organisation_id}" in mail.body

    read = projects.sourcing.get(f"/v1/projects/{project}", headers=colleague)
    assert read.status_code == 200, read.text
    mine = projects.sourcing.get("/v1/organisations", headers=colleague).json()["items"]
    assert [(o["id"], o["my_role"]) for o in mine] == [(organisation_id, "member")]
    # A member works on the projects but does not administer the organisation.
    assert projects.decide(colleague, project, "clause_L2112_2").status_code == 201
    assert projects.project(colleague, organisation_id)["created_by"] == (
        "collegue-organisation@exemple.fr"
    )
    for method, path, body in (
        ("PATCH", f"/v1/organisations/{organisation_id}", {"hours_threshold": 10}),
        ("POST", f"/v1/organisations/{organisation_id}/members", {"email": "z@exemple.fr"}),
    ):
        refused = projects.sourcing.request(method, path, json=body, headers=colleague)
        assert refused.status_code == 403, refused.text


def test_the_last_admin_stays_and_admins_edit_the_organisation(projects: Projects) -> None:
    admin = buyer("seule-admin")
    organisation = projects.organisation(admin)
    organisation_id = organisation["id"]
    me = organisation["members"][0]["id"]
    path = f"/v1/organisations/{organisation_id}/members"
    last = projects.sourcing.delete(f"{path}/{me}", headers=admin)
    assert last.status_code == 409 and "dernier administrateur" in last.json()["detail"]

    second = projects.sourcing.post(
        path, json={"email": "second-admin@exemple.fr", "role": "admin"}, headers=admin
    ).json()
    other = next(m for m in second["members"] if m["email"] == "second-admin@exemple.fr")
    member = projects.sourcing.post(path, json={"email": "simple@exemple.fr"}, headers=admin)
    simple = next(m for m in member.json()["members"] if m["email"] == "simple@exemple.fr")
    assert projects.sourcing.delete(f"{path}/{simple['id']}", headers=admin).status_code == 204
    assert projects.sourcing.delete(f"{path}/{simple['id']}", headers=admin).status_code == 404
    assert projects.sourcing.delete(f"{path}/{me}", headers=admin).status_code == 204
    successor = identity("second-admin", Role.PUBLIC_BUYER)
    left = projects.sourcing.get(f"/v1/organisations/{organisation_id}", headers=successor)
    assert [m["id"] for m in left.json()["members"]] == [other["id"]]
    assert (
        projects.sourcing.get(f"/v1/organisations/{organisation_id}", headers=admin).status_code
        == 403
    )

    project = projects.project(successor, organisation_id, estimated_amount_eur=40_000)
    assert project["evaluation"]["social_consideration_expected"] is False
    patched = projects.sourcing.patch(
        f"/v1/organisations/{organisation_id}",
        json={"hours_threshold": 30, "name": "Ville renommée"},
        headers=successor,
    )
    assert patched.status_code == 200, patched.text
    assert (patched.json()["hours_threshold"], patched.json()["name"]) == (30, "Ville renommée")
    refused = projects.sourcing.patch(
        f"/v1/organisations/{organisation_id}", json={"name": None}, headers=successor
    )
    assert refused.status_code == 422 and _fields(refused) == {"name"}
    again = projects.sourcing.post(f"/v1/projects/{project['id']}/evaluate", headers=successor)
    assert again.json()["evaluation"]["social_consideration_expected"] is True
    assert again.json()["organisation"]["name"] == "Ville renommée"
