"""The three user groups' journey on a fresh system, over HTTP only, as its users would walk it:
an operator makes a staff account with the command; a supplier manager registers, claims a
structure with a proof, is accepted by staff, edits the listing, declares an activity and an offer;
a buyer publishes a need that matches it; the manager gets one e-mail whose link works and
answers; the buyer reads the answer and exports the matches as CSV.

Mail goes through a real SMTP server (aiosmtpd), the services are real processes."""

from __future__ import annotations

import csv
import io
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.conftest import IndexedCatalog
from tests.e2e.test_services import System, running_system
from tests.mail_support import Inbox, body, links
from tests.support import ROOT, free_port, wait_until

PASSWORD = "un-mot-de-passe-assez-long"
SECTOR = "nettoyage-de-locaux-16"
# The smallest document a PDF reader opens: what a claimant scans and sends.
PROOF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Stack:
    system: System
    inbox: Inbox

    def url(self, path: str) -> str:
        return self.system.gateway.url + path

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.url(path), timeout=20, **kwargs)


@pytest.fixture(scope="module")
def stack(
    indexed_catalog: IndexedCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    gateway_port = free_port()
    mail = {
        f"{prefix}_{name}": value
        for prefix in ("CATALOG", "SOURCING", "GATEWAY")
        for name, value in (
            ("MAIL_BACKEND", "smtp"),
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", str(smtp.port)),
            ("PUBLIC_URL", f"http://127.0.0.1:{gateway_port}"),
        )
    }
    logs = tmp_path_factory.mktemp("journey")
    try:
        with running_system(
            indexed_catalog,
            logs,
            "_journey",
            every_service_env={
                **mail,
                "CATALOG_PROOF_DIR": str(logs / "proofs"),
                "CATALOG_MEDIA_DIR": str(logs / "media"),
            },
            gateway_port=gateway_port,
        ) as system:
            yield Stack(system, inbox)
    finally:
        smtp.stop()


def staff_command(stack: Stack, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """The operator's command, run as an operator runs it, against the gateway's database."""
    return subprocess.run(
        [sys.executable, "-m", "services.gateway.cli", "staff", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={
            **os.environ,
            # The gateway's own configuration, as an operator runs it beside the gateway.
            "GATEWAY_DATABASE_URL": stack.system.gateway_db,
            "GATEWAY_SESSION_SECRET": "e2e-session-secret-0123456789",
            "MI_IDENTITY_SECRET": "e2e-identity-secret-0123456789",
            "MI_ENVIRONMENT": "test",
        },
        timeout=60,
        check=False,
    )


def login(stack: Stack, address: str) -> dict[str, str]:
    answer = stack.call("POST", "/api/v1/auth/login", json={"email": address, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def register(stack: Stack, role: str) -> tuple[str, dict[str, str]]:
    """Registers, follows the link of the confirmation e-mail, logs in."""
    address = f"{role.replace('_', '-')}-{secrets.token_hex(4)}@exemple.fr"
    created = stack.call(
        "POST", "/api/v1/auth/register", json={"email": address, "password": PASSWORD, "role": role}
    )
    assert created.status_code in (201, 202), created.text
    confirmation = stack.inbox.wait_for(address, "confirm")
    token = next(
        m.group(1) for link in links(confirmation) if (m := re.search(r"token=([\w-]{20,})", link))
    )
    assert stack.call("POST", "/api/v1/auth/verify", json={"token": token}).status_code == 200
    return address, login(stack, address)


def test_every_journey_completes_on_a_fresh_system(stack: Stack) -> None:
    # An operator makes the first staff account; the password never goes on the command line.
    staff_address = f"equipe-{secrets.token_hex(4)}@marche-inclusif.example"
    made = staff_command(
        stack, "create", "--email", staff_address, "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert made.returncode == 0, made.stderr
    assert PASSWORD not in made.stdout + made.stderr
    listed = staff_command(stack, "list")
    assert staff_address in listed.stdout
    staff = login(stack, staff_address)
    me = stack.call("GET", "/api/v1/me", headers=staff).json()
    assert me["account"]["role"] == "staff"

    # A supplier manager registers and claims a structure with no contact address: by proof.
    manager_address, manager = register(stack, "supplier_manager")
    hits = stack.call(
        "GET", "/api/v1/search", params={"kind": "ACI", "department": "93", "per_page": 50}
    ).json()["hits"]
    structure = next(h for h in hits if not h.get("website"))
    claim = stack.call(
        "POST",
        "/api/v1/claims",
        json={"siret": structure["siret"], "structure_id": structure["id"]},
        headers=manager,
    )
    assert claim.status_code == 201, claim.text
    assert claim.json()["method"] == "staff_review"
    claim_id = claim.json()["id"]
    sent = stack.call(
        "PUT",
        f"/api/v1/claims/{claim_id}/proof",
        content=PROOF,
        headers={**manager, "Content-Type": "application/pdf"},
    )
    assert sent.status_code == 200, sent.text
    mine = stack.call("GET", "/api/v1/me", headers=manager).json()
    assert [c["id"] for c in mine["claims"]] == [claim_id]
    assert mine["structures"] == []

    # Staff read the queue and the proof, then accept; the claimant is told.
    queue = stack.call("GET", "/api/v1/staff/claims", headers=staff)
    assert queue.status_code == 200, queue.text
    queued = next(c for c in queue.json()["items"] if c["id"] == claim_id)
    assert queued["proof"]["media_type"] == "application/pdf"
    proof = stack.call("GET", f"/api/v1/claims/{claim_id}/proof", headers=staff)
    assert proof.status_code == 200 and proof.content == PROOF
    assert stack.call("GET", "/api/v1/staff/claims", headers=manager).status_code == 403
    accepted = stack.call(
        "POST",
        f"/api/v1/claims/{claim_id}/accept",
        json={"reason": "Attestation conforme"},
        headers=staff,
    )
    assert accepted.status_code == 200, accepted.text
    decision = stack.inbox.wait_for(manager_address, saying="Attestation conforme")
    listing_link = stack.url(f"/api/v1/structures/{structure['id']}")
    assert listing_link in links(decision), body(decision)
    assert httpx.get(listing_link, timeout=20).status_code == 200
    mine = stack.call("GET", "/api/v1/me", headers=manager).json()
    assert [(s["id"], s["role"]) for s in mine["structures"]] == [(structure["id"], "admin")]

    # The manager edits the listing with the version read, declares an activity and an offer.
    path = f"/api/v1/structures/{structure['id']}"
    read = stack.call("GET", path)
    word = f"parcours{secrets.token_hex(3)}"
    edited = stack.call(
        "PATCH",
        path,
        json={"description": f"Nettoyage de bureaux et vitrerie ({word})."},
        headers={**manager, "If-Match": read.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    stale = stack.call(
        "PATCH",
        path,
        json={"description": "Écrasement"},
        headers={**manager, "If-Match": read.headers["etag"]},
    )
    assert stale.status_code == 412
    activity = stack.call(
        "POST",
        f"{path}/activities",
        json={
            "sector": SECTOR,
            "presta_types": ["PREST"],
            "range": "zones",
            "zones": [{"type": "département", "code": "93"}],
        },
        headers=manager,
    )
    assert activity.status_code == 201, activity.text
    offer = stack.call(
        "POST",
        f"{path}/offers",
        json={"title": "Entretien de bureaux", "sector": SECTOR, "presta_type": "PREST"},
        headers=manager,
    )
    assert offer.status_code == 201, offer.text

    # The change is searchable: by its words, and by domain and territory.
    def searchable() -> bool:
        found = stack.call("GET", "/api/v1/search", params={"q": word}).json()["hits"]
        in_domain = stack.call(
            "GET",
            "/api/v1/search",
            params={"sector": SECTOR, "department": "93", "kind": "ACI", "per_page": 100},
        ).json()["hits"]
        return [h["id"] for h in found] == [structure["id"]] and any(
            h["id"] == structure["id"] for h in in_domain
        )

    wait_until(searchable, timeout_s=30)

    # A buyer publishes a need that matches it.
    _, buyer = register(stack, "public_buyer")
    need = stack.call(
        "POST",
        "/api/v1/needs",
        json={
            "kind": "demande_devis",
            "title": f"Nettoyage des locaux de la mairie ({word})",
            "description": "1 200 m² de bureaux, trois passages par semaine.",
            "sectors": [SECTOR],
            "place": {"level": "departement", "code": "93"},
            "kinds": ["ACI"],
            "questions": ["Pouvez-vous intervenir avant 8 h ?"],
            "publish": True,
        },
        headers=buyer,
    )
    assert need.status_code == 201, need.text
    need_id = need.json()["id"]

    # The manager gets exactly one e-mail for it, whose link opens the need and takes the answer.
    told = stack.inbox.wait_for(manager_address, saying=word)
    answer_link = next(link for link in links(told) if "/answers/" in link)
    assert answer_link.startswith(stack.url("/api/v1/answers/"))
    opened = httpx.get(answer_link, timeout=20)
    assert opened.status_code == 200, opened.text
    assert opened.json()["title"].endswith(f"({word})")
    answered = httpx.post(
        answer_link,
        json={"status": "interested", "answers": {"0": "Oui, dès 6 h."}},
        timeout=20,
    )
    assert answered.status_code in (200, 201), answered.text
    time.sleep(2)  # a second notification, if any, would have been sent by now
    assert len([m for m in stack.inbox.to(manager_address) if word in body(m)]) == 1

    # The buyer reads the answer and exports the matches.
    matches = stack.call("GET", f"/api/v1/needs/{need_id}/matches", headers=buyer)
    assert matches.status_code == 200, matches.text
    ours = next(m for m in matches.json() if m["structure_id"] == structure["id"])
    assert ours["answer"] == "interested"
    answers = stack.call("GET", f"/api/v1/needs/{need_id}/answers", headers=buyer)
    assert "Oui, dès 6 h." in answers.text
    exported = stack.call(
        "GET", f"/api/v1/needs/{need_id}/matches", params={"format": "csv"}, headers=buyer
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff")), delimiter=";"))
    ours_row = next(row for row in rows if structure["name"] in row)
    assert any("intéress" in cell for cell in ours_row), ours_row
