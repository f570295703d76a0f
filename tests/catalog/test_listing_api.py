"""Managers keep their listing: concurrency guarded by ETags, validation naming the field,
an audit trail, activities and offers, and imports that never overwrite a manager's edit."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlmodel import Session, select

from services.catalog.imports.service import import_source
from services.catalog.imports.sources import SIAE
from services.catalog.structures.models import Activity, Structure
from tests.catalog.api_support import STAFF, CatalogApi, catalog_settings, make_client
from tests.catalog.test_ownership import _used, fresh_structure, make_admin
from tests.support import DATA, Meili


@pytest.fixture
def listing(catalog_api: CatalogApi) -> tuple[CatalogApi, Structure, Mapping[str, str]]:
    structure = fresh_structure(catalog_api)
    return catalog_api, structure, make_admin(catalog_api, structure)


def _concurrent_patches(
    api: CatalogApi, structure_id: int, who: Mapping[str, str], writers: int
) -> list[int]:
    path = f"/v1/structures/{structure_id}"
    etag = api.etag(path)

    def write(n: int) -> int:
        return api.patch(path, {"brand": f"Écrit par {n}"}, who, etag=etag).status_code

    with ThreadPoolExecutor(writers) as pool:
        return list(pool.map(write, range(writers)))


def test_stale_writes_are_refused(listing: tuple[CatalogApi, Structure, Mapping[str, str]]) -> None:
    api, structure, admin = listing
    path = f"/v1/structures/{structure.id}"
    etag = api.etag(path)
    first = api.patch(path, {"brand": "Première"}, admin, etag=etag)
    assert first.status_code == 200 and first.headers["etag"] != etag
    stale = api.patch(path, {"brand": "Seconde"}, STAFF, etag=etag)
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert api.client.get(path).json()["brand"] == "Première"
    missing = api.client.patch(path, json={"brand": "x"}, headers=admin)
    assert missing.status_code == 428


def test_simultaneous_writers_one_wins(
    listing: tuple[CatalogApi, Structure, Mapping[str, str]],
) -> None:
    api, structure, admin = listing
    statuses = _concurrent_patches(api, structure.id or 0, admin, 6)
    assert sorted(statuses) == [200] + [412] * 5


@pytest.fixture(scope="module")
def postgres_api(
    postgres_server: str, tmp_path_factory: pytest.TempPathFactory, meili: Meili, run_id: str
) -> Iterator[CatalogApi]:
    from tests.conftest import _loaded_catalog, _postgres_database

    folder = tmp_path_factory.mktemp("pg_api")
    for url in _postgres_database(postgres_server):
        engine = _loaded_catalog(url)
        settings = catalog_settings(
            url, folder / "mail", meili.url, meili.key, f"test_{run_id}_pgapi"
        )
        with make_client(settings) as client:
            yield CatalogApi(client, engine, folder / "mail")
        engine.dispose()


@pytest.mark.postgres
def test_simultaneous_writers_one_wins_on_postgres(postgres_api: CatalogApi) -> None:
    structure = fresh_structure(postgres_api)
    admin = make_admin(postgres_api, structure)
    statuses = _concurrent_patches(postgres_api, structure.id or 0, admin, 6)
    assert sorted(statuses) == [200] + [412] * 5


@pytest.mark.parametrize(
    ("body", "pointer", "words"),
    [
        ({"brand": "x", "colour": "red"}, "/body/colour", "champ inconnu"),
        ({"website": "pas une adresse"}, "/body/website", ""),
        ({"postcode": "7500"}, "/body/postcode", "format"),
        ({"commune_code": "99999"}, "/body/commune_code", "commune INSEE inconnue"),
        (
            {"commune_code": "75056", "postcode": "13001"},
            "/body/postcode",
            "n'est pas celui de Paris",
        ),
        ({"year_founded": 1500}, "/body/year_founded", "supérieur ou égal à 1800"),
        ({"description": "x" * 5001}, "/body/description", "5000"),
        ({"networks": ["Pas Un Slug"]}, "/body/networks/0", "format"),
        (
            {"client_references": [{"name": "Ville", "logo_url": "ftp:/x"}]},
            "/body/client_references/0/logo_url",
            "",
        ),
    ],
)
def test_invalid_edits_name_the_field(
    listing: tuple[CatalogApi, Structure, Mapping[str, str]],
    body: dict[str, object],
    pointer: str,
    words: str,
) -> None:
    api, structure, admin = listing
    response = api.patch(f"/v1/structures/{structure.id}", body, admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    error = response.json()["errors"][0]
    assert error["pointer"] == pointer and words in error["detail"]


def test_moving_sets_place_flags_and_provenance(
    listing: tuple[CatalogApi, Structure, Mapping[str, str]],
) -> None:
    api, structure, admin = listing
    moved = api.patch(
        f"/v1/structures/{structure.id}",
        {"address": "1 place de l'Hôtel de Ville", "postcode": "93200", "commune_code": "93066"},
        admin,
    ).json()
    assert (moved["commune_code"], moved["department_code"], moved["region_code"]) == (
        "93066",
        "93",
        "11",
    )
    assert moved["is_qpv"] is True  # Saint-Denis has QPVs
    assert moved["city"] == "Saint-Denis"  # the town shown follows the commune
    assert moved["field_sources"]["address"]["source"] == "manager"
    assert moved["field_sources"]["commune_code"]["source"] == "manager"


def test_audit_trail_records_who_what_when(
    listing: tuple[CatalogApi, Structure, Mapping[str, str]],
) -> None:
    api, structure, admin = listing
    before = api.client.get(f"/v1/structures/{structure.id}").json()["brand"]
    api.patch(
        f"/v1/structures/{structure.id}",
        {"brand": "Enseigne auditée", "headcount_insertion": 12},
        admin,
    )
    trail = api.client.get(f"/v1/structures/{structure.id}/audit", headers=admin).json()
    latest = trail["items"][0]
    assert latest["action"] == "structure.update"
    assert latest["actor"] == admin_account(admin)
    assert latest["changes"]["brand"] == [before, "Enseigne auditée"]
    assert latest["changes"]["headcount_insertion"] == [None, 12]
    assert any(item["action"] == "claim.accept" for item in trail["items"])


def admin_account(who: Mapping[str, str]) -> str:
    from services.common.identity import verify_identity

    return verify_identity(who["x-mi-identity"], "test-identity-secret-0123456789").account_id


def test_activities_lifecycle(listing: tuple[CatalogApi, Structure, Mapping[str, str]]) -> None:
    api, structure, admin = listing
    base = f"/v1/structures/{structure.id}/activities"
    created = api.client.post(
        base,
        json={
            "sector": "nettoyage-de-locaux-16",
            "presta_types": ["PREST"],
            "range": "radius",
            "radius_km": 30,
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    activity = created.json()
    assert activity["inferred"] is False
    path = f"{base}/{activity['id']}"
    changed = api.client.patch(
        path,
        json={
            "range": "zones",
            "zones": [{"type": "departement", "code": "93"}, {"type": "commune", "code": "75056"}],
        },
        headers={**admin, "If-Match": created.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["radius_km"] is None and len(changed.json()["zones"]) == 2
    stale = api.client.delete(path, headers={**admin, "If-Match": created.headers["etag"]})
    assert stale.status_code == 412
    gone = api.client.delete(path, headers={**admin, "If-Match": changed.headers["etag"]})
    assert gone.status_code == 204
    assert activity["id"] not in [a["id"] for a in api.client.get(base).json()]


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"sector": "inconnu", "presta_types": ["PREST"], "range": "country"}, "/body/sector"),
        (
            {
                "sector": "nettoyage-de-locaux-16",
                "presta_types": ["PREST"],
                "range": "radius",
                "radius_km": 0,
            },
            "/body/radius_km",
        ),
        (
            {
                "sector": "nettoyage-de-locaux-16",
                "presta_types": ["PREST"],
                "range": "radius",
                "radius_km": 1001,
            },
            "/body/radius_km",
        ),
        (
            {"sector": "nettoyage-de-locaux-16", "presta_types": ["PREST"], "range": "radius"},
            "/body/radius_km",
        ),
        (
            {"sector": "nettoyage-de-locaux-16", "presta_types": [], "range": "country"},
            "/body/presta_types",
        ),
        (
            {"sector": "nettoyage-de-locaux-16", "presta_types": ["XX"], "range": "country"},
            "/body/presta_types/0",
        ),
        (
            {
                "sector": "nettoyage-de-locaux-16",
                "presta_types": ["PREST"],
                "range": "zones",
                "zones": [{"type": "departement", "code": "00"}],
            },
            "/body/zones/0/code",
        ),
    ],
)
def test_invalid_activities_name_the_field(
    listing: tuple[CatalogApi, Structure, Mapping[str, str]], body: dict[str, object], pointer: str
) -> None:
    api, structure, admin = listing
    response = api.client.post(
        f"/v1/structures/{structure.id}/activities", json=body, headers=admin
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == pointer


def test_inferred_activity_is_confirmed(catalog_api: CatalogApi) -> None:
    with Session(catalog_api.engine) as session:
        inferred = next(
            a
            for a in session.exec(select(Activity).where(Activity.inferred))
            if a.structure_id not in _used
        )
        _used.add(inferred.structure_id)
        structure = session.get(Structure, inferred.structure_id)
        assert structure is not None
    admin = make_admin(catalog_api, structure)
    path = f"/v1/structures/{structure.id}/activities/{inferred.id}/confirm"
    etag = f'"v{inferred.version}"'
    confirmed = catalog_api.client.post(path, headers={**admin, "If-Match": etag})
    assert confirmed.status_code == 200 and confirmed.json()["inferred"] is False


def test_offers_with_inherited_delivery_zone(
    listing: tuple[CatalogApi, Structure, Mapping[str, str]],
) -> None:
    api, structure, admin = listing
    base = f"/v1/structures/{structure.id}"
    api.client.post(
        f"{base}/activities",
        json={
            "sector": "creation-et-entretien-des-espaces-verts",
            "presta_types": ["PREST"],
            "range": "radius",
            "radius_km": 25,
        },
        headers=admin,
    )
    offer = api.client.post(
        f"{base}/offers",
        json={
            "title": "Entretien d'espaces verts",
            "sector": "creation-et-entretien-des-espaces-verts",
            "presta_type": "PREST",
            "price_indication": "sur devis",
            "photos": ["https://www.exemple.fr/a.jpg"],
        },
        headers=admin,
    )
    assert offer.status_code == 201, offer.text
    body = offer.json()
    assert body["delivery_zone_inherited"] is True and body["delivery_zone"]["radius_km"] == 25
    hidden = api.client.patch(
        f"{base}/offers/{body['id']}",
        json={"is_active": False},
        headers={**admin, "If-Match": offer.headers["etag"]},
    )
    assert hidden.status_code == 200
    assert api.client.get(f"{base}/offers").json() == []  # the public sees active offers only
    assert len(api.client.get(f"{base}/offers", headers=admin).json()) == 1
    bad = api.client.post(
        f"{base}/offers", json={"title": "", "sector": "x", "presta_type": "PREST"}, headers=admin
    )
    assert bad.status_code == 422


def test_import_never_overwrites_a_manager_edit(
    listing: tuple[CatalogApi, Structure, Mapping[str, str]], tmp_path: Path
) -> None:
    api, structure, admin = listing
    api.patch(f"/v1/structures/{structure.id}", {"brand": "Enseigne du gestionnaire"}, admin)
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    path = data / SIAE.path
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if f",{structure.siret}," in line)
    fields = lines[index].split(",")
    fields[5] = "Enseigne de la source"  # enseigne
    fields[8] = "99 rue de la Source"  # adresse
    lines[index] = ",".join(fields)
    path.write_text("".join(lines), encoding="utf-8")
    with Session(api.engine) as session:
        report = import_source(session, SIAE, data)
        session.commit()
        refreshed = session.get(Structure, structure.id)
        assert refreshed is not None
    assert report.updated >= 1
    assert refreshed.brand == "Enseigne du gestionnaire"
    assert refreshed.address == "99 rue de la Source"
    assert refreshed.field_sources["brand"]["source"] == "manager"
    assert refreshed.field_sources["address"]["source"] != "manager"
    trail = api.client.get(f"/v1/structures/{structure.id}/audit", headers=admin).json()["items"]
    assert trail[0]["action"] == "structure.import" and "brand" not in trail[0]["changes"]
