"""A buyer's favourite lists and saved searches through the gateway, the services as real
processes: scopes and ownership at the edge, the unsubscribe link open to anyone with its token,
and the operations in the public OpenAPI document."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from sqlmodel import Session, select

from services.common.db import make_engine
from services.sourcing.alerts.links import make_token
from services.sourcing.alerts.models import SavedSearch
from tests.e2e.test_accounts import _account
from tests.e2e.test_services import System

SECRET = "e2e-identity-secret-0123456789"


def _bearer(system: System, role: str) -> dict[str, str]:
    _, tokens = _account(system, role)
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _send(
    system: System, method: str, path: str, headers: dict[str, str], body: Any = None
) -> httpx.Response:
    return httpx.request(method, system.gateway.url + path, json=body, headers=headers, timeout=15)


def test_buyer_lists_and_saved_searches_through_the_gateway(system: System) -> None:
    buyer = _bearer(system, "public_buyer")
    other = _bearer(system, "private_buyer")
    manager = _bearer(system, "supplier_manager")
    hits = system.get("/api/v1/search", params={"kind": "ESAT", "department": "69"}).json()["hits"]
    first, second = hits[0], hits[1]

    assert system.get("/api/v1/favourites").status_code == 401
    refused = system.post("/api/v1/favourites", {"name": "Pas pour moi"}, manager)
    assert refused.status_code == 403 and "needs:write" in refused.json()["detail"]

    created = system.post("/api/v1/favourites", {"name": "ESAT du Rhône"}, buyer)
    assert created.status_code == 201, created.text
    list_id = created.json()["id"]
    base = f"/api/v1/favourites/{list_id}"
    assert _send(system, "PUT", f"{base}/structures/{first['id']}", buyer).status_code == 201
    assert _send(system, "PUT", f"{base}/structures/{first['id']}", buyer).status_code == 200
    assert _send(system, "PUT", f"{base}/structures/{second['id']}", buyer).status_code == 201
    missing = _send(system, "PUT", f"{base}/structures/2000000000", buyer)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.json()["instance"] == f"{base}/structures/2000000000"
    assert system.get(base, headers=buyer).json()["count"] == 2
    assert system.get(base, headers=other).status_code == 404
    renamed = system.patch(base, {"name": "ESAT de Lyon"}, buyer)
    assert renamed.status_code == 200 and renamed.json()["name"] == "ESAT de Lyon"
    assert system.delete(f"{base}/structures/{second['id']}", buyer).status_code == 204

    export = system.get(f"{base}/export", params={"format": "csv"}, headers=buyer)
    assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff")), delimiter=";"))
    assert [int(r["Identifiant"]) for r in rows] == [first["id"]]
    xlsx = system.get(f"{base}/export", params={"format": "xlsx"}, headers=buyer)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"

    saved = system.post(
        "/api/v1/saved-searches",
        {"name": "ESAT 69", "params": "kind=ESAT&department=69", "frequency": "weekly"},
        buyer,
    )
    assert saved.status_code == 201, saved.text
    saved_id = saved.json()["id"]
    assert saved.json()["params"] == {"kind": ["ESAT"], "department": ["69"]}
    bad = system.post("/api/v1/saved-searches", {"name": "x", "params": {"kind": "ESATT"}}, buyer)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "params.kind"
    listed = system.get("/api/v1/saved-searches", headers=buyer).json()
    assert [s["id"] for s in listed] == [saved_id]
    assert system.get("/api/v1/saved-searches", headers=other).json() == []

    # The e-mail's link, as the digest writes it; used with no credential at all.
    engine = make_engine(system.sourcing.env["SOURCING_DATABASE_URL"])
    with Session(engine) as session:
        salt = session.exec(select(SavedSearch.link_salt).where(SavedSearch.id == saved_id)).one()
    engine.dispose()
    token = make_token(SECRET, saved_id, salt)
    described = system.get("/api/v1/alerts/unsubscribe", params={"token": token})
    assert described.status_code == 200 and described.json()["subscribed"] is True
    stopped = system.post("/api/v1/alerts/unsubscribe", {"token": token})
    assert stopped.status_code == 200 and stopped.json()["frequency"] == "none"
    forged = system.post("/api/v1/alerts/unsubscribe", {"token": token[:-4] + "AAAA"})
    assert forged.status_code == 401
    assert forged.headers["content-type"] == "application/problem+json"
    assert (
        system.get(f"/api/v1/saved-searches/{saved_id}", headers=buyer).json()["frequency"]
        == "none"
    )

    assert system.delete(f"/api/v1/saved-searches/{saved_id}", buyer).status_code == 204
    assert system.delete(base, buyer).status_code == 204
    assert system.get(base, headers=buyer).status_code == 404


def test_the_operations_are_in_the_public_document(system: System) -> None:
    paths = system.get("/api/openapi.json").json()["paths"]
    assert "put" in paths["/api/v1/favourites/{list_id}/structures/{structure_id}"]
    assert "get" in paths["/api/v1/favourites/{list_id}/export"]
    assert {"get", "post"} <= set(paths["/api/v1/saved-searches"])
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/saved-searches/{saved_search_id}"])
    assert {"get", "post"} <= set(paths["/api/v1/alerts/unsubscribe"])
    create = paths["/api/v1/favourites"]["post"]
    assert create["summary"] == "Créer une liste de favoris"
    assert "201" in create["responses"]
