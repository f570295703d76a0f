"""Every route of the public API that names an object by its id, attacked by a caller who has a
right to the same kind of object, not to that one: a manager of structure A against structure B,
a buyer against another buyer's need, an account against another account's API key. The list of
such routes comes from the merged OpenAPI document, so that a new one without an attack here
makes `test_every_id_bearing_route_is_attacked` fail.

The 14 route classes × 8 callers of tests/e2e/test_authorization_matrix.py check roles and
credentials on one structure; this module checks ownership, object by object."""

from __future__ import annotations

import email
import email.policy
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from PIL import Image

from services.common.identity import Principal, Role, sign_identity
from services.sourcing.needs.links import make_token
from tests.e2e.test_accounts import NEED, _account
from tests.e2e.test_services import System
from tests.security.conftest import IDENTITY_SECRET
from tests.sourcing.projects_support import project_input, siret
from tests.support import wait_until

Headers = dict[str, str]


@dataclass
class World:
    """Two managed structures with their activities and offers, two buyers with their needs
    and keys, a pending claim, and the staff."""

    system: System
    staff: Headers
    manager_a: Headers
    manager_b: Headers
    joiner: Headers
    buyer_1: Headers
    buyer_2: Headers
    buyer_1_email: str
    structure_a: int
    structure_b: int
    account_a: str
    account_b: str
    activity_a: dict[str, Any]
    offer_a: dict[str, Any]
    need_1: int
    need_2: int
    key_1: dict[str, Any]
    key_2: dict[str, Any]
    join_claim: int
    proof_claim: int
    proof_claimant: Headers
    proof: bytes
    private_address: str
    unmatched_structure: int


def bearer(tokens: dict[str, Any]) -> Headers:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def _claim(system: System, headers: Headers, structure: dict[str, Any]) -> dict[str, Any]:
    claim = system.post(
        "/api/v1/claims", {"siret": structure["siret"], "structure_id": structure["id"]}, headers
    )
    assert claim.status_code == 201, claim.text
    return dict(claim.json())


def _manager_of(system: System, staff: Headers, structure: dict[str, Any]) -> Headers:
    """A supplier manager whose claim the staff accepted: the structure's administrator."""
    _, tokens = _account(system, "supplier_manager")
    headers = bearer(tokens)
    claim = _claim(system, headers, structure)
    accepted = system.post(f"/api/v1/claims/{claim['id']}/accept", {}, staff)
    assert accepted.status_code == 200, accepted.text
    return headers


# A claim's proof as a claimant sends it: a PDF of 2 Mio, more than other bodies may weigh.
PROOF = b"%PDF-1.7\n" + b"%" * (2 * 1024 * 1024) + b"\n%%EOF\n"


def _proof_claim(system: System, matched: set[int]) -> tuple[int, Headers]:
    """A pending claim on a structure with no manager and no contact address, with its proof
    uploaded through the gateway by the claimant."""
    _, tokens = _account(system, "supplier_manager")
    claimant = bearer(tokens)
    hits = system.get("/api/v1/search", params={"kind": "EI", "department": "13"}).json()["hits"]
    target = _structure(system, next(h["id"] for h in hits if h["id"] not in matched))
    claim = _claim(system, claimant, target)
    assert claim["kind"] == "staff_review", claim
    uploaded = httpx.put(
        f"{system.gateway.url}/api/v1/claims/{claim['id']}/proof",
        content=PROOF,
        headers={**claimant, "content-type": "application/pdf"},
        timeout=30,
    )
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["proof"]["size"] == len(PROOF)
    return int(claim["id"]), claimant


def published_need(system: System, buyer: Headers) -> int:
    """A need of the buyer, published (and so matched)."""
    need = system.post("/api/v1/needs", NEED, buyer)
    assert need.status_code == 201, need.text
    if need.json()["status"] != "published":
        published = system.post(f"/api/v1/needs/{need.json()['id']}/publish", {}, buyer)
        assert published.status_code == 200, published.text
    return int(need.json()["id"])


def _structure(system: System, structure_id: int) -> dict[str, Any]:
    found = system.get(f"/api/v1/structures/{structure_id}")
    assert found.status_code == 200, found.text
    return {**found.json(), "etag": found.headers["etag"]}


@pytest.fixture(scope="module")
def world(secure_system: System, staff: Headers) -> World:
    system = secure_system
    buyer_1_email, tokens_1 = _account(system, "public_buyer")
    _, tokens_2 = _account(system, "private_buyer")
    buyer_1, buyer_2 = bearer(tokens_1), bearer(tokens_2)
    need_1_id, need_2_id = published_need(system, buyer_1), published_need(system, buyer_2)
    matches = system.get(f"/api/v1/needs/{need_1_id}/matches", headers=buyer_1).json()
    assert len(matches) >= 2, matches
    # A and B are structures the need was sent to: their managers may see it, others not.
    a = _structure(system, matches[0]["structure_id"])
    b = _structure(system, matches[1]["structure_id"])
    manager_a = _manager_of(system, staff, a)
    manager_b = _manager_of(system, staff, b)
    members_a = system.get(f"/api/v1/structures/{a['id']}/members", headers=manager_a).json()
    members_b = system.get(f"/api/v1/structures/{b['id']}/members", headers=manager_b).json()
    # The verification address of A, set by the staff: private, never shown to anyone.
    private_address = "adresse-privee-verification@structure-a.example"
    patched = system.patch(
        f"/api/v1/structures/{a['id']}",
        {"contact_email": private_address},
        {**staff, "If-Match": _structure(system, a["id"])["etag"]},
    )
    assert patched.status_code == 200, patched.text
    activity = system.post(
        f"/api/v1/structures/{a['id']}/activities",
        {"sector": "nettoyage-de-locaux-16", "presta_types": ["PREST"], "range": "country"},
        manager_a,
    )
    assert activity.status_code == 201, activity.text
    offer = system.post(
        f"/api/v1/structures/{a['id']}/offers",
        {
            "title": "Nettoyage de bureaux",
            "sector": "nettoyage-de-locaux-16",
            "presta_type": "PREST",
        },
        manager_a,
    )
    assert offer.status_code == 201, offer.text
    _, joiner_tokens = _account(system, "supplier_manager")
    joiner = bearer(joiner_tokens)
    join_claim = _claim(system, joiner, b)
    assert join_claim["kind"] == "join"
    keys = [
        system.post(
            "/api/v1/keys", {"name": "outil", "scopes": ["needs:read", "needs:write"]}, buyer
        ).json()
        for buyer in (buyer_1, buyer_2)
    ]
    matched = {m["structure_id"] for m in matches}
    proof_claim, proof_claimant = _proof_claim(system, matched)
    unmatched = next(
        hit["id"]
        for hit in system.get("/api/v1/search", params={"kind": "ESAT", "department": "13"}).json()[
            "hits"
        ]
        if hit["id"] not in matched
    )
    return World(
        system=system,
        staff=staff,
        manager_a=manager_a,
        manager_b=manager_b,
        joiner=joiner,
        buyer_1=buyer_1,
        buyer_2=buyer_2,
        buyer_1_email=buyer_1_email,
        structure_a=a["id"],
        structure_b=b["id"],
        account_a=members_a[0]["account_id"],
        account_b=members_b[0]["account_id"],
        activity_a={**activity.json(), "etag": activity.headers.get("etag", '"v1"')},
        offer_a={**offer.json(), "etag": offer.headers.get("etag", '"v1"')},
        need_1=need_1_id,
        need_2=need_2_id,
        key_1=keys[0],
        key_2=keys[1],
        join_claim=join_claim["id"],
        proof_claim=proof_claim,
        proof_claimant=proof_claimant,
        proof=PROOF,
        private_address=private_address,
        unmatched_structure=unmatched,
    )


def _refused(response: httpx.Response, allowed: tuple[int, ...] = (403, 404)) -> None:
    assert response.status_code in allowed, (response.status_code, response.text)
    assert response.headers["content-type"] == "application/problem+json"


def _send(
    world: World, method: str, path: str, headers: Headers, body: object = None
) -> httpx.Response:
    return httpx.request(
        method,
        world.system.gateway.url + path,
        json=body if method != "GET" else None,
        headers=headers,
        timeout=15,
    )


# --- structures, activities, offers, members, audit (catalog) ---------------------------------


def _structure_fields_unchanged(world: World, before: dict[str, Any]) -> None:
    after = _structure(world.system, before["id"])
    assert after["version"] == before["version"] and after["brand"] == before["brand"]


def attack_structure_read(world: World) -> None:
    """The public listing of A, read by anyone, shows nothing private."""
    for headers in ({}, world.manager_b, world.buyer_1):
        page = _send(world, "GET", f"/api/v1/structures/{world.structure_a}", headers)
        assert page.status_code == 200
        assert world.private_address not in page.text and "contact_email" not in page.json()
    siret = _structure(world.system, world.structure_a)["siret"]
    for path in (f"/api/v1/search?q={siret}", f"/api/v1/search/export?q={siret}&format=csv"):
        found = _send(world, "GET", path, {})
        assert found.status_code == 200 and siret in found.text
        assert world.private_address not in found.text


def attack_structure_patch(world: World) -> None:
    before = _structure(world.system, world.structure_a)
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        _refused(
            _send(
                world,
                "PATCH",
                f"/api/v1/structures/{world.structure_a}",
                {**headers, "If-Match": before["etag"]},
                {"brand": "Détournée"},
            )
        )
    _structure_fields_unchanged(world, before)


def attack_structure_page(world: World) -> None:
    """B's manager sees A's public page, without the needs sent to A nor its managers."""
    page = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/page", world.manager_b)
    assert page.status_code == 200, page.text
    assert page.json().get("open_needs") is None
    assert world.account_a not in page.text and world.private_address not in page.text
    own = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/page", world.manager_a)
    assert own.status_code == 200 and own.json()["open_needs"], own.text
    # The need, for the structure it was sent to, without the buyer's contact.
    assert world.buyer_1_email not in own.text and world.private_address not in own.text


def attack_list_activities(world: World) -> None:
    listed = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/activities", {})
    assert listed.status_code == 200 and world.private_address not in listed.text


def attack_create_activity(world: World) -> None:
    before = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/activities", {}).json()
    _refused(
        _send(
            world,
            "POST",
            f"/api/v1/structures/{world.structure_a}/activities",
            world.manager_b,
            {"sector": "nettoyage-de-locaux-16", "presta_types": ["PREST"], "range": "country"},
        )
    )
    after = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/activities", {}).json()
    assert len(after) == len(before)


def _activity_paths(world: World, suffix: str = "") -> list[tuple[str, Headers]]:
    """A's activity through A (as B's manager) and through B (B's manager, own structure)."""
    activity = world.activity_a["id"]
    return [
        (f"/api/v1/structures/{world.structure_a}/activities/{activity}{suffix}", world.manager_b),
        (f"/api/v1/structures/{world.structure_b}/activities/{activity}{suffix}", world.manager_b),
        (f"/api/v1/structures/{world.structure_a}/activities/{activity}{suffix}", world.buyer_1),
    ]


def _activity_unchanged(world: World) -> None:
    listed = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/activities", {}).json()
    mine = [a for a in listed if a["id"] == world.activity_a["id"]]
    assert mine and mine[0]["version"] == world.activity_a["version"]


def attack_patch_activity(world: World) -> None:
    for path, headers in _activity_paths(world):
        _refused(
            _send(
                world,
                "PATCH",
                path,
                {**headers, "If-Match": world.activity_a["etag"]},
                {"range": "department"},
            ),
            (403, 404, 422),
        )
    _activity_unchanged(world)


def attack_delete_activity(world: World) -> None:
    for path, headers in _activity_paths(world):
        _refused(_send(world, "DELETE", path, {**headers, "If-Match": world.activity_a["etag"]}))
    _activity_unchanged(world)


def attack_confirm_activity(world: World) -> None:
    for path, headers in _activity_paths(world, "/confirm"):
        _refused(
            _send(world, "POST", path, {**headers, "If-Match": world.activity_a["etag"]}, {}),
            (403, 404, 409),
        )
    _activity_unchanged(world)


def attack_list_offers(world: World) -> None:
    listed = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/offers", world.manager_b)
    assert listed.status_code == 200 and world.private_address not in listed.text


def _offers_of_a(world: World) -> list[dict[str, Any]]:
    listed = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/offers", world.manager_a)
    return list(listed.json())


def attack_create_offer(world: World) -> None:
    before = _offers_of_a(world)
    _refused(
        _send(
            world,
            "POST",
            f"/api/v1/structures/{world.structure_a}/offers",
            world.manager_b,
            {"title": "Intrus", "sector": "nettoyage-de-locaux-16", "presta_type": "PREST"},
        )
    )
    assert _offers_of_a(world) == before


def _offer_paths(world: World) -> list[tuple[str, Headers]]:
    offer = world.offer_a["id"]
    return [
        (f"/api/v1/structures/{world.structure_a}/offers/{offer}", world.manager_b),
        (f"/api/v1/structures/{world.structure_b}/offers/{offer}", world.manager_b),
        (f"/api/v1/structures/{world.structure_a}/offers/{offer}", world.joiner),
    ]


def attack_patch_offer(world: World) -> None:
    before = _offers_of_a(world)
    for path, headers in _offer_paths(world):
        _refused(
            _send(
                world,
                "PATCH",
                path,
                {**headers, "If-Match": world.offer_a["etag"]},
                {"title": "Détournée"},
            )
        )
    assert _offers_of_a(world) == before


def attack_delete_offer(world: World) -> None:
    before = _offers_of_a(world)
    for path, headers in _offer_paths(world):
        _refused(_send(world, "DELETE", path, {**headers, "If-Match": world.offer_a["etag"]}))
    assert _offers_of_a(world) == before


def attack_audit(world: World) -> None:
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        _refused(_send(world, "GET", f"/api/v1/structures/{world.structure_a}/audit", headers))
    own = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/audit", world.manager_a)
    assert own.status_code == 200 and own.json()
    # The staff's change of the verification address is in A's history, not the address.
    assert world.private_address not in own.text


def attack_members(world: World) -> None:
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        refused = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/members", headers)
        _refused(refused)
        assert world.account_a not in refused.text


def _members_unchanged(world: World) -> None:
    for structure, account, headers in (
        (world.structure_a, world.account_a, world.manager_a),
        (world.structure_b, world.account_b, world.manager_b),
    ):
        members = _send(world, "GET", f"/api/v1/structures/{structure}/members", headers).json()
        assert [(m["account_id"], m["role"]) for m in members] == [(account, "admin")]


def attack_patch_member(world: World) -> None:
    attempts = [
        (world.structure_a, world.account_a, world.manager_b),  # another structure's admin
        (world.structure_b, world.account_a, world.manager_b),  # A's admin through B
        (world.structure_a, world.account_a, world.joiner),
    ]
    for structure, account, headers in attempts:
        _refused(
            _send(
                world,
                "PATCH",
                f"/api/v1/structures/{structure}/members/{account}",
                {**headers, "If-Match": '"v1"'},
                {"role": "editor"},
            ),
            (403, 404, 409),
        )
    _members_unchanged(world)


def attack_delete_member(world: World) -> None:
    attempts = [
        (world.structure_a, world.account_a, world.manager_b),
        (world.structure_b, world.account_a, world.manager_b),
        (world.structure_a, world.account_a, world.joiner),
        (world.structure_b, world.account_b, world.buyer_1),
    ]
    for structure, account, headers in attempts:
        _refused(
            _send(
                world,
                "DELETE",
                f"/api/v1/structures/{structure}/members/{account}",
                {**headers, "If-Match": '"v1"'},
            ),
            (403, 404, 409),
        )
    _members_unchanged(world)


# --- claims ------------------------------------------------------------------------------------


def _claim_still_pending(world: World) -> None:
    mine = _send(world, "GET", "/api/v1/claims", world.joiner).json()
    assert [c["status"] for c in mine if c["id"] == world.join_claim] == ["pending"]
    # B's claims (with the claimants' addresses) are for B's admins only.
    for headers in (world.manager_a, world.joiner):
        listed = _send(world, "GET", f"/api/v1/claims?structure_id={world.structure_b}", headers)
        _refused(listed, (403,))
    others = _send(world, "GET", "/api/v1/claims", world.manager_a).json()
    assert world.join_claim not in {c["id"] for c in others}


def _decide(world: World, decision: str) -> None:
    # The claim is to join B: A's admin, the claimant and a buyer may not decide it.
    for headers in (world.manager_a, world.joiner, world.buyer_1):
        _refused(_send(world, "POST", f"/api/v1/claims/{world.join_claim}/{decision}", headers, {}))
    _claim_still_pending(world)


def attack_accept_claim(world: World) -> None:
    _decide(world, "accept")


def attack_refuse_claim(world: World) -> None:
    _decide(world, "refuse")


def attack_verify_claim(world: World) -> None:
    """Somebody else's claim does not exist for you, whatever the code."""
    for code in ("000000", "123456", "999999"):
        _refused(
            _send(
                world,
                "POST",
                f"/api/v1/claims/{world.join_claim}/verify",
                world.manager_a,
                {"code": code},
            ),
            (404,),
        )
    _claim_still_pending(world)


def _proof_path(world: World) -> str:
    return f"/api/v1/claims/{world.proof_claim}/proof"


def _proof_unchanged(world: World) -> None:
    """Still the claimant's document, and the claim still waits in the staff's queue."""
    for headers in (world.proof_claimant, world.staff):
        read = _send(world, "GET", _proof_path(world), headers)
        assert read.status_code == 200 and read.content == world.proof
        assert read.headers["content-type"] == "application/pdf"
        assert read.headers["content-disposition"].startswith("attachment;")
    queue = _send(world, "GET", "/api/v1/staff/claims?limit=200", world.staff).json()
    waiting = [c for c in queue["items"] if c["id"] == world.proof_claim]
    assert waiting and waiting[0]["proof"]["size"] == len(world.proof)
    for headers in (world.manager_a, world.proof_claimant, world.buyer_1):
        _refused(_send(world, "GET", "/api/v1/staff/claims", headers), (403,))


def attack_read_proof(world: World) -> None:
    """Another claimant's document: for that claimant and the staff, nobody else."""
    for headers in (world.manager_a, world.joiner, world.buyer_1, {}):
        refused = _send(world, "GET", _proof_path(world), headers)
        _refused(refused, (401, 403, 404))
        assert b"%PDF" not in refused.content
    _proof_unchanged(world)


def attack_put_proof(world: World) -> None:
    """Nobody but the claimant replaces the proof, the staff included."""
    forged = b"%PDF-1.4\nfaux\n%%EOF\n"
    for headers in (world.manager_a, world.joiner, world.buyer_1, world.staff):
        refused = httpx.put(
            world.system.gateway.url + _proof_path(world),
            content=forged,
            headers={**headers, "content-type": "application/pdf"},
            timeout=15,
        )
        _refused(refused)
    _proof_unchanged(world)


# --- logos and photos (catalog) -----------------------------------------------------------------


def _image() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (30, 110, 60)).save(out, format="PNG")
    return out.getvalue()


def _upload(world: World, method: str, path: str, headers: Headers) -> httpx.Response:
    return httpx.request(
        method,
        world.system.gateway.url + path,
        content=_image(),
        headers={**headers, "content-type": "image/png"},
        timeout=15,
    )


def _images_of_a(world: World) -> dict[str, Any]:
    read = _structure(world.system, world.structure_a)
    return {
        "logo": read["logo"],
        "photos": read["photos"],
        "offers": [o["photos"] for o in _offers_of_a(world)],
    }


def _own_upload(world: World, method: str, path: str) -> dict[str, Any]:
    made = _upload(world, method, path, world.manager_a)
    assert made.status_code in (200, 201), made.text
    return dict(made.json())


def _strangers_of_a(world: World) -> tuple[Headers, ...]:
    return (world.manager_b, world.joiner, world.buyer_1)


def attack_put_logo(world: World) -> None:
    before = _images_of_a(world)
    for headers in _strangers_of_a(world):
        _refused(_upload(world, "PUT", f"/api/v1/structures/{world.structure_a}/logo", headers))
    assert _images_of_a(world) == before


def attack_delete_logo(world: World) -> None:
    _own_upload(world, "PUT", f"/api/v1/structures/{world.structure_a}/logo")
    before = _images_of_a(world)
    for who, headers in zip(
        ("manager_b", "joiner", "buyer_1"), _strangers_of_a(world), strict=True
    ):
        refused = _send(world, "DELETE", f"/api/v1/structures/{world.structure_a}/logo", headers)
        assert refused.status_code in (403, 404), (who, refused.status_code, _images_of_a(world))
        _refused(refused)
    assert _images_of_a(world) == before


def attack_add_photo(world: World) -> None:
    before = _images_of_a(world)
    for headers in _strangers_of_a(world):
        _refused(_upload(world, "POST", f"/api/v1/structures/{world.structure_a}/photos", headers))
    assert _images_of_a(world) == before


def _photo_paths(world: World, photo: str) -> list[tuple[str, Headers]]:
    return [
        (f"/api/v1/structures/{world.structure_a}/photos/{photo}", world.manager_b),
        (f"/api/v1/structures/{world.structure_b}/photos/{photo}", world.manager_b),
        (f"/api/v1/structures/{world.structure_a}/photos/{photo}", world.joiner),
        (f"/api/v1/structures/{world.structure_a}/photos/{photo}", world.buyer_1),
    ]


def attack_patch_photo(world: World) -> None:
    photo = _own_upload(world, "POST", f"/api/v1/structures/{world.structure_a}/photos")
    before = _images_of_a(world)
    for path, headers in _photo_paths(world, photo["id"]):
        _refused(_send(world, "PATCH", path, headers, {"alt": "Détournée"}))
    assert _images_of_a(world) == before


def attack_delete_photo(world: World) -> None:
    photo = _own_upload(world, "POST", f"/api/v1/structures/{world.structure_a}/photos")
    before = _images_of_a(world)
    for path, headers in _photo_paths(world, photo["id"]):
        _refused(_send(world, "DELETE", path, headers))
    assert _images_of_a(world) == before
    assert _send(world, "GET", photo["url"], {}).status_code == 200


def _offer_photos_paths(world: World) -> list[tuple[str, Headers]]:
    offer = world.offer_a["id"]
    return [
        (f"/api/v1/structures/{world.structure_a}/offers/{offer}/photos", world.manager_b),
        (f"/api/v1/structures/{world.structure_b}/offers/{offer}/photos", world.manager_b),
        (f"/api/v1/structures/{world.structure_a}/offers/{offer}/photos", world.joiner),
    ]


def attack_add_offer_photo(world: World) -> None:
    before = _images_of_a(world)
    for path, headers in _offer_photos_paths(world):
        _refused(_upload(world, "POST", path, headers))
    assert _images_of_a(world) == before


def attack_delete_offer_photo(world: World) -> None:
    own = f"/api/v1/structures/{world.structure_a}/offers/{world.offer_a['id']}/photos"
    photo = _own_upload(world, "POST", own)
    before = _images_of_a(world)
    for path, headers in _offer_photos_paths(world):
        _refused(_send(world, "DELETE", f"{path}/{photo['id']}", headers))
    assert _images_of_a(world) == before


def attack_read_media(world: World) -> None:
    """Images are public, by an unguessable id, and show only their pixels; none for an id
    that is not one, nor for a delisted structure's."""
    photo = _own_upload(world, "POST", f"/api/v1/structures/{world.structure_a}/photos")
    for headers in ({}, world.manager_b, world.buyer_1):
        read = _send(world, "GET", photo["url"], headers)
        assert read.status_code == 200 and read.headers["content-type"] == "image/jpeg"
        assert world.private_address.encode() not in read.content
    _refused(_send(world, "GET", "/api/v1/media/" + "0" * 24, {}), (404,))
    _refused(_send(world, "GET", f"/api/v1/media/{world.structure_a}", {}), (404, 422))


# --- needs, matches, answers (sourcing) --------------------------------------------------------


def _need_status(world: World, need: int, owner: Headers) -> str:
    return str(_send(world, "GET", f"/api/v1/needs/{need}", owner).json()["status"])


def attack_read_need(world: World) -> None:
    for headers in (world.buyer_2, {"X-Api-Key": world.key_2["key"]}):
        _refused(_send(world, "GET", f"/api/v1/needs/{world.need_1}", headers), (404,))
    _refused(_send(world, "GET", f"/api/v1/needs/{world.need_1}", world.manager_a), (403,))
    listed = _send(world, "GET", "/api/v1/needs", world.buyer_2).json()
    assert world.need_1 not in {n["id"] for n in listed}


def _need_transition(world: World, action: str) -> None:
    before = _need_status(world, world.need_1, world.buyer_1)
    for headers in (world.buyer_2, {"X-Api-Key": world.key_2["key"]}, world.manager_a):
        _refused(_send(world, "POST", f"/api/v1/needs/{world.need_1}/{action}", headers, {}))
    assert _need_status(world, world.need_1, world.buyer_1) == before == "published"


def attack_publish_need(world: World) -> None:
    _need_transition(world, "publish")


def attack_close_need(world: World) -> None:
    _need_transition(world, "close")


def attack_cancel_need(world: World) -> None:
    _need_transition(world, "cancel")


def attack_need_matches(world: World) -> None:
    for headers in (world.buyer_2, world.manager_a):
        _refused(_send(world, "GET", f"/api/v1/needs/{world.need_1}/matches", headers))


def attack_read_reminder(world: World) -> None:
    """Whether a need can be reminded is its buyer's to know."""
    for headers in (world.buyer_2, world.manager_a):
        _refused(_send(world, "GET", f"/api/v1/needs/{world.need_1}/remind", headers))


def attack_remind_need(world: World) -> None:
    """Another buyer (by session or key) or a manager cannot remind a need's structures."""
    for headers in (world.buyer_2, {"X-Api-Key": world.key_2["key"]}, world.manager_a):
        _refused(_send(world, "POST", f"/api/v1/needs/{world.need_1}/remind", headers, {}))


def attack_need_answers(world: World) -> None:
    for path in (
        f"/api/v1/needs/{world.need_1}/answers",
        f"/api/v1/needs/{world.need_1}/answers?format=csv",
    ):
        for headers in (world.buyer_2, world.manager_a):
            _refused(_send(world, "GET", path, headers))


def attack_structure_needs(world: World) -> None:
    """The needs sent to A are for A's managers: B's manager, a buyer and a joiner still waiting
    are refused; A's manager reads them."""
    path = f"/api/v1/structures/{world.structure_a}/needs"
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        refused = _send(world, "GET", path, headers)
        _refused(refused)
        assert world.buyer_1_email not in refused.text
    own = _send(world, "GET", path, world.manager_a)
    assert own.status_code == 200 and world.need_1 in {n["need_id"] for n in own.json()}


def attack_structure_open_needs(world: World) -> None:
    """The needs A missed are for A's managers: B's manager, a joiner still waiting and a buyer
    are refused, and nothing of a buyer shows even to A's manager."""
    path = f"/api/v1/structures/{world.structure_a}/open-needs"
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        _refused(_send(world, "GET", path, headers))
    own = _send(world, "GET", path, world.manager_a)
    assert own.status_code == 200 and world.buyer_1_email not in own.text


def attack_structure_views(world: World) -> None:
    """A's audience figures are for A's managers and staff."""
    path = f"/api/v1/structures/{world.structure_a}/views"
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        _refused(_send(world, "GET", path, headers))
    assert _send(world, "GET", path, world.manager_a).status_code == 200
    assert _send(world, "GET", path, world.staff).status_code == 200


def attack_reject_need(world: World) -> None:
    """Only staff send a need back: neither another buyer, its own buyer nor a manager."""
    for headers in (world.buyer_2, world.buyer_1, world.manager_a):
        _refused(
            _send(world, "POST", f"/api/v1/needs/{world.need_1}/reject", headers, {"reason": "x"})
        )


def attack_structure_need(world: World) -> None:
    path = f"/api/v1/structures/{world.structure_a}/needs/{world.need_1}"
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        _refused(_send(world, "GET", path, headers))
    own = _send(world, "GET", path, world.manager_a)
    assert own.status_code == 200 and world.buyer_1_email not in own.text


def attack_structure_need_answer(world: World) -> None:
    path = f"/api/v1/structures/{world.structure_a}/needs/{world.need_1}/answer"
    answers = f"/api/v1/needs/{world.need_1}/answers"
    before = _send(world, "GET", answers, world.buyer_1).json()
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        body = {"status": "not_interested", "reason": "Réponse détournée"}
        _refused(_send(world, "POST", path, headers, body))
    assert _send(world, "GET", answers, world.buyer_1).json() == before


def attack_patch_need(world: World) -> None:
    before = _send(world, "GET", f"/api/v1/needs/{world.need_1}", world.buyer_1)
    for headers in (world.buyer_2, {"X-Api-Key": world.key_2["key"]}, world.manager_a):
        _refused(
            _send(
                world,
                "PATCH",
                f"/api/v1/needs/{world.need_1}",
                {**headers, "If-Match": before.headers["etag"]},
                {"title": "Détourné"},
            )
        )
    after = _send(world, "GET", f"/api/v1/needs/{world.need_1}", world.buyer_1)
    assert after.json()["title"] == before.json()["title"]
    assert after.headers["etag"] == before.headers["etag"]


def _link(world: World, need: int, structure: int, **changes: object) -> str:
    return make_token(IDENTITY_SECRET, need, structure, int(changes.get("ttl", 3600)))


def _tampered_links(world: World) -> dict[str, str]:
    genuine = _link(world, world.need_1, world.structure_a)
    need, structure, expires, mac = genuine.split(".")
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    return {
        "other structure": f"{need}.{world.structure_b}.{expires}.{mac}",
        "other need": f"{world.need_2}.{structure}.{expires}.{mac}",
        "longer life": f"{need}.{structure}.{int(expires) + 86400}.{mac}",
        "flipped signature": f"{need}.{structure}.{expires}.{flipped}",
        "other secret": make_token(
            "not-the-secret-of-the-service", world.need_1, world.structure_a, 3600
        ),
        "no signature": f"{need}.{structure}.{expires}",
        "signature of the identity": sign_identity(Principal("x", Role.STAFF), IDENTITY_SECRET),
    }


def _answer_links(world: World, method: str) -> None:
    body = {"status": "interested", "contact_email": "reponse@structure-a.example"}
    for name, token in _tampered_links(world).items():
        refused = _send(world, method, f"/api/v1/answers/{token}", {}, body)
        assert refused.status_code in (401, 422), (name, refused.status_code, refused.text)
    expired = make_token(
        IDENTITY_SECRET, world.need_1, world.structure_a, 60, now=time.time() - 3600
    )
    assert _send(world, method, f"/api/v1/answers/{expired}", {}, body).status_code == 410
    # Signed by the service, for a structure the need was never sent to: nothing to read.
    unsent = _link(world, world.need_1, world.unmatched_structure)
    assert _send(world, method, f"/api/v1/answers/{unsent}", {}, body).status_code == 404
    genuine = _send(
        world, method, f"/api/v1/answers/{_link(world, world.need_1, world.structure_a)}", {}, body
    )
    assert genuine.status_code == 200, genuine.text
    # What the structure sees: the need, never the buyer's address or account.
    assert world.buyer_1_email not in genuine.text and "buyer" not in genuine.text


def attack_read_answer_link(world: World) -> None:
    _answer_links(world, "GET")


def attack_post_answer_link(world: World) -> None:
    _answer_links(world, "POST")
    # The answer and the address given in it: for the need's buyer, and only for them.
    answers = _send(world, "GET", f"/api/v1/needs/{world.need_1}/answers", world.buyer_1)
    assert "reponse@structure-a.example" in answers.text
    other = _send(world, "GET", f"/api/v1/needs/{world.need_2}/answers", world.buyer_2)
    assert other.status_code == 200 and "reponse@structure-a.example" not in other.text


# --- favourite lists and saved searches (sourcing) ----------------------------------------------


def _intruders(world: World) -> tuple[Headers, ...]:
    return (world.buyer_2, {"X-Api-Key": world.key_2["key"]}, world.manager_a)


def _favourite_list(world: World) -> tuple[str, dict[str, Any]]:
    """A list of buyer 1 holding structure A, and how buyer 1 reads it."""
    created = _send(world, "POST", "/api/v1/favourites", world.buyer_1, {"name": _unique("Liste")})
    assert created.status_code == 201, created.text
    path = f"/api/v1/favourites/{created.json()['id']}"
    added = _send(world, "PUT", f"{path}/structures/{world.structure_a}", world.buyer_1)
    assert added.status_code == 201, added.text
    return path, _send(world, "GET", path, world.buyer_1).json()


def _unique(prefix: str) -> str:
    return f"{prefix} {time.monotonic_ns()}"


def _list_unchanged(world: World, path: str, before: dict[str, Any]) -> None:
    assert _send(world, "GET", path, world.buyer_1).json() == before


def attack_read_favourites(world: World) -> None:
    path, _ = _favourite_list(world)
    for headers in _intruders(world):
        _refused(_send(world, "GET", path, headers))
    listed = _send(world, "GET", "/api/v1/favourites", world.buyer_2).json()
    assert path.rsplit("/", 1)[1] not in {str(row["id"]) for row in listed}


def attack_rename_favourites(world: World) -> None:
    path, before = _favourite_list(world)
    for headers in _intruders(world):
        _refused(_send(world, "PATCH", path, headers, {"name": "Détournée"}))
    _list_unchanged(world, path, before)


def attack_delete_favourites(world: World) -> None:
    path, before = _favourite_list(world)
    for headers in _intruders(world):
        _refused(_send(world, "DELETE", path, headers))
    _list_unchanged(world, path, before)


def attack_add_favourite(world: World) -> None:
    path, before = _favourite_list(world)
    for headers in _intruders(world):
        _refused(_send(world, "PUT", f"{path}/structures/{world.structure_b}", headers))
    _list_unchanged(world, path, before)


def attack_remove_favourite(world: World) -> None:
    path, before = _favourite_list(world)
    for headers in _intruders(world):
        _refused(_send(world, "DELETE", f"{path}/structures/{world.structure_a}", headers))
    _list_unchanged(world, path, before)


def attack_export_favourites(world: World) -> None:
    path, _ = _favourite_list(world)
    for headers in _intruders(world):
        _refused(_send(world, "GET", f"{path}/export", headers))


def _saved_search(world: World) -> tuple[str, dict[str, Any]]:
    created = _send(
        world,
        "POST",
        "/api/v1/saved-searches",
        world.buyer_1,
        {"name": _unique("Recherche"), "params": {"kind": "ESAT"}, "frequency": "weekly"},
    )
    assert created.status_code == 201, created.text
    return f"/api/v1/saved-searches/{created.json()['id']}", created.json()


def attack_read_saved_search(world: World) -> None:
    path, saved = _saved_search(world)
    for headers in _intruders(world):
        _refused(_send(world, "GET", path, headers))
    listed = _send(world, "GET", "/api/v1/saved-searches", world.buyer_2).json()
    assert saved["id"] not in {row["id"] for row in listed}


def attack_patch_saved_search(world: World) -> None:
    path, saved = _saved_search(world)
    for headers in _intruders(world):
        _refused(_send(world, "PATCH", path, headers, {"frequency": "none"}))
    assert _send(world, "GET", path, world.buyer_1).json() == saved


def attack_delete_saved_search(world: World) -> None:
    path, saved = _saved_search(world)
    for headers in _intruders(world):
        _refused(_send(world, "DELETE", path, headers))
    assert _send(world, "GET", path, world.buyer_1).json() == saved


# --- API keys (gateway) ------------------------------------------------------------------------


def _key_works(world: World, key: dict[str, Any]) -> bool:
    return _send(world, "GET", "/api/v1/needs", {"X-Api-Key": key["key"]}).status_code == 200


def attack_rotate_key(world: World) -> None:
    for headers in (world.buyer_2, {"X-Api-Key": world.key_2["key"]}, world.manager_a):
        refused = _send(world, "POST", f"/api/v1/keys/{world.key_1['id']}/rotate", headers, {})
        _refused(refused)
        assert world.key_1["prefix"] not in refused.text
    assert _key_works(world, world.key_1)


def attack_revoke_key(world: World) -> None:
    for headers in (world.buyer_2, world.manager_a, world.staff):
        _refused(_send(world, "DELETE", f"/api/v1/keys/{world.key_1['id']}", headers))
    assert _key_works(world, world.key_1)
    listed = _send(world, "GET", "/api/v1/keys", world.buyer_2).json()
    assert world.key_1["id"] not in {k["id"] for k in listed}


# --- public lookups: no object of anyone, public data only -------------------------------------


def _public_lookup(world: World, path: str) -> None:
    response = _send(world, "GET", path, world.manager_b)
    assert response.status_code in (200, 401, 404), response.text
    assert world.private_address not in response.text and "contact_email" not in response.text


def attack_reference(world: World) -> None:
    _public_lookup(world, "/api/v1/reference/kinds")


def _legacy(world: World, path: str) -> None:
    # The historical API authenticates with an API key (a token of 64+ alphanumerics).
    key = world.key_1["key"]
    response = _send(world, "GET", path, {"Authorization": f"Bearer {key}"})
    assert response.status_code in (200, 404), response.text
    assert world.private_address not in response.text and "contact_email" not in response.text


def _siae(world: World) -> dict[str, Any]:
    return _structure(world.system, world.structure_a)


def attack_legacy_id(world: World) -> None:
    _legacy(world, f"/api/siae/{world.structure_a}/")


def attack_legacy_slug(world: World) -> None:
    _legacy(world, "/api/siae/slug/une-structure-qui-n-existe-pas/")


def attack_legacy_siren(world: World) -> None:
    _legacy(world, f"/api/siae/siren/{_siae(world)['siren']}/")


def attack_legacy_siret(world: World) -> None:
    _legacy(world, f"/api/siae/siret/{_siae(world)['siret']}/")


# --- invitations, indexing, import runs (catalog) ---------------------------------------------


def _invitation_token(world: World, address: str) -> str:
    """The token of the latest invitation e-mailed to `address`."""
    found: list[str] = []

    def arrived() -> bool:
        for path in sorted(world.system.mail_dir.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address and "invitation" in str(message["Subject"]):
                content = message.get_content()  # type: ignore[attr-defined]
                match = re.search(r"/invitations/([A-Za-z0-9_-]{20,})", content)
                if match:
                    found.append(match.group(1))
        return bool(found)

    wait_until(arrived, timeout_s=15)
    return found[-1]


def _invite_to_a(world: World) -> tuple[dict[str, Any], str, Headers]:
    """A genuine invitation of a new account to A, by A's admin: the invitation, its token,
    and the invited account's session."""
    address, tokens = _account(world.system, "supplier_manager")
    sent = _send(
        world,
        "POST",
        f"/api/v1/structures/{world.structure_a}/invitations",
        world.manager_a,
        {"email": address, "role": "editor"},
    )
    assert sent.status_code == 201, sent.text
    return dict(sent.json()), _invitation_token(world, address), bearer(tokens)


def _invitations_of_a(world: World) -> list[dict[str, Any]]:
    listed = _send(
        world, "GET", f"/api/v1/structures/{world.structure_a}/invitations", world.manager_a
    )
    assert listed.status_code == 200, listed.text
    return list(listed.json())


def attack_create_invitation(world: World) -> None:
    before = _invitations_of_a(world)
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        _refused(
            _send(
                world,
                "POST",
                f"/api/v1/structures/{world.structure_a}/invitations",
                headers,
                {"email": "intrus@exemple.fr", "role": "admin"},
            )
        )
    assert _invitations_of_a(world) == before


def attack_list_invitations(world: World) -> None:
    invitation, _, _ = _invite_to_a(world)
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        refused = _send(
            world, "GET", f"/api/v1/structures/{world.structure_a}/invitations", headers
        )
        _refused(refused)
        assert invitation["email"] not in refused.text


def attack_revoke_invitation(world: World) -> None:
    invitation, _, _ = _invite_to_a(world)
    paths = [
        (f"/api/v1/structures/{world.structure_a}/invitations/{invitation['id']}", world.manager_b),
        (f"/api/v1/structures/{world.structure_b}/invitations/{invitation['id']}", world.manager_b),
        (f"/api/v1/structures/{world.structure_a}/invitations/{invitation['id']}", world.buyer_1),
    ]
    for path, headers in paths:
        _refused(_send(world, "DELETE", path, headers))
    assert invitation["id"] in {i["id"] for i in _invitations_of_a(world)}


def attack_read_invitation(world: World) -> None:
    invitation, token, invited = _invite_to_a(world)
    # The token is the secret: someone else's token, or a made-up one, opens nothing.
    unknown = _send(world, "GET", f"/api/v1/invitations/{'B' * 43}", world.manager_b)
    _refused(unknown, (404,))
    anonymous = _send(world, "GET", f"/api/v1/invitations/{token}", {})
    _refused(anonymous, (401,))
    read = _send(world, "GET", f"/api/v1/invitations/{token}", invited)
    assert read.status_code == 200 and read.json()["structure_id"] == world.structure_a
    # The invited address is shown masked only.
    assert invitation["email"] not in read.text


def attack_accept_invitation(world: World) -> None:
    invitation, token, _ = _invite_to_a(world)
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        refused = _send(world, "POST", f"/api/v1/invitations/{token}/accept", headers, {})
        _refused(refused, (403,))
        assert invitation["email"] not in refused.text
    _members_unchanged(world)
    assert invitation["id"] in {i["id"] for i in _invitations_of_a(world)}


def attack_indexing(world: World) -> None:
    for headers in (world.manager_b, world.joiner, world.buyer_1):
        _refused(_send(world, "GET", f"/api/v1/structures/{world.structure_a}/indexing", headers))
    own = _send(world, "GET", f"/api/v1/structures/{world.structure_a}/indexing", world.manager_a)
    assert own.status_code == 200 and "searchable" in own.json()


def attack_import_run(world: World) -> None:
    runs = _send(world, "GET", "/api/v1/staff/imports", world.staff)
    assert runs.status_code == 200 and runs.json(), runs.text
    run_id = runs.json()[0]["id"]
    for headers in (world.manager_a, world.buyer_1, {"X-Api-Key": world.key_1["key"]}):
        _refused(_send(world, "GET", f"/api/v1/staff/imports/{run_id}", headers), (401, 403))
        _refused(_send(world, "GET", "/api/v1/staff/imports", headers), (401, 403))
    assert _send(world, "GET", f"/api/v1/staff/imports/{run_id}", world.staff).status_code == 200


# --- organisations and purchase projects (sourcing) --------------------------------------------


def _organisation(world: World) -> tuple[str, dict[str, Any]]:
    """An organisation of buyer 1, and how buyer 1 reads it."""
    body = {"name": _unique("Ville"), "siret": siret(), "buyer_kind": "collectivite"}
    created = _send(world, "POST", "/api/v1/organisations", world.buyer_1, body)
    assert created.status_code == 201, created.text
    path = f"/api/v1/organisations/{created.json()['id']}"
    return path, _send(world, "GET", path, world.buyer_1).json()


def _project(world: World) -> tuple[str, dict[str, Any]]:
    """A project of buyer 1's organisation, and how buyer 1 reads it."""
    organisation, _ = _organisation(world)
    created = _send(world, "POST", f"{organisation}/projects", world.buyer_1, project_input())
    assert created.status_code == 201, created.text
    path = f"/api/v1/projects/{created.json()['id']}"
    return path, _send(world, "GET", path, world.buyer_1).json()


def _attack_organisation(
    method: str, suffix: Callable[[dict[str, Any]], str], body: object = None
) -> Callable[[World], None]:
    def attack(world: World) -> None:
        path, before = _organisation(world)
        for headers in _intruders(world):
            _refused(_send(world, method, path + suffix(before), headers, body))
        assert _send(world, "GET", path, world.buyer_1).json() == before
        projects = _send(world, "GET", f"{path}/projects", world.buyer_1).json()
        assert projects["items"] == []

    return attack


def _attack_project(method: str, suffix: str = "", body: object = None) -> Callable[[World], None]:
    def attack(world: World) -> None:
        path, before = _project(world)
        for headers in _intruders(world):
            sent = {**headers, "If-Match": f'"v{before["version"]}"'}
            refused = _send(world, method, path + suffix, sent, body)
            _refused(refused)
            assert before["title"] not in refused.text
        assert _send(world, "GET", path, world.buyer_1).json() == before

    return attack


def attack_public_record(world: World) -> None:
    _, organisation = _organisation(world)
    _public_lookup(world, f"/api/v1/organisations/public-record/{organisation['siret']}")


def attack_public_buyer(world: World) -> None:
    """The DECP figures of a buyer are public; read with an organisation's SIRET by another
    account, they give nothing of the organisation (members, projects), and a malformed or
    smuggled SIRET is refused as a problem, never answered with another resource."""
    project, before = _project(world)
    organisation = before["organisation"]
    members = _send(
        world, "GET", f"/api/v1/organisations/{organisation['id']}", world.buyer_1
    ).json()["members"]
    for headers in (*_intruders(world), {}):
        path = f"/api/v1/public-buyers/{organisation['siret']}"
        response = _send(world, "GET", path, headers)
        # 403: a token without the search scope; anonymous callers read it (open route).
        assert response.status_code in ((200, 404) if not headers else (200, 403, 404))
        assert before["title"] not in response.text
        assert all(m["email"] not in response.text for m in members)
        assert world.private_address not in response.text
    for smuggled in ("1234", "%2E%2E%2Fmethod", "21750001600019%27%20OR%201%3D1", "x" * 300):
        response = _send(world, "GET", f"/api/v1/public-buyers/{smuggled}", {})
        assert response.status_code in (404, 422), (smuggled, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    assert _send(world, "GET", project, world.buyer_1).json() == before


PROJECT_ATTACKS: dict[str, Callable[[World], None]] = {
    "get /api/v1/organisations/{organisation_id}": _attack_organisation("GET", lambda o: ""),
    "patch /api/v1/organisations/{organisation_id}": _attack_organisation(
        "PATCH", lambda o: "", {"name": "Détournée", "hours_threshold": 1}
    ),
    "post /api/v1/organisations/{organisation_id}/members": _attack_organisation(
        "POST", lambda o: "/members", {"email": "intrus@exemple.fr", "role": "admin"}
    ),
    "delete /api/v1/organisations/{organisation_id}/members/{member_id}": _attack_organisation(
        "DELETE", lambda o: f"/members/{o['members'][0]['id']}"
    ),
    "get /api/v1/organisations/{organisation_id}/report": _attack_organisation(
        "GET", lambda o: "/report?year=2026"
    ),
    "get /api/v1/organisations/{organisation_id}/projects": _attack_organisation(
        "GET", lambda o: "/projects"
    ),
    "post /api/v1/organisations/{organisation_id}/projects": _attack_organisation(
        "POST", lambda o: "/projects", project_input()
    ),
    "get /api/v1/organisations/public-record/{siren_or_siret}": attack_public_record,
    "get /api/v1/projects/{project_id}": _attack_project("GET"),
    "patch /api/v1/projects/{project_id}": _attack_project("PATCH", body={"title": "Détourné"}),
    "delete /api/v1/projects/{project_id}": _attack_project("DELETE"),
    "post /api/v1/projects/{project_id}/evaluate": _attack_project("POST", "/evaluate", {}),
    "post /api/v1/projects/{project_id}/decisions": _attack_project(
        "POST", "/decisions", {"options": [{"code": "clause_L2112_2"}]}
    ),
    "post /api/v1/projects/{project_id}/award": _attack_project("POST", "/award", {}),
    "get /api/v1/projects/{project_id}/note.pdf": _attack_project("GET", "/note.pdf"),
    "post /api/v1/projects/{project_id}/need": _attack_project("POST", "/need", {}),
    "get /api/v1/public-buyers/{siret}": attack_public_buyer,
}

_SPEND = "/api/v1/organisations/{organisation_id}/spend"
# An organisation's spend dashboard, categories, sites and exports: only its members.
SPEND_DASHBOARD_ATTACKS: dict[str, Callable[[World], None]] = {
    f"get {_SPEND}/dashboard": _attack_organisation("GET", lambda o: "/spend/dashboard?year=2025"),
    f"get {_SPEND}/categories": _attack_organisation("GET", lambda o: "/spend/categories"),
    f"put {_SPEND}/categories": _attack_organisation(
        "PUT", lambda o: "/spend/categories", {"mappings": [{"label": "Ménage", "sector": None}]}
    ),
    f"get {_SPEND}/sites": _attack_organisation("GET", lambda o: "/spend/sites"),
    f"put {_SPEND}/sites": _attack_organisation(
        "PUT", lambda o: "/spend/sites", {"departments": ["93"]}
    ),
    f"get {_SPEND}/export.csv": _attack_organisation(
        "GET", lambda o: "/spend/export.csv?year=2025"
    ),
    f"get {_SPEND}/export.xlsx": _attack_organisation(
        "GET", lambda o: "/spend/export.xlsx?year=2025"
    ),
    f"get {_SPEND}/summary.pdf": _attack_organisation(
        "GET", lambda o: "/spend/summary.pdf?year=2025"
    ),
}


# --- OETH declarations and suppliers' attestations (sourcing) -----------------------------------

SPEND_YEAR = 2025


@dataclass
class Attested:
    """An EA managed by its own manager, which issued an attestation to an organisation of
    buyer 1."""

    ea: int
    manager: Headers
    organisation: str
    attestation: dict[str, Any]


_ATTESTED: dict[int, Attested] = {}


def _attested(world: World) -> Attested:
    """Made once per system: an EA claimed by a new manager, its attestation to buyer 1."""
    if id(world) in _ATTESTED:
        return _ATTESTED[id(world)]
    taken = {world.structure_a, world.structure_b, world.unmatched_structure}
    hits = world.system.get("/api/v1/search", params={"kind": "EA", "per_page": 50}).json()["hits"]
    ea = _structure(
        world.system, next(h["id"] for h in hits if h["siret"] and h["id"] not in taken)
    )
    manager = _manager_of(world.system, world.staff, ea)
    organisation, before = _organisation(world)
    # An organisation reads an attestation only when its spend of the year bought from the EA.
    _import_spend(world, organisation, ea["siret"])
    body = {
        "year": SPEND_YEAR,
        "client": {"siren": before["siren"], "name": before["name"]},
        "contracts": [
            {"description": "Blanchisserie", "amount_excl_vat_eur": 1000, "labour_cost_eur": 600}
        ],
    }
    issued = _send(world, "POST", f"/api/v1/structures/{ea['id']}/attestations", manager, body)
    assert issued.status_code == 201, issued.text
    _ATTESTED[id(world)] = Attested(ea["id"], manager, organisation, issued.json())
    return _ATTESTED[id(world)]


def _strangers_of_the_ea(world: World) -> tuple[Headers, ...]:
    return (world.manager_a, world.manager_b, world.buyer_1, {"X-Api-Key": world.key_1["key"]})


def _attestation_path(attested: Attested, suffix: str = "") -> str:
    return f"/api/v1/structures/{attested.ea}/attestations/{attested.attestation['id']}{suffix}"


def _attestation_unchanged(world: World, attested: Attested) -> None:
    now = _send(world, "GET", _attestation_path(attested), attested.manager).json()
    assert now == attested.attestation


def _attack_structure_attestations(
    method: str, suffix: Callable[[Attested], str], body: object = None
) -> Callable[[World], None]:
    def attack(world: World) -> None:
        attested = _attested(world)
        path = f"/api/v1/structures/{attested.ea}{suffix(attested)}"
        for headers in _strangers_of_the_ea(world):
            refused = _send(world, method, path, headers, body)
            _refused(refused, (403, 404))
            assert attested.attestation["number"] not in refused.text
        own = _send(
            world, "GET", f"/api/v1/structures/{attested.ea}/attestations", attested.manager
        )
        assert [a["id"] for a in own.json()] == [attested.attestation["id"]]
        _attestation_unchanged(world, attested)

    return attack


def attack_attestation_through_another_structure(world: World) -> None:
    """Manager A reads through its own structure's path an attestation of the EA: not found."""
    attested = _attested(world)
    aid = attested.attestation["id"]
    for suffix in ("", "/attestation.pdf"):
        path = f"/api/v1/structures/{world.structure_a}/attestations/{aid}{suffix}"
        _refused(_send(world, "GET", path, world.manager_a), (404, 422))
    _attack_structure_attestations("GET", lambda a: f"/attestations/{a.attestation['id']}")(world)


def attack_received_attestations(world: World) -> None:
    attested = _attested(world)
    for headers in _intruders(world):
        refused = _send(world, "GET", f"{attested.organisation}/attestations", headers)
        _refused(refused)
        assert attested.attestation["number"] not in refused.text
    own = _send(world, "GET", f"{attested.organisation}/attestations", world.buyer_1).json()
    assert [a["id"] for a in own] == [attested.attestation["id"]]


def attack_received_attestation_pdf(world: World) -> None:
    attested = _attested(world)
    pdf = f"/attestations/{attested.attestation['id']}/attestation.pdf"
    for headers in _intruders(world):
        _refused(_send(world, "GET", attested.organisation + pdf, headers))
    # Buyer 2, through an organisation of its own: not its SIREN, not found.
    body = {"name": _unique("Société"), "siret": siret(), "buyer_kind": "entreprise"}
    created = _send(world, "POST", "/api/v1/organisations", world.buyer_2, body)
    assert created.status_code == 201, created.text
    _refused(
        _send(world, "GET", f"/api/v1/organisations/{created.json()['id']}{pdf}", world.buyer_2),
        (404,),
    )
    own = _send(world, "GET", attested.organisation + pdf, world.buyer_1)
    assert own.status_code == 200 and own.content.startswith(b"%PDF")


def attack_put_declaration(world: World) -> None:
    path, before = _organisation(world)
    body = {"headcount": 100, "rate": 1, "gross_contribution_eur": 1, "labour_share": 0.1}
    for headers in _intruders(world):
        _refused(_send(world, "PUT", f"{path}/oeth/2025", headers, body))
    assert _send(world, "GET", f"{path}/oeth/2025", world.buyer_1).json()["declaration"] is None
    assert _send(world, "GET", path, world.buyer_1).json() == before


OETH_ATTACKS: dict[str, Callable[[World], None]] = {
    "get /api/v1/organisations/{organisation_id}/oeth/{year}": _attack_organisation(
        "GET", lambda o: "/oeth/2025"
    ),
    "put /api/v1/organisations/{organisation_id}/oeth/{year}": attack_put_declaration,
    "post /api/v1/organisations/{organisation_id}/oeth/{year}/tih": _attack_organisation(
        "POST", lambda o: "/oeth/2025/tih", {"supplier_key": "x", "tih": True}
    ),
    "get /api/v1/organisations/{organisation_id}/attestations": attack_received_attestations,
    "get /api/v1/organisations/{organisation_id}/attestations/{attestation_id}/attestation.pdf": (
        attack_received_attestation_pdf
    ),
    "get /api/v1/structures/{structure_id}/clients": _attack_structure_attestations(
        "GET", lambda a: "/clients?year=2025"
    ),
    "get /api/v1/structures/{structure_id}/attestations": _attack_structure_attestations(
        "GET", lambda a: "/attestations"
    ),
    "post /api/v1/structures/{structure_id}/attestations": _attack_structure_attestations(
        "POST",
        lambda a: "/attestations",
        {
            "year": 2025,
            "client": {"siren": "552100554", "name": "Détournée"},
            "contracts": [{"description": "x", "amount_excl_vat_eur": 10, "labour_cost_eur": 5}],
        },
    ),
    "get /api/v1/structures/{structure_id}/attestations/{attestation_id}": (
        attack_attestation_through_another_structure
    ),
    "put /api/v1/structures/{structure_id}/attestations/{attestation_id}": (
        _attack_structure_attestations(
            "PUT",
            lambda a: f"/attestations/{a.attestation['id']}",
            {
                "client": {"siren": "552100554", "name": "Détournée"},
                "contracts": [
                    {"description": "x", "amount_excl_vat_eur": 10, "labour_cost_eur": 5}
                ],
            },
        )
    ),
    "get /api/v1/structures/{structure_id}/attestations/{attestation_id}/attestation.pdf": (
        _attack_structure_attestations(
            "GET", lambda a: f"/attestations/{a.attestation['id']}/attestation.pdf"
        )
    ),
}


# --- spend of an organisation (sourcing) ---------------------------------------------------------


def _spend(world: World) -> tuple[str, dict[str, Any]]:
    """An organisation of buyer 1 with a spend file imported (one row refused): its path and
    what buyer 1 reads of its imports."""
    organisation, _ = _organisation(world)
    return organisation, _import_spend(world, organisation, siret())


def _import_spend(world: World, organisation: str, supplier: str) -> dict[str, Any]:
    """Buyer 1 imports a year's spend of one supplier (and one refused row) for an
    organisation: the file, the import and the list of imports as buyer 1 reads them."""
    content = f"SIRET;Montant HT;Fournisseur\r\n{supplier};1 234,56;Alpha\r\n;12;\r\n".encode()
    sent = httpx.post(
        f"{world.system.gateway.url}{organisation}/spend/files",
        params={"name": "achats.csv"},
        content=content,
        headers={**world.buyer_1, "content-type": "text/csv"},
        timeout=30,
    )
    assert sent.status_code == 201, sent.text
    mapping = {"supplier_siret": "SIRET", "amount": "Montant HT", "supplier_name": "Fournisseur"}
    body = {"file_id": sent.json()["id"], "year": SPEND_YEAR, "mapping": mapping}
    started = _send(world, "POST", f"{organisation}/spend/uploads", world.buyer_1, body)
    assert started.status_code == 201 and started.json()["status"] == "active", started.text
    uploads = _send(world, "GET", f"{organisation}/spend/uploads", world.buyer_1).json()
    return {"file": sent.json(), "upload": started.json(), "uploads": uploads}


def _attack_spend(
    method: str, suffix: Callable[[dict[str, Any]], str], body: object = None
) -> Callable[[World], None]:
    def attack(world: World) -> None:
        path, before = _spend(world)
        for headers in _intruders(world):
            refused = _send(world, method, path + suffix(before), headers, body)
            _refused(refused)
            assert before["file"]["sha256"] not in refused.text
            assert "Alpha" not in refused.text
        after = _send(world, "GET", f"{path}/spend/uploads", world.buyer_1).json()
        assert after == before["uploads"]
        suppliers = _send(
            world, "GET", f"{path}/spend/suppliers?year={SPEND_YEAR}", world.buyer_1
        ).json()
        assert [i["match"] for i in suppliers["items"]] == ["none"]

    return attack


SPEND_ATTACKS: dict[str, Callable[[World], None]] = {
    "post /api/v1/organisations/{organisation_id}/spend/files": _attack_spend(
        "POST", lambda s: "/spend/files?name=x.csv"
    ),
    "get /api/v1/organisations/{organisation_id}/spend/files/{file_id}": _attack_spend(
        "GET", lambda s: f"/spend/files/{s['file']['id']}"
    ),
    "post /api/v1/organisations/{organisation_id}/spend/uploads": _attack_spend(
        "POST",
        lambda s: "/spend/uploads",
        {"file_id": 1, "year": SPEND_YEAR, "mapping": {"amount": "Montant HT"}},
    ),
    "get /api/v1/organisations/{organisation_id}/spend/uploads": _attack_spend(
        "GET", lambda s: "/spend/uploads"
    ),
    "get /api/v1/organisations/{organisation_id}/spend/uploads/{upload_id}": _attack_spend(
        "GET", lambda s: f"/spend/uploads/{s['upload']['id']}"
    ),
    "get /api/v1/organisations/{organisation_id}/spend/uploads/{upload_id}/rejections.csv": (
        _attack_spend("GET", lambda s: f"/spend/uploads/{s['upload']['id']}/rejections.csv")
    ),
    "get /api/v1/organisations/{organisation_id}/spend/suppliers": _attack_spend(
        "GET", lambda s: f"/spend/suppliers?year={SPEND_YEAR}"
    ),
    "get /api/v1/organisations/{organisation_id}/spend/suppliers/export.csv": _attack_spend(
        "GET", lambda s: f"/spend/suppliers/export.csv?year={SPEND_YEAR}"
    ),
    "post /api/v1/organisations/{organisation_id}/spend/suppliers/decision": _attack_spend(
        "POST",
        lambda s: "/spend/suppliers/decision",
        {"year": SPEND_YEAR, "key": "nom:x|", "decision": "reject"},
    ),
}


ATTACKS: dict[str, Callable[[World], None]] = {
    "get /api/v1/structures/{structure_id}": attack_structure_read,
    "patch /api/v1/structures/{structure_id}": attack_structure_patch,
    "get /api/v1/structures/{structure_id}/page": attack_structure_page,
    "get /api/v1/structures/{structure_id}/activities": attack_list_activities,
    "post /api/v1/structures/{structure_id}/activities": attack_create_activity,
    "patch /api/v1/structures/{structure_id}/activities/{activity_id}": attack_patch_activity,
    "delete /api/v1/structures/{structure_id}/activities/{activity_id}": attack_delete_activity,
    "post /api/v1/structures/{structure_id}/activities/{activity_id}/confirm": (
        attack_confirm_activity
    ),
    "get /api/v1/structures/{structure_id}/offers": attack_list_offers,
    "post /api/v1/structures/{structure_id}/offers": attack_create_offer,
    "patch /api/v1/structures/{structure_id}/offers/{offer_id}": attack_patch_offer,
    "delete /api/v1/structures/{structure_id}/offers/{offer_id}": attack_delete_offer,
    "get /api/v1/structures/{structure_id}/audit": attack_audit,
    "put /api/v1/structures/{structure_id}/logo": attack_put_logo,
    "delete /api/v1/structures/{structure_id}/logo": attack_delete_logo,
    "post /api/v1/structures/{structure_id}/photos": attack_add_photo,
    "patch /api/v1/structures/{structure_id}/photos/{photo_id}": attack_patch_photo,
    "delete /api/v1/structures/{structure_id}/photos/{photo_id}": attack_delete_photo,
    "post /api/v1/structures/{structure_id}/offers/{offer_id}/photos": attack_add_offer_photo,
    "delete /api/v1/structures/{structure_id}/offers/{offer_id}/photos/{photo_id}": (
        attack_delete_offer_photo
    ),
    "get /api/v1/media/{media_id}": attack_read_media,
    "get /api/v1/structures/{structure_id}/members": attack_members,
    "patch /api/v1/structures/{structure_id}/members/{account_id}": attack_patch_member,
    "delete /api/v1/structures/{structure_id}/members/{account_id}": attack_delete_member,
    "post /api/v1/structures/{structure_id}/invitations": attack_create_invitation,
    "get /api/v1/structures/{structure_id}/invitations": attack_list_invitations,
    "delete /api/v1/structures/{structure_id}/invitations/{invitation_id}": (
        attack_revoke_invitation
    ),
    "get /api/v1/invitations/{token}": attack_read_invitation,
    "post /api/v1/invitations/{token}/accept": attack_accept_invitation,
    "get /api/v1/structures/{structure_id}/indexing": attack_indexing,
    "get /api/v1/staff/imports/{run_id}": attack_import_run,
    "get /api/v1/structures/{structure_id}/needs": attack_structure_needs,
    "get /api/v1/structures/{structure_id}/needs/{need_id}": attack_structure_need,
    "post /api/v1/structures/{structure_id}/needs/{need_id}/answer": attack_structure_need_answer,
    "post /api/v1/claims/{claim_id}/verify": attack_verify_claim,
    "post /api/v1/claims/{claim_id}/accept": attack_accept_claim,
    "post /api/v1/claims/{claim_id}/refuse": attack_refuse_claim,
    "get /api/v1/claims/{claim_id}/proof": attack_read_proof,
    "put /api/v1/claims/{claim_id}/proof": attack_put_proof,
    "get /api/v1/needs/{need_id}": attack_read_need,
    "patch /api/v1/needs/{need_id}": attack_patch_need,
    "post /api/v1/needs/{need_id}/publish": attack_publish_need,
    "post /api/v1/needs/{need_id}/reject": attack_reject_need,
    "get /api/v1/structures/{structure_id}/open-needs": attack_structure_open_needs,
    "get /api/v1/structures/{structure_id}/views": attack_structure_views,
    "post /api/v1/needs/{need_id}/close": attack_close_need,
    "post /api/v1/needs/{need_id}/cancel": attack_cancel_need,
    "get /api/v1/needs/{need_id}/matches": attack_need_matches,
    "get /api/v1/needs/{need_id}/remind": attack_read_reminder,
    "post /api/v1/needs/{need_id}/remind": attack_remind_need,
    "get /api/v1/needs/{need_id}/answers": attack_need_answers,
    "get /api/v1/answers/{token}": attack_read_answer_link,
    "post /api/v1/answers/{token}": attack_post_answer_link,
    "get /api/v1/favourites/{list_id}": attack_read_favourites,
    "patch /api/v1/favourites/{list_id}": attack_rename_favourites,
    "delete /api/v1/favourites/{list_id}": attack_delete_favourites,
    "put /api/v1/favourites/{list_id}/structures/{structure_id}": attack_add_favourite,
    "delete /api/v1/favourites/{list_id}/structures/{structure_id}": attack_remove_favourite,
    "get /api/v1/favourites/{list_id}/export": attack_export_favourites,
    "get /api/v1/saved-searches/{saved_search_id}": attack_read_saved_search,
    "patch /api/v1/saved-searches/{saved_search_id}": attack_patch_saved_search,
    "delete /api/v1/saved-searches/{saved_search_id}": attack_delete_saved_search,
    "post /api/v1/keys/{key_id}/rotate": attack_rotate_key,
    "delete /api/v1/keys/{key_id}": attack_revoke_key,
    "get /api/v1/reference/{name}": attack_reference,
    "get /api/siae/{structure_id}/": attack_legacy_id,
    "get /api/siae/slug/{slug}/": attack_legacy_slug,
    "get /api/siae/siren/{siren}/": attack_legacy_siren,
    "get /api/siae/siret/{siret}/": attack_legacy_siret,
    **PROJECT_ATTACKS,
    **OETH_ATTACKS,
    **SPEND_ATTACKS,
    **SPEND_DASHBOARD_ATTACKS,
}


def _id_bearing_operations(document: dict[str, Any]) -> set[str]:
    return {
        f"{method} {path}"
        for path, operations in document["paths"].items()
        if re.search(r"\{[^}]+\}", path)
        for method in operations
        if method in ("get", "post", "put", "patch", "delete")
    }


def test_every_id_bearing_route_is_attacked(secure_system: System) -> None:
    document = secure_system.get("/api/openapi.json").json()
    operations = _id_bearing_operations(document)
    assert len(operations) >= 30
    assert sorted(operations - set(ATTACKS)) == [], "routes with an id and no attack here"
    assert sorted(set(ATTACKS) - operations) == [], "attacks on routes that no longer exist"


@pytest.mark.parametrize("operation", sorted(ATTACKS))
def test_idor(world: World, operation: str) -> None:
    ATTACKS[operation](world)
