"""Tampered credentials: access and refresh tokens changed by a byte or re-signed, a client's
forged forwarded identity, a genuine identity replayed to a service, keys of other accounts."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest

from services.common.identity import IDENTITY_HEADER, Principal, Role, sign_identity
from services.gateway.accounts.service import ACCESS_PREFIX
from services.gateway.settings import GatewaySettings
from tests.e2e.test_accounts import _account
from tests.e2e.test_services import System
from tests.security.conftest import IDENTITY_SECRET, SESSION_SECRET
from tests.security.test_idor import bearer


@pytest.fixture(scope="module")
def buyers(secure_system: System) -> list[dict[str, Any]]:
    found = []
    for role in ("public_buyer", "private_buyer"):
        _, tokens = _account(secure_system, role)
        found.append(tokens)
    return found


def _flip(text: str, position: int = -1) -> str:
    char = text[position]
    replacement = "A" if char != "A" else "B"
    index = position % len(text)
    return text[:index] + replacement + text[index + 1 :]


def _claims(access: str) -> tuple[dict[str, Any], str]:
    payload, mac = access.removeprefix(ACCESS_PREFIX).split(".")
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))), mac


def _encode(claims: dict[str, Any]) -> str:
    raw = json.dumps(claims, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_tampered_access_tokens_are_refused(
    secure_system: System, buyers: list[dict[str, Any]]
) -> None:
    access = buyers[0]["access_token"]
    claims, mac = _claims(access)
    other, _ = _claims(buyers[1]["access_token"])
    variants = {
        "flipped signature": _flip(access),
        "flipped payload": _flip(access, len(ACCESS_PREFIX) + 5),
        "truncated": access[:-4],
        "extended": access + "AAAA",
        "without prefix": access.removeprefix(ACCESS_PREFIX),
        "role raised to staff": ACCESS_PREFIX + _encode({**claims, "role": "staff"}) + "." + mac,
        "another account": ACCESS_PREFIX + _encode({**claims, "sub": other["sub"]}) + "." + mac,
        "longer life": ACCESS_PREFIX
        + _encode({**claims, "exp": claims["exp"] + 86400})
        + "."
        + mac,
        # What the services accept is not what the gateway accepts, and the reverse.
        "signed with the identity secret": ACCESS_PREFIX
        + sign_identity(Principal(claims["sub"], Role.STAFF), IDENTITY_SECRET),
        "a refresh token": buyers[0]["refresh_token"],
    }
    assert secure_system.get("/api/v1/needs", headers=bearer(buyers[0])).status_code == 200
    for name, token in variants.items():
        response = secure_system.get("/api/v1/needs", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, (name, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"


def test_tampered_refresh_tokens_are_refused_and_revoke_nothing(secure_system: System) -> None:
    _, tokens = _account(secure_system, "public_buyer")
    refresh = tokens["refresh_token"]
    for token in (_flip(refresh), refresh[:-1], refresh + "x", tokens["access_token"]):
        refused = secure_system.post("/api/v1/auth/refresh", {"refresh_token": token})
        assert refused.status_code in (401, 422), refused.text
        secure_system.post("/api/v1/auth/logout", {"refresh_token": token})
    # The genuine session survived the forged logouts.
    renewed = secure_system.post("/api/v1/auth/refresh", {"refresh_token": refresh})
    assert renewed.status_code == 200


def test_a_client_cannot_send_a_forwarded_identity(
    secure_system: System, buyers: list[dict[str, Any]]
) -> None:
    """The gateway replaces whatever identity header a client sends, even a genuine one."""
    staff = sign_identity(Principal("staff-forged", Role.STAFF), IDENTITY_SECRET)
    anonymous = secure_system.get("/api/v1/needs", headers={IDENTITY_HEADER: staff})
    assert anonymous.status_code == 401
    as_buyer = secure_system.get(
        "/api/v1/needs", headers={**bearer(buyers[0]), IDENTITY_HEADER: staff}
    )
    assert as_buyer.status_code == 200
    # Staff would see every buyer's needs; the buyer sees only theirs (none of the other's).
    other = secure_system.post(
        "/api/v1/needs",
        {
            "kind": "demande_devis",
            "title": "Besoin de l'autre acheteur",
            "description": "Ne doit pas fuiter.",
            "sectors": ["nettoyage-de-locaux-16"],
            "place": {"level": "departement", "code": "93"},
        },
        bearer(buyers[1]),
    )
    assert other.status_code == 201
    seen = secure_system.get(
        "/api/v1/needs", headers={**bearer(buyers[0]), IDENTITY_HEADER: staff}
    ).json()
    assert other.json()["id"] not in {n["id"] for n in seen}


@pytest.mark.parametrize(
    ("service", "path"), [("catalog", "/v1/claims"), ("sourcing", "/v1/needs")]
)
def test_a_forwarded_identity_is_used_once(secure_system: System, service: str, path: str) -> None:
    target = {"catalog": secure_system.catalog, "sourcing": secure_system.sourcing}[service]
    identity = sign_identity(Principal("buyer-replayed", Role.PUBLIC_BUYER), IDENTITY_SECRET)
    first = httpx.get(target.url + path, headers={IDENTITY_HEADER: identity}, timeout=10)
    assert first.status_code == 200, first.text
    replayed = httpx.get(target.url + path, headers={IDENTITY_HEADER: identity}, timeout=10)
    assert replayed.status_code == 401 and "rejeu" in replayed.json()["detail"]
    payload, mac = identity.split(".")
    for forged in (
        f"{payload}.{_flip(mac)}",
        f"{_flip(payload, 3)}.{mac}",
        sign_identity(Principal("x", Role.STAFF), SESSION_SECRET),  # an access token's secret
        payload,
    ):
        response = httpx.get(target.url + path, headers={IDENTITY_HEADER: forged}, timeout=10)
        assert response.status_code == 401, forged


def test_a_revoked_or_rotated_key_of_another_account_stays_dead(secure_system: System) -> None:
    _, owner_tokens = _account(secure_system, "private_buyer")
    _, thief_tokens = _account(secure_system, "private_buyer")
    owner, thief = bearer(owner_tokens), bearer(thief_tokens)
    created = secure_system.post(
        "/api/v1/keys", {"name": "k", "scopes": ["needs:read"]}, owner
    ).json()
    rotated = secure_system.post(f"/api/v1/keys/{created['id']}/rotate", {}, owner).json()
    # The old key, then the rotated one once revoked: refused everywhere, even to rotate.
    assert secure_system.delete(f"/api/v1/keys/{rotated['id']}", owner).status_code == 204
    for key in (created["key"], rotated["key"]):
        for headers in ({"X-Api-Key": key}, {"Authorization": f"Bearer {key}"}):
            assert secure_system.get("/api/v1/needs", headers=headers).status_code == 401
            again = secure_system.post(f"/api/v1/keys/{rotated['id']}/rotate", {}, headers)
            assert again.status_code == 401
    # Nobody else can bring it back.
    assert secure_system.post(f"/api/v1/keys/{rotated['id']}/rotate", {}, thief).status_code == 404
    assert (
        secure_system.get("/api/v1/needs", headers={"X-Api-Key": rotated["key"]}).status_code == 401
    )


def test_the_session_secret_cannot_be_the_identity_secret() -> None:
    with pytest.raises(ValueError, match="GATEWAY_SESSION_SECRET"):
        GatewaySettings(
            environment="test",  # type: ignore[arg-type]
            session_secret="un-secret-partage-0123456789",
            identity_secret="un-secret-partage-0123456789",
        )


def test_a_forwarded_identity_is_for_one_service(secure_system: System) -> None:
    """What the gateway signed for the catalog, replayed at sourcing (or the reverse), fails."""
    targets = {"catalog": secure_system.catalog, "sourcing": secure_system.sourcing}
    paths = {"catalog": "/v1/claims", "sourcing": "/v1/needs"}
    for audience in targets:
        for service, target in targets.items():
            identity = sign_identity(
                Principal("buyer-audience", Role.PUBLIC_BUYER), IDENTITY_SECRET, audience=audience
            )
            response = httpx.get(
                target.url + paths[service], headers={IDENTITY_HEADER: identity}, timeout=10
            )
            expected = 200 if service == audience else 401
            assert response.status_code == expected, (audience, service, response.text)
