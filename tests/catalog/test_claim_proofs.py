"""Claims that no code can verify: the claimant's proof (checked from its bytes, kept out of the
web root, read by the claimant and staff only), the staff queue and decisions with a reason,
the fast path by the website's domain, `GET /v1/me`, and the links in the catalog's e-mails."""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Mapping
from pathlib import Path

import pytest

from services.catalog.ownership.domains import DOMAIN_MATCH, registrable_domain, shared_domain
from services.catalog.ownership.proofs import MAX_PROOF_BYTES
from services.catalog.settings import CatalogSettings
from services.catalog.state import CatalogState
from services.catalog.structures.models import Structure
from services.common.identity import Principal, Role
from services.common.state import state_of
from tests.catalog.api_support import SECRET, STAFF, CatalogApi, SignedIdentity, identity
from tests.catalog.test_ownership import account, fresh_structure, make_admin

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
HTML = b"<html><script>alert(1)</script></html>"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


PNG = _png()


def _settings(api: CatalogApi) -> CatalogSettings:
    return state_of(api.client.app, CatalogState).settings  # type: ignore[arg-type]


def _proof_dir(api: CatalogApi) -> Path:
    return _settings(api).proof_dir


def _staff_claim(api: CatalogApi) -> tuple[Structure, Mapping[str, str], dict[str, object]]:
    structure = fresh_structure(api)
    claimant = identity(account())
    claim = api.client.post("/v1/claims", json={"siret": structure.siret}, headers=claimant)
    assert claim.status_code == 201, claim.text
    assert claim.json()["kind"] == claim.json()["method"] == "staff_review"
    return structure, claimant, claim.json()


def _put(api: CatalogApi, claim_id: object, body: bytes, media_type: str, who: Mapping[str, str]):  # type: ignore[no-untyped-def]
    return api.client.put(
        f"/v1/claims/{claim_id}/proof",
        content=body,
        headers={**who, "content-type": media_type},
    )


def _mails_to(api: CatalogApi, address: str) -> list[str]:
    return [
        m.get_content()  # type: ignore[attr-defined]
        for m in api.deliver_mail()
        if m["To"] == address
    ]


def test_proof_type_is_read_from_the_bytes(catalog_api: CatalogApi) -> None:
    api = catalog_api
    _, claimant, claim = _staff_claim(api)
    refusals = {
        "a page declared as a PDF": (HTML, "application/pdf"),
        "a PNG declared as a PDF": (PNG, "application/pdf"),
        "a PDF declared as text": (PDF, "text/plain"),
        "a PDF with no end (truncated)": (PDF[:40], "application/pdf"),
        "an executable declared as a JPEG": (b"MZ\x90\x00" + b"\x00" * 100, "image/jpeg"),
    }
    for name, (body, media_type) in refusals.items():
        refused = _put(api, claim["id"], body, media_type, claimant)
        assert refused.status_code == 415, (name, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
    assert "Content-Type" in _put(api, claim["id"], PDF, "text/plain", claimant).json()["detail"]
    empty = _put(api, claim["id"], b"", "application/pdf", claimant)
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "document"
    assert all(p.read_bytes() != HTML for p in _proof_dir(api).glob("*"))
    for body, media_type in ((PNG, "image/png"), (JPEG, "image/jpeg"), (PDF, "application/pdf")):
        accepted = _put(api, claim["id"], body, media_type, claimant)
        assert accepted.status_code == 200, accepted.text
        proof = accepted.json()["proof"]
        assert proof["media_type"] == media_type and proof["size"] == len(body)
        assert proof["url"] == f"/api/v1/claims/{claim['id']}/proof"


def test_proofs_over_5_mb_are_refused(catalog_api: CatalogApi) -> None:
    api = catalog_api
    _, claimant, claim = _staff_claim(api)
    big = PDF[:-6] + b"%" * (MAX_PROOF_BYTES + 1 - len(PDF)) + b"%%EOF\n"
    declared = _put(api, claim["id"], big, "application/pdf", claimant)
    assert declared.status_code == 413, declared.text
    # Who sends it is checked before the body is read.
    assert _put(api, claim["id"], big, "application/pdf", {}).status_code == 401
    chunked = api.client.put(
        f"/v1/claims/{claim['id']}/proof",
        content=(big[i : i + 65536] for i in range(0, len(big), 65536)),
        headers={**claimant, "content-type": "application/pdf"},
    )
    assert chunked.status_code == 413, chunked.text
    exactly = PDF[:-6] + b"%" * (MAX_PROOF_BYTES - len(PDF)) + b"%%EOF\n"
    assert len(exactly) == MAX_PROOF_BYTES
    assert _put(api, claim["id"], exactly, "application/pdf", claimant).status_code == 200


def test_proof_is_stored_out_of_the_web_root_and_read_by_claimant_and_staff_only(
    catalog_api: CatalogApi,
) -> None:
    api = catalog_api
    structure, claimant, claim = _staff_claim(api)
    path = f"/v1/claims/{claim['id']}/proof"
    assert api.client.get(path, headers=claimant).status_code == 404  # nothing yet
    first = _put(api, claim["id"], PNG, "image/png", claimant)
    assert first.status_code == 200
    stored = {p.name: p.read_bytes() for p in _proof_dir(api).iterdir()}
    first_name = next(name for name, content in stored.items() if content == PNG)
    # A random name (128 bits, hex, no extension): nothing to guess, nothing to execute.
    assert re.fullmatch(r"[0-9a-f]{32}", first_name)
    assert (_proof_dir(api).stat().st_mode & 0o077) == 0
    assert (_proof_dir(api) / first_name).stat().st_mode & 0o077 == 0

    # Others: another manager, the admin of another structure, a buyer; and they cannot replace it.
    other_structure = fresh_structure(api)
    other_admin = make_admin(api, other_structure)
    for who in (identity(account()), other_admin, identity("buyer-1", Role.PUBLIC_BUYER)):
        refused = api.client.get(path, headers=who)
        assert refused.status_code == 404, refused.text
        assert refused.content != PNG
        assert _put(api, claim["id"], PDF, "application/pdf", who).status_code == 404
    assert api.client.get(path).status_code == 401

    for who in (claimant, STAFF):
        read = api.client.get(path, headers=who)
        assert read.status_code == 200 and read.content == PNG
        assert read.headers["content-type"] == "image/png"
        assert read.headers["content-disposition"].startswith("attachment;")
        assert read.headers["cache-control"] == "private, no-store"

    # A new proof replaces the first, whose file goes once the new one is saved.
    assert _put(api, claim["id"], PDF, "application/pdf", claimant).status_code == 200
    assert not (_proof_dir(api) / first_name).exists()
    assert api.client.get(path, headers=STAFF).content == PDF
    audit = api.client.get(f"/v1/structures/{structure.id}/audit", headers=STAFF).json()
    assert [e["action"] for e in audit["items"]].count("claim.proof") == 2


def test_staff_queue_oldest_first_with_proofs(catalog_api: CatalogApi) -> None:
    api = catalog_api
    older_structure, older_claimant, older = _staff_claim(api)
    _, _, newer = _staff_claim(api)
    _put(api, older["id"], PDF, "application/pdf", older_claimant)
    for who in (older_claimant, identity(account()), identity("buyer-2", Role.PUBLIC_BUYER)):
        assert api.client.get("/v1/staff/claims", headers=who).status_code == 403
    queue = api.client.get("/v1/staff/claims", params={"limit": 200}, headers=STAFF)
    assert queue.status_code == 200, queue.text
    items = queue.json()["items"]
    assert queue.json()["total"] >= 2
    ids = [c["id"] for c in items]
    assert ids.index(older["id"]) < ids.index(newer["id"])
    assert [c["created_at"] for c in items] == sorted(c["created_at"] for c in items)
    assert all(c["status"] == "pending" and c["kind"] == "staff_review" for c in items)
    first = next(c for c in items if c["id"] == older["id"])
    assert first["proof"]["media_type"] == "application/pdf"
    assert first["proof"]["size"] == len(PDF) and first["proof"]["uploaded_at"]
    assert first["structure_name"] == older_structure.name
    assert first["structure_siret"] == older_structure.siret
    assert first["email"].endswith("@exemple.fr")
    assert next(c for c in items if c["id"] == newer["id"])["proof"] is None
    # Decided claims leave the queue.
    api.client.post(f"/v1/claims/{older['id']}/accept", headers=STAFF)
    after = api.client.get("/v1/staff/claims", params={"limit": 200}, headers=STAFF).json()
    assert older["id"] not in [c["id"] for c in after["items"]]
    assert after["total"] == queue.json()["total"] - 1


def test_staff_refusal_needs_a_reason_that_the_claimant_receives(catalog_api: CatalogApi) -> None:
    api = catalog_api
    structure, claimant, claim = _staff_claim(api)
    _put(api, claim["id"], PDF, "application/pdf", claimant)
    for body in (None, {}, {"reason": "   "}):
        refused = api.client.post(f"/v1/claims/{claim['id']}/refuse", json=body, headers=STAFF)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == "reason"
    reason = "Le justificatif ne mentionne pas la structure."
    decided = api.client.post(
        f"/v1/claims/{claim['id']}/refuse", json={"reason": reason}, headers=STAFF
    )
    assert decided.status_code == 200 and decided.json()["status"] == "refused"
    assert decided.json()["reason"] == reason
    mails = _mails_to(api, claimant.principal.email or "")  # type: ignore[attr-defined]
    decision = next(m for m in mails if "refusée" in m)
    assert reason in decision and structure.name in decision
    assert "https://marche.example/api/v1/claims" in decision
    # Refused: no right, and no more proof to add to that claim.
    assert api.patch(f"/v1/structures/{structure.id}", {"brand": "X"}, claimant).status_code == 403
    assert _put(api, claim["id"], PNG, "image/png", claimant).status_code == 409
    audit = api.client.get(f"/v1/structures/{structure.id}/audit", headers=STAFF).json()
    refusal = next(e for e in audit["items"] if e["action"] == "claim.refuse")
    assert refusal["changes"]["reason"] == [None, reason]
    proof_sent = next(e for e in audit["items"] if e["action"] == "claim.proof")
    assert refusal["changes"]["proof_sha256"][1] in proof_sent["changes"]["proof"][1]


def test_staff_acceptance_makes_the_claimant_admin_and_tells_them(catalog_api: CatalogApi) -> None:
    api = catalog_api
    structure, claimant, claim = _staff_claim(api)
    _put(api, claim["id"], JPEG, "image/jpeg", claimant)
    accepted = api.client.post(
        f"/v1/claims/{claim['id']}/accept", json={"reason": "Kbis conforme"}, headers=STAFF
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    members = api.client.get(f"/v1/structures/{structure.id}/members", headers=claimant).json()
    assert [m["role"] for m in members] == ["admin"]
    mails = _mails_to(api, claimant.principal.email or "")  # type: ignore[attr-defined]
    decision = next(m for m in mails if "acceptée" in m)
    assert "Kbis conforme" in decision
    assert f"https://marche.example/api/v1/structures/{structure.id}" in decision
    # Proofs are for claims that no code can verify, and only while pending.
    assert _put(api, claim["id"], PDF, "application/pdf", claimant).status_code == 409


def _with_website(api: CatalogApi, website: str) -> Structure:
    structure = fresh_structure(api)
    patched = api.patch(f"/v1/structures/{structure.id}", {"website": website}, STAFF)
    assert patched.status_code == 200, patched.text
    return structure


def _claimant(address: str) -> SignedIdentity:
    return SignedIdentity(Principal(account(), Role.SUPPLIER_MANAGER, address), SECRET)


def test_claim_accepted_at_once_when_the_verified_address_is_at_the_site_domain(
    catalog_api: CatalogApi,
) -> None:
    api = catalog_api
    structure = _with_website(api, "https://www.atelier-des-possibles.fr/contact")
    api.patch(f"/v1/structures/{structure.id}", {"contact_email": "accueil@ailleurs.fr"}, STAFF)
    claimant = _claimant("direction@mail.atelier-des-possibles.fr")
    claim = api.client.post("/v1/claims", json={"siret": structure.siret}, headers=claimant)
    assert claim.status_code == 201, claim.text
    body = claim.json()
    assert body["status"] == "accepted" and body["method"] == "email_domain"
    assert body["reason"] == DOMAIN_MATCH
    members = api.client.get(f"/v1/structures/{structure.id}/members", headers=claimant).json()
    assert [m["role"] for m in members] == ["admin"]
    audit = api.client.get(f"/v1/structures/{structure.id}/audit", headers=claimant).json()
    accepted = next(e for e in audit["items"] if e["action"] == "claim.accept")
    assert accepted["changes"]["method"] == [None, DOMAIN_MATCH]
    assert accepted["changes"]["domain"] == [None, "atelier-des-possibles.fr"]
    assert accepted["actor"] == "system"
    # The claimant is told, and so is the registered contact: no silent takeover.
    assert any(structure.name in m for m in _mails_to(api, claimant.principal.email or ""))
    told = _mails_to(api, "accueil@ailleurs.fr")
    assert any(claimant.principal.email in m for m in told)  # type: ignore[operator]
    assert not any("ce code" in m for m in told)  # no code needed, none sent


@pytest.mark.parametrize(
    ("website", "address"),
    [
        ("http://ateliers-solidaires.free.fr", "ateliers.solidaires@free.fr"),  # webmail
        ("https://www.gmail.com", "moi@gmail.com"),  # a webmail's own site
        ("https://www.insertion-13.fr", "moi@insertion-13.com"),  # another domain
        ("https://www.entraide.asso.fr", "moi@autre.asso.fr"),  # a shared suffix
        ("https://esat-du-lac.wixsite.com/accueil", "moi@wixsite.com"),  # a site builder
        ("https://insertion-13.fr.evil.example", "moi@insertion-13.fr"),  # a look-alike
    ],
)
def test_no_fast_path_on_a_webmail_or_another_domain(
    catalog_api: CatalogApi, website: str, address: str
) -> None:
    api = catalog_api
    structure = _with_website(api, website)
    claim = api.client.post(
        "/v1/claims", json={"siret": structure.siret}, headers=_claimant(address)
    )
    assert claim.status_code == 201, claim.text
    assert claim.json()["status"] == "pending" and claim.json()["method"] == "staff_review"


def test_fast_path_does_not_skip_the_admins_of_a_managed_structure(
    catalog_api: CatalogApi,
) -> None:
    api = catalog_api
    structure = _with_website(api, "https://regie-de-quartier-nord.fr")
    make_admin(api, structure)
    claim = api.client.post(
        "/v1/claims",
        json={"siret": structure.siret},
        headers=_claimant("jean@regie-de-quartier-nord.fr"),
    )
    assert claim.json()["status"] == "pending" and claim.json()["method"] == "join"


def test_registrable_domains() -> None:
    assert registrable_domain("WWW.Structure.FR.") == "structure.fr"
    assert registrable_domain("mail.structure.fr") == "structure.fr"
    assert registrable_domain("entraide.asso.fr") == "entraide.asso.fr"
    assert registrable_domain("asso.fr") is None
    assert registrable_domain("192.168.0.1") is None
    assert registrable_domain("localhost") is None
    assert shared_domain("a@structure.fr", "https://www.structure.fr/") == "structure.fr"
    assert shared_domain("a@structure.fr", "structure.fr") == "structure.fr"
    assert shared_domain("a@orange.fr", "https://orange.fr") is None
    assert shared_domain(None, "https://structure.fr") is None
    assert shared_domain("a@structure.fr", None) is None


def test_me_lists_structures_managed_and_claims(catalog_api: CatalogApi) -> None:
    api = catalog_api
    managed = fresh_structure(api)
    who = make_admin(api, managed)
    pending_structure = fresh_structure(api)
    pending = api.client.post(
        "/v1/claims", json={"siret": pending_structure.siret}, headers=who
    ).json()
    me = api.client.get("/v1/me", headers=who)
    assert me.status_code == 200, me.text
    structures = me.json()["structures"]
    assert [(s["id"], s["name"], s["role"]) for s in structures] == [
        (managed.id, managed.name, "admin")
    ]
    claims = me.json()["claims"]
    assert claims[0]["id"] == pending["id"]
    assert {(c["structure_id"], c["structure_name"], c["status"], c["method"]) for c in claims} == {
        (pending_structure.id, pending_structure.name, "pending", "staff_review"),
        (managed.id, managed.name, "accepted", "staff_review"),
    }
    assert all(c["created_at"] for c in claims)
    # Somebody else sees their own, and nothing of these.
    other = api.client.get("/v1/me", headers=identity(account())).json()
    assert other == {"structures": [], "claims": []}
    assert api.client.get("/v1/me").status_code == 401


def test_claim_mails_carry_links(catalog_api: CatalogApi) -> None:
    api = catalog_api
    structure = fresh_structure(api)
    api.patch(f"/v1/structures/{structure.id}", {"contact_email": "code@liens.example"}, STAFF)
    api.client.post("/v1/claims", json={"siret": structure.siret}, headers=identity(account()))
    code_mail = _mails_to(api, "code@liens.example")[-1]
    assert f"https://marche.example/api/v1/structures/{structure.id}" in code_mail
    # A claim that needs a proof says where to send it.
    _, claimant, claim = _staff_claim(api)
    asked = _mails_to(api, claimant.principal.email or "")  # type: ignore[attr-defined]
    assert any(f"https://marche.example/api/v1/claims/{claim['id']}/proof" in m for m in asked)
    # Admins asked to decide a join request get the list of their structure's claims.
    owned = fresh_structure(api)
    make_admin(api, owned)
    admin_email = next(
        m["email"]
        for m in api.client.get(f"/v1/structures/{owned.id}/members", headers=STAFF).json()
    )
    api.client.post("/v1/claims", json={"siret": owned.siret}, headers=identity(account()))
    join_mail = _mails_to(api, admin_email)[-1]
    assert f"https://marche.example/api/v1/claims?structure_id={owned.id}" in join_mail


def test_an_identity_without_an_address_gets_no_fast_path(catalog_api: CatalogApi) -> None:
    api = catalog_api
    structure = _with_website(api, "https://www.sans-adresse.fr")
    nobody = SignedIdentity(Principal(account(), Role.SUPPLIER_MANAGER, None), SECRET)
    claim = api.client.post("/v1/claims", json={"siret": structure.siret}, headers=nobody)
    assert claim.json()["status"] == "pending" and claim.json()["method"] == "staff_review"
