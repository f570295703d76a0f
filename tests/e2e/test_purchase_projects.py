"""A buyer's organisation and purchase project through the gateway, the services as real
processes: scopes at the edge (a key without `needs:write` reads but does not write), the
project created, decided and its sourcing note downloaded, and the operations in the public
OpenAPI document."""

from __future__ import annotations

from tests.e2e.test_buyer_lists import _bearer
from tests.e2e.test_services import System
from tests.sourcing.projects_support import project_input, siret


def test_a_project_through_the_gateway(system: System) -> None:
    buyer = _bearer(system, "public_buyer")
    manager = _bearer(system, "supplier_manager")
    assert system.get("/api/v1/organisations").status_code == 401
    body = {"name": "Ville de Montreuil", "siret": siret(), "buyer_kind": "collectivite"}
    refused = system.post("/api/v1/organisations", body, manager)
    assert refused.status_code == 403 and "needs:write" in refused.json()["detail"]

    created = system.post("/api/v1/organisations", body, buyer)
    assert created.status_code == 201, created.text
    organisation = created.json()
    assert organisation["my_role"] == "admin" and organisation["siren"] == body["siret"][:9]
    project = system.post(
        f"/api/v1/organisations/{organisation['id']}/projects", project_input(), buyer
    )
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    assert project.json()["evaluation"]["climate_law"]["applies"] is True

    refused = system.post(
        f"/api/v1/projects/{project_id}/decisions", {"options": [{"code": "none"}]}, buyer
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "justification"
    assert refused.json()["instance"] == f"/api/v1/projects/{project_id}/decisions"
    decided = system.post(
        f"/api/v1/projects/{project_id}/decisions",
        {
            "options": [{"code": "none"}],
            "justification": {
                "reason": "urgence",
                "text": "Rupture du marché précédent le 3 novembre, reprise sous huit jours.",
            },
        },
        buyer,
    )
    assert decided.status_code == 201, decided.text
    read = system.get(f"/api/v1/projects/{project_id}", headers=buyer)
    assert read.headers["etag"] == f'"v{read.json()["version"]}"'
    assert read.json()["decision"]["justification"]["reason"] == "urgence"

    note = system.get(f"/api/v1/projects/{project_id}/note.pdf", headers=buyer)
    assert note.status_code == 200, note.text
    assert note.headers["content-type"] == "application/pdf"
    assert f"note-de-sourcing-{project_id}.pdf" in note.headers["content-disposition"]
    assert note.content.startswith(b"%PDF")

    # A key that only reads: it reads the project, it writes nothing.
    key = system.post(
        "/api/v1/keys", {"name": "lecture projets", "scopes": ["needs:read"]}, buyer
    ).json()["key"]
    reader = {"X-Api-Key": key}
    assert system.get(f"/api/v1/projects/{project_id}", headers=reader).status_code == 200
    for method, path, payload in (
        ("post", f"/api/v1/projects/{project_id}/award", {}),
        ("patch", f"/api/v1/projects/{project_id}", {"title": "Autre"}),
        ("post", "/api/v1/organisations", body),
    ):
        answer = getattr(system, method)(path, payload, reader)
        assert answer.status_code == 403 and "needs:write" in answer.json()["detail"]

    # Another buyer is no member: the sourcing service refuses, through the gateway.
    other = _bearer(system, "public_buyer")
    assert system.get(f"/api/v1/projects/{project_id}", headers=other).status_code == 403
    vocabulary = system.get("/api/v1/projects/vocabulary")
    assert (
        vocabulary.status_code == 200
        and vocabulary.json()["hours_defaults"]["hourly_cost_eur"] == 30
    )


def test_the_operations_are_in_the_public_document(system: System) -> None:
    paths = system.get("/api/openapi.json").json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/organisations"])
    assert {"get", "patch"} <= set(paths["/api/v1/organisations/{organisation_id}"])
    assert {"get", "post"} <= set(paths["/api/v1/organisations/{organisation_id}/projects"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/projects/{project_id}"])
    assert "post" in paths["/api/v1/projects/{project_id}/decisions"]
    assert "get" in paths["/api/v1/projects/{project_id}/note.pdf"]
    assert "get" in paths["/api/v1/organisations/public-record/{siren_or_siret}"]
    assert "get" in paths["/api/v1/projects/vocabulary"]
