"""Every kind of route × every role × no credential, wrong scope, revoked and expired keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from services.common.db import make_engine, utcnow
from services.common.identity import Role
from services.gateway.accounts.models import Account, ApiKey
from services.gateway.accounts.secrets import hash_password
from tests.e2e.test_accounts import NEED, PASSWORD, _account
from tests.e2e.test_services import System


def _staff(system: System) -> dict[str, str]:
    """Staff accounts are not self-service: made in the database, as an operator would."""
    engine = make_engine(system.gateway_db)
    with Session(engine) as session:
        # Once per system: several modules share the session's system and ask for staff.
        if session.get(Account, "staff-matrix") is None:
            session.add(
                Account(
                    id="staff-matrix",
                    email="equipe@marche-inclusif.example",
                    password_hash=hash_password(PASSWORD),
                    role=Role.STAFF,
                    email_verified_at=utcnow(),
                )
            )
            session.commit()
    engine.dispose()
    login = system.post(
        "/api/v1/auth/login", {"email": "equipe@marche-inclusif.example", "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@pytest.fixture(scope="module")
def callers(system: System) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {"anonymous": {}}
    for role in ("public_buyer", "private_buyer", "supplier_manager"):
        _, tokens = _account(system, role)
        found[role] = {"Authorization": f"Bearer {tokens['access_token']}"}
    found["staff"] = _staff(system)
    buyer = found["public_buyer"]
    narrow = system.post(
        "/api/v1/keys", {"name": "lecture", "scopes": ["search:read"]}, buyer
    ).json()
    found["key_wrong_scope"] = {"X-Api-Key": narrow["key"]}
    revoked = system.post(
        "/api/v1/keys", {"name": "révoquée", "scopes": ["needs:write", "needs:read"]}, buyer
    ).json()
    system.delete(f"/api/v1/keys/{revoked['id']}", buyer)
    found["key_revoked"] = {"X-Api-Key": revoked["key"]}
    expired = system.post(
        "/api/v1/keys",
        {"name": "expirée", "scopes": ["needs:write", "needs:read"], "expires_in_days": 1},
        buyer,
    ).json()
    engine = make_engine(system.gateway_db)
    with Session(engine) as session:
        record = session.exec(select(ApiKey).where(ApiKey.id == expired["id"])).one()
        record.expires_at = utcnow() - timedelta(minutes=1)
        session.add(record)
        session.commit()
    engine.dispose()
    found["key_expired"] = {"X-Api-Key": expired["key"]}
    return found


def _structure(system: System) -> dict[str, Any]:
    return dict(
        system.get("/api/v1/search", params={"kind": "ACI", "department": "75"}).json()["hits"][0]
    )


# expected status for each caller; routes that need an If-Match get the current ETag
MATRIX: dict[str, dict[str, int]] = {
    "search": {
        "anonymous": 200,
        "public_buyer": 200,
        "private_buyer": 200,
        "supplier_manager": 200,
        "staff": 200,
        "key_wrong_scope": 200,
        "key_revoked": 401,
        "key_expired": 401,
    },
    "create_need": {
        "anonymous": 401,
        "public_buyer": 201,
        "private_buyer": 201,
        "supplier_manager": 403,
        "staff": 201,
        "key_wrong_scope": 403,
        "key_revoked": 401,
        "key_expired": 401,
    },
    "list_needs": {
        "anonymous": 401,
        "public_buyer": 200,
        "private_buyer": 200,
        "supplier_manager": 403,
        "staff": 200,
        "key_wrong_scope": 403,
        "key_revoked": 401,
        "key_expired": 401,
    },
    "claim": {
        "anonymous": 401,
        "public_buyer": 403,
        "private_buyer": 403,
        "supplier_manager": 201,
        "staff": 201,
        "key_wrong_scope": 403,
        "key_revoked": 401,
        "key_expired": 401,
    },
    "edit_listing": {
        "anonymous": 401,
        "public_buyer": 403,
        "private_buyer": 403,
        "supplier_manager": 403,
        "staff": 200,
        "key_wrong_scope": 403,
        "key_revoked": 401,
        "key_expired": 401,
    },
    "create_key": {
        "anonymous": 401,
        "public_buyer": 201,
        "private_buyer": 201,
        "supplier_manager": 201,
        "staff": 201,
        "key_wrong_scope": 403,
        "key_revoked": 401,
        "key_expired": 401,
    },
}


_OPEN = {
    "anonymous": 200,
    "public_buyer": 200,
    "private_buyer": 200,
    "supplier_manager": 200,
    "staff": 200,
}
_BAD_KEYS = {"key_revoked": 401, "key_expired": 401}
_MANAGERS_ONLY = {
    "anonymous": 401,
    "public_buyer": 403,
    "private_buyer": 403,
    "supplier_manager": 403,  # a manager, but not of this structure
    "key_wrong_scope": 403,
    **_BAD_KEYS,
}
MATRIX.update(
    {
        "list_keys": {**_OPEN, "anonymous": 401, "key_wrong_scope": 403, **_BAD_KEYS},
        "add_activity": {**_MANAGERS_ONLY, "staff": 201},
        "audit": {**_MANAGERS_ONLY, "staff": 200},
        "members": {**_MANAGERS_ONLY, "staff": 200},
        "structure_page": {**_OPEN, "key_wrong_scope": 403, **_BAD_KEYS},
        "market_depth": {**_OPEN, "key_wrong_scope": 200, **_BAD_KEYS},
        "reference": {**_OPEN, "key_wrong_scope": 200, **_BAD_KEYS},
    }
)


@pytest.mark.parametrize("route", sorted(MATRIX))
def test_authorization_matrix(
    system: System, callers: dict[str, dict[str, str]], route: str
) -> None:
    structure = _structure(system)
    seen = {}
    for caller, headers in callers.items():
        if route == "search":
            response = system.get("/api/v1/search", params={"q": "jardin"}, headers=headers)
        elif route == "create_need":
            response = system.post("/api/v1/needs", NEED, headers)
        elif route == "list_needs":
            response = system.get("/api/v1/needs", headers=headers)
        elif route == "claim":
            other = system.get(
                "/api/v1/search", params={"kind": "EI", "department": "13", "per_page": 50}
            ).json()["hits"]
            target = other[len(seen) % len(other)]
            response = system.post(
                "/api/v1/claims", {"siret": target["siret"], "structure_id": target["id"]}, headers
            )
        elif route == "edit_listing":
            etag = system.get(f"/api/v1/structures/{structure['id']}").headers["etag"]
            response = system.patch(
                f"/api/v1/structures/{structure['id']}",
                {"brand": f"Matrice {caller}"},
                {**headers, "If-Match": etag},
            )
        elif route == "create_key":
            response = system.post(
                "/api/v1/keys", {"name": "k", "scopes": ["search:read"]}, headers
            )
        elif route == "list_keys":
            response = system.get("/api/v1/keys", headers=headers)
        elif route == "add_activity":
            response = system.post(
                f"/api/v1/structures/{structure['id']}/activities",
                {"sector": "nettoyage-de-locaux-16", "presta_types": ["PREST"], "range": "country"},
                headers,
            )
        elif route in ("audit", "members"):
            response = system.get(f"/api/v1/structures/{structure['id']}/{route}", headers=headers)
        elif route == "structure_page":
            response = system.get(f"/api/v1/structures/{structure['id']}/page", headers=headers)
        elif route == "market_depth":
            response = system.get(
                "/api/v1/market-depth", params={"department": "75"}, headers=headers
            )
        else:
            response = system.get("/api/v1/reference/kinds", headers=headers)
        seen[caller] = response.status_code
        if response.status_code >= 400:
            assert response.headers["content-type"] == "application/problem+json", (route, caller)
    assert seen == MATRIX[route]
