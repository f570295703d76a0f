"""Open needs a structure missed (and which matching criterion it lacks), and staff moderation:
the queue, and a refusal with its reason mailed to the buyer over a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from services.common.identity import Role
from services.common.state import state_of
from services.sourcing.state import SourcingState
from tests.catalog.api_support import STAFF, identity
from tests.sourcing.test_needs import BUYER, CLEANING, NEED, Market, market

__all__ = ["market"]

GARDENS = "creation-et-entretien-des-espaces-verts"


def _deposit(market: Market, **changes: object) -> dict[str, object]:
    response = market.sourcing.post("/v1/needs", json={**NEED, **changes}, headers=BUYER)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _open_needs(market: Market, structure_id: int) -> dict[int, dict[str, object]]:
    manager = market.managed[structure_id]
    response = market.sourcing.get(f"/v1/structures/{structure_id}/open-needs", headers=manager)
    assert response.status_code == 200, response.text
    return {n["id"]: n for n in response.json()}


def test_a_need_elsewhere_in_the_sector_says_the_zone_is_missing(market: Market) -> None:
    structure_id = next(iter(market.managed))
    matched = _deposit(market)
    elsewhere = _deposit(
        market,
        title="Nettoyage des bureaux de la préfecture",
        place={"level": "departement", "code": "2A"},
        amount_min_eur=40_000,
        amount_max_eur=90_000,
        details={"contact_email": "acheteur@prefecture.fr", "contact_company_name": "Préfecture"},
    )
    closed = _deposit(market, title="Déjà clos", place={"level": "departement", "code": "2A"})
    assert market.sourcing.post(f"/v1/needs/{closed['id']}/close", headers=BUYER).status_code == 200

    found = _open_needs(market, structure_id)
    assert matched["id"] not in found  # it matched: the structure has it in its needs
    assert closed["id"] not in found
    missed = found[int(str(elsewhere["id"]))]
    assert missed["missing"] == ["zone"]
    assert any(w.startswith("Secteur déclaré : ") for w in missed["why"])
    assert any("Hors de vos zones d'intervention" in w for w in missed["why"])
    assert missed["sectors"] == [CLEANING]
    assert "Corse-du-Sud" in str(missed["place"])
    assert missed["amount_band"] == "de 40\u202f000 € à 90\u202f000 € HT"
    # Nothing of the buyer reaches the structure.
    text = str(missed)
    assert "prefecture.fr" not in text and "Préfecture" not in text and "buyer" not in text


def test_a_need_on_the_territory_in_another_sector_says_the_sector_is_missing(
    market: Market,
) -> None:
    structure_id = next(iter(market.managed))
    department = market.catalog.get(f"/v1/structures/{structure_id}").json()["department_code"]
    sectors = {
        a["sector"]
        for a in market.catalog.get(f"/v1/structures/{structure_id}").json()["activities"]
    }
    assert GARDENS not in sectors
    other = _deposit(
        market,
        title="Tonte des espaces verts",
        sectors=[GARDENS],
        place={"level": "departement", "code": department},
    )
    missed = _open_needs(market, structure_id)[int(str(other["id"]))]
    assert missed["missing"] == ["sector"]
    assert missed["why"][0].startswith("Secteur non déclaré : ")


def test_open_needs_are_for_the_structures_managers_only(market: Market) -> None:
    first, second = list(market.managed)[:2]
    refused = market.sourcing.get(
        f"/v1/structures/{first}/open-needs", headers=market.managed[second]
    )
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert (
        market.sourcing.get(f"/v1/structures/{first}/open-needs", headers=STAFF).status_code == 200
    )


@pytest.fixture
def moderated(market: Market) -> Iterator[None]:
    settings = state_of(market.sourcing.app, SourcingState).settings  # type: ignore[arg-type]
    settings.moderation = True
    yield
    settings.moderation = False


def test_staff_queue_and_reject_with_a_reason_mailed_to_the_buyer(
    market: Market, moderated: None
) -> None:
    first = _deposit(market, title="Besoin à modérer 1", details={"contact_company_name": "Mairie"})
    second = _deposit(market, title="Besoin à modérer 2")
    assert first["status"] == second["status"] == "moderation"

    buyer_try = market.sourcing.get("/v1/staff/needs?status=moderation", headers=BUYER)
    assert buyer_try.status_code == 403
    queue = market.sourcing.get("/v1/staff/needs?status=moderation", headers=STAFF).json()
    ids = [n["id"] for n in queue]
    assert ids.index(first["id"]) < ids.index(second["id"])  # oldest first
    entry = next(n for n in queue if n["id"] == first["id"])
    assert entry["buyer_organisation"] == "Mairie" and entry["buyer_email"] == "buyer-1@exemple.fr"

    path = f"/v1/needs/{first['id']}/reject"
    no_reason = market.sourcing.post(path, json={"reason": "  "}, headers=STAFF)
    assert no_reason.status_code == 422 and "reason" in no_reason.text
    assert market.sourcing.post(path, json={"reason": "x"}, headers=BUYER).status_code == 403

    before = len(market.inbox.messages)
    rejected = market.sourcing.post(
        path, json={"reason": "Précisez la surface à nettoyer."}, headers=STAFF
    )
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["status"] == "draft"
    read = market.sourcing.get(f"/v1/needs/{first['id']}", headers=BUYER).json()
    assert read["moderation_reason"] == "Précisez la surface à nettoyer."
    assert first["id"] not in [
        n["id"] for n in market.sourcing.get("/v1/staff/needs", headers=STAFF).json()
    ]
    # Twice is a conflict: it is no longer in moderation.
    assert market.sourcing.post(path, json={"reason": "x"}, headers=STAFF).status_code == 409

    market.deliver()
    mails = [m for m in market.inbox.messages[before:] if str(m["To"]) == "buyer-1@exemple.fr"]
    assert len(mails) == 1
    body = mails[0].get_content()
    assert "Précisez la surface à nettoyer." in body
    website = state_of(market.sourcing.app, SourcingState).settings.website  # type: ignore[arg-type]
    assert f"{website}/besoins/{first['id']}" in body

    # Staff validate the other one; the buyer's own publish of a need in moderation is refused.
    assert (
        market.sourcing.post(f"/v1/needs/{second['id']}/publish", headers=BUYER).status_code == 403
    )
    published = market.sourcing.post(f"/v1/needs/{second['id']}/publish", headers=STAFF)
    assert published.status_code == 200 and published.json()["status"] == "published"


def test_unknown_queue_status_is_named(market: Market) -> None:
    response = market.sourcing.get(
        "/v1/staff/needs?status=published", headers=identity("s", Role.STAFF)
    )
    assert response.status_code == 422 and "status" in response.text
