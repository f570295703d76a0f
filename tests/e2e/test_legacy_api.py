"""Contract of the reference platform's public API, as served by our gateway's facade."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.e2e.test_accounts import _account
from tests.e2e.test_services import System

STRUCTURE_FIELDS = {
    "id",
    "name",
    "brand",
    "slug",
    "siret",
    "nature",
    "kind",
    "kind_parent",
    "contact_website",
    "contact_social_website",
    "logo_url",
    "address",
    "city",
    "post_code",
    "department",
    "region",
    "is_qpv",
    "is_active",
    "sectors",
    "presta_types",
    "networks",
    "offers",
    "client_references",
    "labels_old",
    "created_at",
    "updated_at",
}


@pytest.fixture(scope="module")
def token(system: System) -> str:
    _, tokens = _account(system, "private_buyer")
    session = {"Authorization": f"Bearer {tokens['access_token']}"}
    return str(
        system.post(
            "/api/v1/keys", {"name": "registre", "scopes": ["catalog:read"]}, session
        ).json()["key"]
    )


def _get(system: System, path: str, bearer: str | None, **params: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    return httpx.get(system.gateway.url + path, params=params, headers=headers, timeout=30)


def test_missing_or_bad_token(system: System) -> None:
    missing = _get(system, "/api/siae/", None)
    assert (
        missing.status_code == 401 and missing.headers["www-authenticate"] == 'Bearer realm="api"'
    )
    short = _get(system, "/api/siae/", "abc")
    assert short.status_code == 401
    unknown = _get(system, "/api/siae/", "a" * 64)
    assert unknown.status_code == 401


def test_legacy_query_token_is_deprecated_but_works(system: System, token: str) -> None:
    response = _get(system, "/api/siae/kinds/", None, token=token, format="json", limit=3)
    assert response.status_code == 200 and response.headers["deprecation"] == "true"
    # A client that authenticates by `?token=` follows `next` with nothing else to add.
    following = httpx.get(response.json()["next"], timeout=30)
    assert following.status_code == 200, following.text
    assert following.json()["results"] and following.json()["previous"]
    listed = _get(system, "/api/siae/", None, token=token, kind=["EI", "ACI"], limit=2).json()
    assert f"token={token}" in listed["next"] and "kind=EI" in listed["next"]
    assert "kind=ACI" in listed["next"]
    assert httpx.get(listed["next"], timeout=30).json()["results"][0]["kind"] in ("EI", "ACI")
    # A client that sent a header never finds a token in the links.
    by_header = _get(system, "/api/siae/", token, limit=2).json()
    assert "token" not in by_header["next"]


def test_session_tokens_are_accepted_like_api_keys(system: System) -> None:
    _, tokens = _account(system, "public_buyer")
    access = tokens["access_token"]
    listed = _get(system, "/api/siae/", access, kind="ESAT", department="69", limit=5)
    assert listed.status_code == 200, listed.text
    assert listed.json()["count"] == 31
    assert _get(system, "/api/siae/kinds/", None, token=access).status_code == 200
    assert _get(system, "/api/siae/", access + "x").status_code == 401


def test_paging_values_are_refused_by_name(system: System, token: str) -> None:
    for name, value in (("limit", 0), ("limit", -1), ("offset", -1)):
        response = _get(system, "/api/siae/", token, **{name: value})
        assert response.status_code == 422, (name, value, response.text)
        assert response.json()["errors"][0]["field"] == name
    assert _get(system, "/api/siae/kinds/", token, limit=0).status_code == 422


def test_a_large_limit_gets_the_whole_list_in_one_call(system: System, token: str) -> None:
    with httpx.stream(
        "GET",
        system.gateway.url + "/api/siae/",
        params={"is_active": "true", "limit": 20000},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    ) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers  # written as it is read
        body = json.loads(response.read())
    ids = [s["id"] for s in body["results"]]
    assert body["count"] == 5_344 == len(ids) == len(set(ids))
    assert ids == sorted(ids) and body["next"] is None and body["previous"] is None
    assert set(body["results"][0]) == STRUCTURE_FIELDS
    tail = _get(system, "/api/siae/", token, is_active="true", limit=20000, offset=5_000).json()
    assert len(tail["results"]) == 344 and tail["results"][0]["id"] == ids[5_000]
    assert "offset=0" in tail["previous"]


def test_dates_are_the_sources_so_incremental_sync_works(system: System, token: str) -> None:
    esat = _get(system, "/api/siae/", token, kind="ESAT", department="69", limit=50).json()
    assert {r["updated_at"][:10] for r in esat["results"]} == {"2026-06-24"}  # the FINESS list
    siae = _get(system, "/api/siae/", token, kind="AI", department="62", limit=50).json()
    assert siae["count"] > 0
    assert {r["updated_at"][:10] for r in siae["results"]} <= {"2020-12-18", "2021-02-23"}
    assert all(r["created_at"] <= r["updated_at"] for r in siae["results"])
    since = {"kind": "ESAT", "department": "69"}
    assert _get(system, "/api/siae/", token, **since, updated_at_after="2026-06-25").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    before = _get(system, "/api/siae/", token, **since, updated_at_before="2026-06-25T00:00:00")
    assert before.json()["count"] == 31
    old = _get(
        system, "/api/siae/", token, kind="AI", department="62", updated_at_after="2021-03-01"
    )
    assert old.json()["count"] == 0


def test_unknown_filters_are_refused(system: System, token: str) -> None:
    for params, field in (
        ({"departement": "93"}, "departement"),
        ({"kinds": "EI"}, "kinds"),
        ({"format": "xml"}, "format"),
    ):
        response = _get(system, "/api/siae/", token, **params)
        assert response.status_code == 400, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == field
        assert "department" in response.json()["detail"]  # what is accepted
    for path, params in (
        ("/api/siae/kinds/", {"parent": "Handicap"}),
        ("/api/perimeters/", {"kind": "REGION", "departement": "93"}),
        ("/api/sectors/", {"group": "x"}),
    ):
        response = _get(system, path, token, **params)
        assert response.status_code == 400, (path, response.text)
        assert response.json()["errors"][0]["field"] in params


def test_paging_through_the_whole_list_gets_every_active_structure_once(
    system: System, token: str
) -> None:
    seen: list[int] = []
    url: str | None = system.gateway.url + "/api/siae/?is_active=true&limit=1000"
    count = None
    while url:
        body = httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30).json()
        count = body["count"]
        seen += [s["id"] for s in body["results"]]
        url = body["next"]
    assert count == 5_344 and len(seen) == 5_344 and len(set(seen)) == 5_344
    default = _get(system, "/api/siae/", token).json()
    assert (
        len(default["results"]) == 100
        and default["previous"] is None
        and "offset=100" in default["next"]
    )


def test_structure_object_and_lookups(system: System, token: str) -> None:
    listed = _get(system, "/api/siae/", token, kind="ESAT", department="69", limit=50).json()
    assert listed["count"] == 31
    structure = listed["results"][0]
    assert set(structure) == STRUCTURE_FIELDS
    assert structure["kind"] == "ESAT" and structure["kind_parent"] == "Handicap"
    assert "email" not in str(structure).lower() and "phone" not in str(structure).lower()
    assert _get(system, f"/api/siae/{structure['id']}/", token).json()["id"] == structure["id"]
    assert (
        _get(system, f"/api/siae/slug/{structure['slug']}/", token).json()["id"] == structure["id"]
    )
    assert _get(system, "/api/siae/2000000000/", token).status_code == 404
    siae = _get(system, "/api/siae/", token, kind="EI", limit=1).json()["results"][0]
    by_siret = _get(system, f"/api/siae/siret/{siae['siret']}/", token).json()
    by_siren = _get(system, f"/api/siae/siren/{siae['siret'][:9]}/", token).json()
    assert isinstance(by_siret, list) and siae["id"] in [s["id"] for s in by_siret]
    assert siae["id"] in [s["id"] for s in by_siren]
    assert _get(system, "/api/siae/siren/12345/", token).status_code == 400
    assert _get(system, "/api/siae/siret/123/", token).status_code == 400


def test_filters(system: System, token: str) -> None:
    cleaning = _get(
        system, "/api/siae/", token, sectors="nettoyage-de-locaux-16", department="93"
    ).json()
    assert cleaning["count"] > 0
    assert all(
        "nettoyage-de-locaux-16" in [s["slug"] for s in r["sectors"]] for r in cleaning["results"]
    )
    prest = _get(system, "/api/siae/", token, presta_types="PREST", department="93").json()
    assert all("PREST" in r["presta_types"] for r in prest["results"])
    several = _get(system, "/api/siae/", token, kind=["EI", "ACI"], department="93").json()
    assert {r["kind"] for r in several["results"]} <= {"EI", "ACI"}
    recent = _get(system, "/api/siae/", token, updated_at_after="2100-01-01T00:00:00").json()
    assert recent["count"] == 0


def test_reference_lists(system: System, token: str) -> None:
    kinds = _get(system, "/api/siae/kinds/", token).json()
    assert kinds["count"] == 10 and set(kinds["results"][0]) == {"id", "name", "parent"}
    assert set(_get(system, "/api/siae/presta-types/", token).json()["results"][0]) == {
        "id",
        "name",
    }
    sectors = _get(system, "/api/sectors/", token, limit=1000).json()
    assert sectors["count"] == 154 and set(sectors["results"][0]) == {"name", "slug", "group"}
    assert set(sectors["results"][0]["group"]) == {"name", "slug"}
    assert _get(system, "/api/networks/", token).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }
    regions = _get(system, "/api/perimeters/", token, kind="REGION").json()
    assert regions["count"] == 26
    assert set(regions["results"][0]) == {
        "id",
        "name",
        "slug",
        "kind",
        "insee_code",
        "post_codes",
        "department_code",
        "region_code",
    }
    assert _get(system, "/api/tenders/kinds/", token).json()["count"] == 3
    amounts = _get(system, "/api/tenders/amounts/", token).json()["results"]
    assert len(amounts) == 14 and amounts[0]["id"] == "0-1K" and amounts[-1]["id"] == ">1M"


def test_autocomplete_needs_no_token(system: System) -> None:
    grenoble = _get(system, "/api/perimeters/autocomplete/", None, q="grenoble", kind="CITY").json()
    assert grenoble[0]["slug"] == "grenoble-38"
    by_postcode = _get(system, "/api/perimeters/autocomplete/", None, q="38000").json()
    assert any(p["insee_code"] == "38185" for p in by_postcode)
    assert len(_get(system, "/api/perimeters/autocomplete/", None, q="s", results=20).json()) == 20
    assert _get(system, "/api/perimeters/autocomplete/", None, q="s", results=21).status_code == 422


TENDER = {
    "kind": "QUOTE",
    "title": "Nettoyage des vitres de la médiathèque",
    "sectors": ["nettoyage-de-locaux-16"],
    "presta_type": ["PREST"],
    "location": "seine-saint-denis",
    "description": "Vitres intérieures et extérieures, deux fois par an.",
    "amount": "5-10K",
    "deadline_date": "2027-03-31",
    "contact_email": "acheteur@ville.fr",
    "response_kind": ["EMAIL"],
    "extra_data": {"id": "projet-42", "source": "portail"},
}


@pytest.fixture(scope="module")
def buyer_token(system: System) -> str:
    _, tokens = _account(system, "public_buyer")
    session = {"Authorization": f"Bearer {tokens['access_token']}"}
    return str(
        system.post(
            "/api/v1/keys", {"name": "portail", "scopes": ["needs:write", "needs:read"]}, session
        ).json()["key"]
    )


def test_posted_tender_becomes_a_matched_need_and_reposting_updates_it(
    system: System, buyer_token: str
) -> None:
    headers = {"Authorization": f"Bearer {buyer_token}"}
    first = httpx.post(
        system.gateway.url + "/api/tenders/", json=TENDER, headers=headers, timeout=30
    )
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["title"] == TENDER["title"] and body["slug"].startswith(
        "nettoyage-des-vitres-de-la-mediatheque-"
    )
    need_id = int(body["slug"].rsplit("-", 1)[1])
    need = system.get(f"/api/v1/needs/{need_id}", headers=headers).json()
    assert need["status"] == "published" and need["matches"] > 0
    assert (need["place_level"], need["place_code"]) == ("departement", "93")
    assert (need["amount_min_eur"], need["amount_max_eur"]) == (5_000, 10_000)
    again = httpx.post(
        system.gateway.url + "/api/tenders/",
        json={**TENDER, "title": "Nettoyage des vitres (révisé)"},
        headers=headers,
        timeout=30,
    )
    assert again.status_code == 201 and again.json()["slug"].endswith(f"-{need_id}")
    assert (
        system.get(f"/api/v1/needs/{need_id}", headers=headers).json()["title"]
        == "Nettoyage des vitres (révisé)"
    )


def test_tender_errors(system: System, buyer_token: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {buyer_token}"}
    assert (
        httpx.post(system.gateway.url + "/api/tenders/", json=TENDER, timeout=30).status_code == 401
    )
    read_only = httpx.post(
        system.gateway.url + "/api/tenders/",
        json=TENDER,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert read_only.status_code == 403
    for change, field in (
        ({"location": "nulle-part"}, "location"),
        ({"kind": "OTHER"}, "kind"),
        ({"sectors": ["inconnu"]}, "sectors/0"),
        ({"deadline_date": "2020-01-31"}, "deadline_date"),
        ({"contact_email": "pas-une-adresse"}, "contact_email"),
    ):
        response = httpx.post(
            system.gateway.url + "/api/tenders/",
            json={**TENDER, **change},
            headers=headers,
            timeout=30,
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["field"] in (field, field.replace("/", "."))
        assert response.json()["instance"] == "/api/tenders/"
