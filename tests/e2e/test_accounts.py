"""Accounts and API keys through the real gateway, with the identity it signs accepted by the
services behind it — and forged identities refused by each of them."""

from __future__ import annotations

import email
import email.policy
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.identity import Principal, Role, sign_identity
from tests.e2e.test_services import System
from tests.support import ROOT, wait_until

PASSWORD = "un-mot-de-passe-assez-long"


def _token_mailed_to(folder: Path, address: str, subject: str) -> str:
    found: list[str] = []

    def arrived() -> bool:
        for path in sorted(folder.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address and subject in str(message["Subject"]):
                match = re.search(r"\?token=([A-Za-z0-9_-]{20,})", message.get_content())  # type: ignore[attr-defined]
                if match:
                    found.append(match.group(1))
        return bool(found)

    wait_until(arrived, timeout_s=15)
    return found[-1]


def _account(system: System, role: str) -> tuple[str, dict[str, Any]]:
    address = f"compte-{secrets.token_hex(4)}@exemple.fr"
    created = system.post(
        "/api/v1/auth/register", {"email": address, "password": PASSWORD, "role": role}
    )
    assert created.status_code == 201, created.text
    refused = system.post("/api/v1/auth/login", {"email": address, "password": PASSWORD})
    assert refused.status_code == 403  # e-mail not confirmed yet
    token = _token_mailed_to(system.mail_dir, address, "confirmez")
    assert system.post("/api/v1/auth/verify", {"token": token}).status_code == 200
    assert system.post("/api/v1/auth/verify", {"token": token}).status_code == 401  # once
    login = system.post("/api/v1/auth/login", {"email": address, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return address, login.json()


NEED = {
    "kind": "demande_devis",
    "title": "Traiteur pour un séminaire",
    "description": "Déjeuner pour 80 personnes, produits locaux.",
    "sectors": ["nettoyage-de-locaux-16"],
    "place": {"level": "departement", "code": "93"},
}


def test_buyer_session_keys_and_needs(system: System) -> None:
    _, tokens = _account(system, "private_buyer")
    session = {"Authorization": f"Bearer {tokens['access_token']}"}
    created = system.post(
        "/api/v1/keys",
        {"name": "Outil achats", "scopes": ["search:read", "needs:read", "needs:write"]},
        session,
    )
    assert created.status_code == 201, created.text
    key = created.json()["key"]
    assert len(key) >= 64 and key.isalnum()
    listed = system.get("/api/v1/keys", headers=session).json()
    assert [k["prefix"] for k in listed] == [created.json()["prefix"]] and "key" not in listed[0]

    for headers in ({"Authorization": f"Bearer {key}"}, {"X-Api-Key": key}):
        need = system.post("/api/v1/needs", NEED, headers)
        assert need.status_code == 201, need.text
    mine = system.get("/api/v1/needs", headers={"X-Api-Key": key}).json()
    assert len(mine) == 2 and all(n["title"] == NEED["title"] for n in mine)

    rotated = system.post(f"/api/v1/keys/{created.json()['id']}/rotate", {}, session).json()
    assert system.get("/api/v1/needs", headers={"X-Api-Key": key}).status_code == 401
    assert system.get("/api/v1/needs", headers={"X-Api-Key": rotated["key"]}).status_code == 200
    assert system.delete(f"/api/v1/keys/{rotated['id']}", session).status_code == 204
    revoked = system.get("/api/v1/needs", headers={"X-Api-Key": rotated["key"]})
    assert revoked.status_code == 401 and "révoquée" in revoked.json()["detail"]


def test_scopes_are_enforced(system: System) -> None:
    _, tokens = _account(system, "public_buyer")
    session = {"Authorization": f"Bearer {tokens['access_token']}"}
    key = system.post(
        "/api/v1/keys", {"name": "lecture", "scopes": ["search:read"]}, session
    ).json()["key"]
    assert system.post("/api/v1/needs", NEED, {"X-Api-Key": key}).status_code == 403
    assert (
        system.get("/api/v1/search", headers={"X-Api-Key": key}, params={"q": "jardin"}).status_code
        == 200
    )
    too_wide = system.post("/api/v1/keys", {"name": "x", "scopes": ["catalog:write"]}, session)
    assert (
        too_wide.status_code == 422 and too_wide.json()["errors"][0]["pointer"] == "/body/scopes/0"
    )
    assert system.post("/api/v1/needs", NEED, {"X-Api-Key": "mik" + "0" * 72}).status_code == 401
    assert system.post("/api/v1/needs", NEED, {}).status_code == 401


def test_refresh_rotates_and_logout_revokes(system: System) -> None:
    _, tokens = _account(system, "public_buyer")
    renewed = system.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert renewed.status_code == 200
    assert (
        system.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code
        == 401
    )
    assert (
        system.post(
            "/api/v1/auth/logout", {"refresh_token": renewed.json()["refresh_token"]}
        ).status_code
        == 204
    )
    assert (
        system.post(
            "/api/v1/auth/refresh", {"refresh_token": renewed.json()["refresh_token"]}
        ).status_code
        == 401
    )


def test_password_reset_ends_sessions(system: System) -> None:
    address, tokens = _account(system, "public_buyer")
    assert system.post("/api/v1/auth/password-reset", {"email": address}).status_code == 202
    assert (
        system.post("/api/v1/auth/password-reset", {"email": "personne@exemple.fr"}).status_code
        == 202
    )
    token = _token_mailed_to(system.mail_dir, address, "mot de passe")
    new_password = PASSWORD + "-2"
    confirmed = system.post(
        "/api/v1/auth/password-reset/confirm", {"token": token, "password": new_password}
    )
    assert confirmed.status_code == 204
    assert (
        system.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]}).status_code
        == 401
    )
    assert (
        system.post("/api/v1/auth/login", {"email": address, "password": new_password}).status_code
        == 200
    )


def test_failed_logins_are_throttled(system: System) -> None:
    address, _ = _account(system, "public_buyer")
    statuses = [
        system.post("/api/v1/auth/login", {"email": address, "password": "faux"}).status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5 and statuses[5] == 429
    # Even the right password waits now.
    assert (
        system.post("/api/v1/auth/login", {"email": address, "password": PASSWORD}).status_code
        == 429
    )


def test_manager_claims_through_the_gateway(system: System) -> None:
    _, tokens = _account(system, "supplier_manager")
    session = {"Authorization": f"Bearer {tokens['access_token']}"}
    hit = system.get("/api/v1/search", params={"kind": "EI", "department": "93"}).json()["hits"][0]
    claim = system.post(
        "/api/v1/claims", {"siret": hit["siret"], "structure_id": hit["id"]}, session
    )
    assert claim.status_code == 201, claim.text
    assert claim.json()["kind"] in ("staff_review", "join", "verification")
    # Not a manager yet: the catalog refuses the write it receives with a genuine identity.
    etag = system.get(f"/api/v1/structures/{hit['id']}").headers["etag"]
    patched = system.patch(
        f"/api/v1/structures/{hit['id']}", {"brand": "X"}, {**session, "If-Match": etag}
    )
    assert patched.status_code == 403


@pytest.mark.parametrize("service", ["catalog", "sourcing"])
def test_each_service_refuses_forged_identities(system: System, service: str) -> None:
    target = {"catalog": system.catalog, "sourcing": system.sourcing}[service]
    path = {"catalog": "/v1/claims", "sourcing": "/v1/needs"}[service]
    forged = sign_identity(Principal("staff-1", Role.STAFF), "not-the-shared-secret")
    response = httpx.get(target.url + path, headers={"x-mi-identity": forged}, timeout=10)
    assert response.status_code == 401
    expired = sign_identity(
        Principal("staff-1", Role.STAFF), "e2e-identity-secret-0123456789", now=0
    )
    assert (
        httpx.get(target.url + path, headers={"x-mi-identity": expired}, timeout=10).status_code
        == 401
    )


def test_me_shows_the_account_its_claims_and_structures(system: System) -> None:
    """Through the real catalog: a supplier claims a structure, staff (made by the operator's
    command) accepts, and `/me` follows each step."""
    address, tokens = _account(system, "supplier_manager")
    session = {"Authorization": f"Bearer {tokens['access_token']}"}
    first = system.get("/api/v1/me", headers=session).json()
    assert first["account"]["email"] == address and first["account"]["role"] == "supplier_manager"
    assert first["structures"] == [] and first["claims"] == [] and first["missing"] == []
    found = system.get("/api/v1/search", params={"kind": "ESAT", "department": "48"}).json()
    hit = found["hits"][-1]  # a structure no other test claims
    claim = system.post(
        "/api/v1/claims", {"siret": hit["siret"], "structure_id": hit["id"]}, session
    )
    assert claim.status_code == 201, claim.text
    pending = system.get("/api/v1/me", headers=session).json()
    (listed,) = pending["claims"]
    assert listed["id"] == claim.json()["id"] and listed["status"] == "pending"
    assert listed["structure_id"] == hit["id"] and listed["structure_name"]
    assert pending["structures"] == []

    staff_address = f"equipe-{secrets.token_hex(4)}@plateforme.fr"
    created = subprocess.run(
        [
            sys.executable,
            "-m",
            "services.gateway.cli",
            "staff",
            "create",
            "--email",
            staff_address,
            "--password-stdin",
        ],
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "GATEWAY_DATABASE_URL": system.gateway_db},
        timeout=60,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    staff_login = system.post("/api/v1/auth/login", {"email": staff_address, "password": PASSWORD})
    staff = {"Authorization": f"Bearer {staff_login.json()['access_token']}"}
    assert system.get("/api/v1/me", headers=staff).json()["account"]["role"] == "staff"
    accepted = system.post(f"/api/v1/claims/{listed['id']}/accept", {}, staff)
    assert accepted.status_code == 200, accepted.text
    managing = system.get("/api/v1/me", headers=session).json()
    (structure,) = managing["structures"]
    assert structure["id"] == hit["id"] and structure["role"] in ("admin", "editor")
    assert managing["claims"][0]["status"] == "accepted"
