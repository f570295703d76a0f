"""Listing views through the gateway's public page, the services as real processes: one per
visitor and day, another browser counts, robots and the structure's managers and staff do not;
the figures are for its managers and staff only. Managers' open needs go through too."""

from __future__ import annotations

import httpx

from services.common.identity import Principal, Role, sign_identity
from tests.e2e.test_accounts import _account
from tests.e2e.test_authorization_matrix import _staff
from tests.e2e.test_pages import E2E_SECRET
from tests.e2e.test_services import System

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1"


def _manager_of(system: System, structure: dict[str, object]) -> dict[str, str]:
    _, tokens = _account(system, "supplier_manager")
    session = {"Authorization": f"Bearer {tokens['access_token']}"}
    claim = system.post(
        "/api/v1/claims", {"siret": structure["siret"], "structure_id": structure["id"]}, session
    )
    assert claim.status_code == 201, claim.text
    staff = sign_identity(Principal("staff-1", Role.STAFF), E2E_SECRET)
    decided = httpx.post(
        f"{system.catalog.url}/v1/claims/{claim.json()['id']}/accept",
        headers={"x-mi-identity": staff},
    )
    assert decided.status_code == 200, decided.text
    return session


def test_views_are_counted_honestly(system: System) -> None:
    hits = system.get(
        "/api/v1/search", params={"sector": "nettoyage-de-locaux-16", "department": "93"}
    ).json()["hits"]
    structure = hits[-1]
    sid = structure["id"]
    manager = _manager_of(system, structure)
    views = f"/api/v1/structures/{sid}/views"

    def read(headers: dict[str, str]) -> None:
        assert system.get(f"/api/v1/structures/{sid}/page", headers=headers).status_code == 200

    def total() -> int:
        answer = system.get(views, headers=manager)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    assert total() == 0
    read({"User-Agent": FIREFOX})
    read({"User-Agent": FIREFOX})
    assert total() == 1  # the same visitor twice the same day
    read({"User-Agent": SAFARI})
    assert total() == 2  # another browser
    read({"User-Agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"})
    read({"User-Agent": "curl/8.5.0"})
    read({})  # httpx's own User-Agent: a program
    assert total() == 2
    read({"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0", **manager})
    staff = _staff(system)
    read({"User-Agent": "Mozilla/5.0 (Macintosh) Version/17.0 Safari/605.1.15", **staff})
    assert total() == 2  # neither its manager nor staff

    summary = system.get(views, headers=staff).json()
    assert summary["total"] == 2 and summary["months"][-1]["views"] == 2
    assert len(summary["months"]) == 3 and len(summary["weeks"]) == 12
    assert "une seule fois par visiteur et par jour" in summary["method"]

    _, other_tokens = _account(system, "supplier_manager")
    other = {"Authorization": f"Bearer {other_tokens['access_token']}"}
    refused = system.get(views, headers=other)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert system.get(views).status_code == 401

    # The manager's open needs, through the gateway; someone else's: 403.
    assert system.get(f"/api/v1/structures/{sid}/open-needs", headers=manager).status_code == 200
    assert system.get(f"/api/v1/structures/{sid}/open-needs", headers=other).status_code == 403
    queue = system.get("/api/v1/staff/needs", params={"status": "moderation"}, headers=staff)
    assert queue.status_code == 200 and isinstance(queue.json(), list)
    assert system.get("/api/v1/staff/needs", headers=manager).status_code == 403

    spec = system.get("/api/openapi.json").json()["paths"]
    assert "/api/v1/structures/{structure_id}/views" in spec
    assert "/api/v1/structures/{structure_id}/open-needs" in spec
    assert "/api/v1/needs/{need_id}/reject" in spec and "/api/v1/staff/needs" in spec
