"""Verified ownership and the authorization matrix: manager of A cannot touch B, editor vs
admin, staff, buyers; forged, expired or missing identities."""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping

import pytest
from sqlmodel import Session, col, func, select

from services.catalog.structures.models import Structure
from services.common.identity import Principal, Role, sign_identity
from tests.catalog.api_support import STAFF, CatalogApi, identity

_used: set[int] = set()
_accounts = itertools.count(1)


def fresh_structure(api: CatalogApi) -> Structure:
    """An active SIAE alone with its SIRET, not used by another test of this module."""
    with Session(api.engine) as session:
        shared = (
            select(Structure.siret)
            .where(col(Structure.siret).is_not(None))
            .group_by(Structure.siret)
            .having(func.count() > 1)
        )
        for structure in session.exec(
            select(Structure)
            .where(col(Structure.is_active), col(Structure.import_key).startswith("siae:"))
            .where(col(Structure.siret).not_in(shared))
            .order_by(col(Structure.id))
        ):
            if structure.id not in _used:
                _used.add(structure.id or 0)
                return structure
    raise AssertionError("no structure left")


def account() -> str:
    return f"manager-{next(_accounts)}"


def make_admin(api: CatalogApi, structure: Structure) -> Mapping[str, str]:
    """Claims a structure without contact address; staff approve."""
    who = identity(account())
    claim = api.client.post("/v1/claims", json={"siret": structure.siret}, headers=who)
    assert claim.status_code == 201, claim.text
    assert claim.json()["kind"] == "staff_review"
    accepted = api.client.post(f"/v1/claims/{claim.json()['id']}/accept", headers=STAFF)
    assert accepted.status_code == 200, accepted.text
    return who


@pytest.fixture
def owned(catalog_api: CatalogApi) -> Iterator[tuple[Structure, Mapping[str, str]]]:
    structure = fresh_structure(catalog_api)
    yield structure, make_admin(catalog_api, structure)


def test_claim_by_code_sent_to_the_registered_address(catalog_api: CatalogApi) -> None:
    api, structure = catalog_api, fresh_structure(catalog_api)
    path = f"/v1/structures/{structure.id}"
    assert api.patch(path, {"contact_email": "direction@structure.fr"}, STAFF).status_code == 200
    claimant = identity(account())
    claim = api.client.post("/v1/claims", json={"siret": structure.siret}, headers=claimant)
    assert claim.status_code == 201
    body = claim.json()
    assert body["kind"] == "verification" and body["status"] == "pending"
    assert body["code_sent_to"] == "d***@structure.fr"
    code = api.code_sent_to("direction@structure.fr")
    assert code not in claim.text

    verify = f"/v1/claims/{body['id']}/verify"
    wrong = "000000" if code != "000000" else "111111"
    first = api.client.post(verify, json={"code": wrong}, headers=claimant)
    second = api.client.post(verify, json={"code": wrong}, headers=claimant)
    assert first.status_code == second.status_code == 422
    assert "4 essai" in first.json()["detail"] and "3 essai" in second.json()["detail"]
    # Another account cannot use the claimant's code.
    assert (
        api.client.post(verify, json={"code": code}, headers=identity(account())).status_code == 404
    )
    ok = api.client.post(verify, json={"code": code}, headers=claimant)
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    members = api.client.get(f"{path}/members", headers=claimant).json()
    assert [(m["role"]) for m in members] == ["admin"]


def test_code_attempts_are_limited(catalog_api: CatalogApi) -> None:
    api, structure = catalog_api, fresh_structure(catalog_api)
    api.patch(f"/v1/structures/{structure.id}", {"contact_email": "x@structure.fr"}, STAFF)
    claimant = identity(account())
    claim_id = api.client.post(
        "/v1/claims", json={"siret": structure.siret}, headers=claimant
    ).json()["id"]
    code = api.code_sent_to("x@structure.fr")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        api.client.post(f"/v1/claims/{claim_id}/verify", json={"code": wrong}, headers=claimant)
    blocked = api.client.post(
        f"/v1/claims/{claim_id}/verify", json={"code": code}, headers=claimant
    )
    assert blocked.status_code == 403
    # « Faites une nouvelle demande » : the new claim replaces the spent one, with a new code.
    again = api.client.post("/v1/claims", json={"siret": structure.siret}, headers=claimant)
    assert again.status_code == 201, again.text
    assert again.json()["id"] != claim_id and again.json()["status"] == "pending"
    mine = {c["id"]: c["status"] for c in api.client.get("/v1/claims", headers=claimant).json()}
    assert mine[claim_id] == "cancelled"
    fresh = api.code_sent_to("x@structure.fr")
    accepted = api.client.post(
        f"/v1/claims/{again.json()['id']}/verify", json={"code": fresh}, headers=claimant
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"


def test_no_first_come_takeover(catalog_api: CatalogApi) -> None:
    api, structure = catalog_api, fresh_structure(catalog_api)
    claimant = identity(account())
    claim = api.client.post("/v1/claims", json={"siret": structure.siret}, headers=claimant).json()
    assert claim["kind"] == "staff_review"
    # The claimant can neither edit nor approve their own claim.
    assert api.patch(f"/v1/structures/{structure.id}", {"brand": "X"}, claimant).status_code == 403
    assert api.client.post(f"/v1/claims/{claim['id']}/accept", headers=claimant).status_code == 403
    again = api.client.post("/v1/claims", json={"siret": structure.siret}, headers=claimant)
    assert again.status_code == 409


def test_join_request_decided_by_an_admin(
    catalog_api: CatalogApi, owned: tuple[Structure, Mapping[str, str]]
) -> None:
    api, (structure, admin) = catalog_api, owned
    newcomer = identity(account())
    claim = api.client.post("/v1/claims", json={"siret": structure.siret}, headers=newcomer).json()
    assert claim["kind"] == "join"
    assert api.client.post(f"/v1/claims/{claim['id']}/accept", headers=newcomer).status_code == 403
    pending = api.client.get(
        "/v1/claims", params={"structure_id": structure.id}, headers=admin
    ).json()
    assert claim["id"] in [c["id"] for c in pending]
    accepted = api.client.post(f"/v1/claims/{claim['id']}/accept", headers=admin)
    assert accepted.status_code == 200
    roles = {
        m["account_id"]: m["role"]
        for m in api.client.get(f"/v1/structures/{structure.id}/members", headers=admin).json()
    }
    assert sorted(roles.values()) == ["admin", "editor"]
    # The editor edits the listing, but does not manage managers nor decide claims.
    assert (
        api.patch(
            f"/v1/structures/{structure.id}", {"brand": "Nouvelle enseigne"}, newcomer
        ).status_code
        == 200
    )
    admin_id = next(a for a, r in roles.items() if r == "admin")
    demote = api.client.patch(
        f"/v1/structures/{structure.id}/members/{admin_id}",
        json={"role": "editor"},
        headers=newcomer,
    )
    assert demote.status_code == 403
    # The last admin cannot be demoted, even by themself.
    assert (
        api.client.patch(
            f"/v1/structures/{structure.id}/members/{admin_id}",
            json={"role": "editor"},
            headers=admin,
        ).status_code
        == 409
    )
    subjects = [m["Subject"] for m in api.deliver_mail()]
    assert any("acceptée" in s for s in subjects)


def test_refused_join_grants_nothing(
    catalog_api: CatalogApi, owned: tuple[Structure, Mapping[str, str]]
) -> None:
    api, (structure, admin) = catalog_api, owned
    newcomer = identity(account())
    claim = api.client.post("/v1/claims", json={"siret": structure.siret}, headers=newcomer).json()
    refused = api.client.post(
        f"/v1/claims/{claim['id']}/refuse", json={"reason": "Inconnu"}, headers=admin
    )
    assert refused.status_code == 200 and refused.json()["status"] == "refused"
    assert api.patch(f"/v1/structures/{structure.id}", {"brand": "X"}, newcomer).status_code == 403
    assert api.client.post(f"/v1/claims/{claim['id']}/accept", headers=admin).status_code == 409


def test_manager_of_a_cannot_touch_b(catalog_api: CatalogApi) -> None:
    api = catalog_api
    a, b = fresh_structure(api), fresh_structure(api)
    manager_a = make_admin(api, a)
    make_admin(api, b)
    b_path = f"/v1/structures/{b.id}"
    assert api.patch(b_path, {"brand": "Pris"}, manager_a).status_code == 403
    assert (
        api.client.post(
            f"{b_path}/activities",
            json={
                "sector": "nettoyage-de-locaux-16",
                "presta_types": ["PREST"],
                "range": "country",
            },
            headers=manager_a,
        ).status_code
        == 403
    )
    assert (
        api.client.post(
            f"{b_path}/offers",
            json={"title": "x", "sector": "nettoyage-de-locaux-16", "presta_type": "PREST"},
            headers=manager_a,
        ).status_code
        == 403
    )
    assert api.client.get(f"{b_path}/members", headers=manager_a).status_code == 403
    assert api.client.get(f"{b_path}/audit", headers=manager_a).status_code == 403
    assert (
        api.client.get("/v1/claims", params={"structure_id": b.id}, headers=manager_a).status_code
        == 403
    )
    # Staff may.
    assert api.patch(b_path, {"brand": "Corrigé par l'équipe"}, STAFF).status_code == 200


@pytest.mark.parametrize("role", [Role.PUBLIC_BUYER, Role.PRIVATE_BUYER])
def test_buyers_do_not_edit_listings(
    catalog_api: CatalogApi, owned: tuple[Structure, Mapping[str, str]], role: Role
) -> None:
    structure, _ = owned
    assert (
        catalog_api.patch(
            f"/v1/structures/{structure.id}", {"brand": "X"}, identity("buyer-1", role)
        ).status_code
        == 403
    )


def test_identities_that_are_refused(
    catalog_api: CatalogApi, owned: tuple[Structure, Mapping[str, str]]
) -> None:
    api, (structure, admin) = catalog_api, owned
    path = f"/v1/structures/{structure.id}"
    etag = api.etag(path)
    assert (
        api.client.patch(path, json={"brand": "X"}, headers={"If-Match": etag}).status_code == 401
    )
    forged = identity("staff-1", Role.STAFF, secret="not-the-gateway-secret")
    assert api.patch(path, {"brand": "X"}, forged).status_code == 401
    expired = {
        "x-mi-identity": sign_identity(
            Principal("staff-1", Role.STAFF), "test-identity-secret-0123456789", now=0
        )
    }
    response = api.patch(path, {"brand": "X"}, expired)
    assert response.status_code == 401 and "expirée" in response.json()["detail"]
    signed = admin["x-mi-identity"]
    tampered = signed[:-2] + ("AA" if not signed.endswith("AA") else "BB")
    assert api.patch(path, {"brand": "X"}, {"x-mi-identity": tampered}).status_code == 401


def test_staff_only_fields(
    catalog_api: CatalogApi, owned: tuple[Structure, Mapping[str, str]]
) -> None:
    api, (structure, admin) = catalog_api, owned
    path = f"/v1/structures/{structure.id}"
    for field, value in [
        ("name", "Autre"),
        ("kind", "EA"),
        ("contact_email", "a@b.fr"),
        ("is_active", False),
    ]:
        response = api.patch(path, {field: value}, admin)
        assert response.status_code == 403 and field in response.json()["detail"]
    assert api.patch(path, {"kind": "EA"}, STAFF).json()["family"] == "handicap"
