"""Finding a structure before claiming it (SIRET, SIREN, name with or without accents), claims
without SIRET, whether a listing is searchable yet, and the staff's import runs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select

from services.catalog.imports.models import ImportRun
from services.catalog.state import CatalogState
from services.catalog.structures.lookup import lookup
from services.catalog.structures.models import Structure
from services.common.identity import Principal, Role
from services.common.state import state_of
from services.common.text import fold
from tests.catalog.api_support import STAFF, CatalogApi, identity
from tests.catalog.test_ownership import account, fresh_structure, make_admin
from tests.conftest import drain
from tests.support import Meili


def _structures(api: CatalogApi, *where: object) -> list[Structure]:
    with Session(api.engine) as session:
        return list(
            session.exec(select(Structure).where(*where).order_by(col(Structure.id)))  # type: ignore[arg-type]
        )


def _shared_siren(engine: Engine) -> str:
    """A SIREN with several active establishments in the real data."""
    with Session(engine) as session:
        siren = session.exec(
            select(Structure.siren)
            .where(col(Structure.siren).is_not(None), col(Structure.is_active))
            .group_by(Structure.siren)
            .having(func.count(col(Structure.siret).distinct()) > 1)
            .order_by(Structure.siren)
        ).first()
    assert siren is not None
    return siren


def _accented(engine: Engine) -> Structure:
    """An active structure whose name has an accented word of 6 letters or more."""
    with Session(engine) as session:
        for structure in session.exec(
            select(Structure).where(col(Structure.is_active)).order_by(col(Structure.id))
        ):
            words = [w for w in structure.name.split() if len(w) >= 6 and fold(w) != w.lower()]
            if words:
                return structure
    raise AssertionError("no accented name")


def test_lookup_by_siret(catalog_api: CatalogApi) -> None:
    api, structure = catalog_api, fresh_structure(catalog_api)
    who = identity(account())
    spaced = (
        f"{structure.siret[:3]} {structure.siret[3:6]} {structure.siret[6:9]} {structure.siret[9:]}"  # type: ignore[index]
    )
    for q in (structure.siret, spaced):
        found = api.client.get("/v1/structures/lookup", params={"q": q}, headers=who)
        assert found.status_code == 200, found.text
        hit = next(h for h in found.json() if h["id"] == structure.id)
        assert hit["siret"] == structure.siret and hit["kind_label"]
        assert hit["managed"] is False and hit["mine"] is False and hit["claim"] is None
        assert {h["siret"] for h in found.json()} == {structure.siret}


def test_lookup_by_siren_finds_every_establishment(catalog_api: CatalogApi) -> None:
    api = catalog_api
    siren = _shared_siren(api.engine)
    expected = {s.id for s in _structures(api, Structure.siren == siren, col(Structure.is_active))}
    found = api.client.get("/v1/structures/lookup", params={"q": siren}, headers=STAFF).json()
    assert {h["id"] for h in found} == expected and len({h["siret"] for h in found}) > 1


def test_lookup_by_name_ignores_accents_and_case(catalog_api: CatalogApi) -> None:
    api = catalog_api
    structure = _accented(api.engine)
    word = next(w for w in structure.name.split() if len(w) >= 6 and fold(w) != w.lower())
    who = identity(account())
    for q in (fold(word), word.upper(), fold(word).upper()):
        found = api.client.get("/v1/structures/lookup", params={"q": q}, headers=who).json()
        assert structure.id in {h["id"] for h in found} or len(found) == 20, (q, found)
        assert all(fold(word) in fold(f"{h['name']} {h['brand'] or ''}") for h in found)
    # Two words of the name, plainly typed, with its département.
    words = " ".join(fold(structure.name).split()[:2])
    narrowed = api.client.get(
        "/v1/structures/lookup",
        params={"q": words, "department": structure.department_code},
        headers=who,
    ).json()
    assert structure.id in {h["id"] for h in narrowed}
    assert {h["department"] for h in narrowed} == {structure.department_code}


def test_lookup_says_what_i_manage_and_claimed(catalog_api: CatalogApi) -> None:
    api = catalog_api
    structure, other = fresh_structure(api), fresh_structure(api)
    admin = make_admin(api, structure)
    claimant = identity(account())
    claim = api.client.post("/v1/claims", json={"siret": other.siret}, headers=claimant).json()

    def hit(who: Mapping[str, str], target: Structure) -> dict[str, object]:
        found = api.client.get("/v1/structures/lookup", params={"q": target.siret}, headers=who)
        return dict(next(h for h in found.json() if h["id"] == target.id))

    mine = hit(admin, structure)
    assert mine["managed"] is True and mine["mine"] is True
    assert mine["claim"] is not None and mine["claim"]["status"] == "accepted"  # type: ignore[index]
    seen_by_other = hit(claimant, structure)
    assert seen_by_other["managed"] is True and seen_by_other["mine"] is False
    assert seen_by_other["claim"] is None
    assert hit(claimant, other)["claim"] == {"id": claim["id"], "status": "pending"}


def test_lookup_refusals_and_delisted(catalog_api: CatalogApi) -> None:
    api = catalog_api
    structure = fresh_structure(api)
    who = identity(account())
    assert api.client.get("/v1/structures/lookup", params={"q": structure.siret}).status_code == 401
    for params, field in (
        ({}, "q"),
        ({"q": "a"}, "q"),
        ({"q": "--"}, "q"),
        ({"q": "nettoyage", "department": "999x"}, "department"),
    ):
        refused = api.client.get("/v1/structures/lookup", params=params, headers=who)
        assert refused.status_code == 422, (params, refused.text)
        assert refused.headers["content-type"] == "application/problem+json"
        assert field in refused.text
    admin = make_admin(api, structure)
    assert (
        api.patch(f"/v1/structures/{structure.id}", {"is_active": False}, STAFF).status_code == 200
    )
    params = {"q": structure.siret, "include_inactive": "true"}
    assert api.client.get("/v1/structures/lookup", params=params, headers=who).status_code == 403
    assert (
        api.client.get("/v1/structures/lookup", params={"q": structure.siret}, headers=who).json()
        == []
    )
    staff_view = api.client.get("/v1/structures/lookup", params=params, headers=STAFF).json()
    assert [(h["id"], h["is_active"]) for h in staff_view] == [(structure.id, False)]
    # Delisted: gone for the public and other accounts; the staff read it (and its version, to
    # relist it), and so do its own managers.
    path = f"/v1/structures/{structure.id}"
    assert api.client.get(path).status_code == 404
    assert api.client.get(path, headers=who).status_code == 404
    read = api.client.get(path, headers=STAFF)
    assert read.status_code == 200 and read.json()["is_active"] is False and read.headers["etag"]
    assert api.client.get(path, headers=admin).json()["is_active"] is False


def _lookup_on(engine: Engine) -> None:
    """The same answers, and cheap, on the real data of either database."""
    structure, siren = _accented(engine), _shared_siren(engine)
    principal = Principal(account_id="lookup-test", role=Role.SUPPLIER_MANAGER)
    word = next(w for w in structure.name.split() if len(w) >= 6 and fold(w) != w.lower())
    with Session(engine) as session:
        started = time.perf_counter()
        by_name = lookup(session, principal, fold(word).upper(), None, False)
        by_siren = lookup(session, principal, siren, None, False)
        by_siret = lookup(session, principal, structure.siret or siren, None, False)
        elapsed = time.perf_counter() - started
    assert by_name and all(fold(word) in fold(f"{h.name} {h.brand or ''}") for h in by_name)
    assert len({h.siret for h in by_siren}) > 1 and by_siret
    assert elapsed < 1.0, elapsed


def test_lookup_on_sqlite(loaded_sqlite_catalog: Engine) -> None:
    _lookup_on(loaded_sqlite_catalog)


@pytest.mark.postgres
def test_lookup_on_postgres(loaded_postgres_catalog: Engine) -> None:
    _lookup_on(loaded_postgres_catalog)


def test_claim_a_structure_without_siret(catalog_api: CatalogApi) -> None:
    api = catalog_api
    esat = _structures(api, col(Structure.siret).is_(None), col(Structure.is_active))[0]
    who = identity(account())
    claim = api.client.post("/v1/claims", json={"structure_id": esat.id}, headers=who)
    assert claim.status_code == 201, claim.text
    assert claim.json()["structure_id"] == esat.id and claim.json()["status"] == "pending"
    neither = api.client.post("/v1/claims", json={"message": "Bonjour"}, headers=who)
    assert neither.status_code == 422 and "siret" in neither.text
    unknown = api.client.post("/v1/claims", json={"structure_id": 99_999_999}, headers=who)
    assert unknown.status_code == 404


def test_indexing_status_follows_the_outbox(catalog_api: CatalogApi, meili: Meili) -> None:
    api, structure = catalog_api, fresh_structure(catalog_api)
    admin = make_admin(api, structure)
    path = f"/v1/structures/{structure.id}/indexing"
    index = state_of(api.client.app, CatalogState).settings.meili_index  # type: ignore[arg-type]
    asyncio.run(drain(api.engine, meili, index))
    settled = api.client.get(path, headers=admin)
    assert settled.status_code == 200, settled.text
    assert settled.json()["searchable"] is True and settled.json()["pending_since"] is None

    assert api.patch(
        f"/v1/structures/{structure.id}", {"brand": "Nouvelle enseigne"}, admin
    ).is_success
    waiting = api.client.get(path, headers=admin).json()
    assert waiting["searchable"] is False and waiting["pending_since"] is not None
    assert waiting["version"] == settled.json()["version"] + 1

    asyncio.run(drain(api.engine, meili, index))
    applied = api.client.get(path, headers=admin).json()
    assert applied["searchable"] is True and applied["pending_since"] is None
    assert (
        applied["last_indexed_at"] is not None
        and applied["last_indexed_at"] >= waiting["pending_since"]
    )

    for who in (identity(account()), identity(account(), Role.PUBLIC_BUYER)):
        refused = api.client.get(path, headers=who)
        assert refused.status_code == 403 and refused.headers["content-type"] == (
            "application/problem+json"
        )
    assert api.client.get(path, headers=STAFF).status_code == 200


def test_staff_read_import_runs(catalog_api: CatalogApi) -> None:
    api = catalog_api
    with Session(api.engine) as session:
        run = ImportRun(
            source="siae",
            file_sha256="0" * 64,
            rejected=120,
            rejections=[
                {
                    "line": n + 2,
                    "key": f"{n:014d}",
                    "reason": "Le SIRET ne passe pas la clé de Luhn",
                }
                for n in range(120)
            ],
        )
        session.add(run)
        session.commit()
        run_id = run.id
    runs = api.client.get("/v1/staff/imports", headers=STAFF)
    assert runs.status_code == 200, runs.text
    listed = runs.json()
    assert listed[0]["id"] == run_id and [r["id"] for r in listed] == sorted(
        (r["id"] for r in listed), reverse=True
    )
    assert {"siae", "esat"} <= {r["source"] for r in listed}
    assert "rejections" not in listed[0]
    real = next(r for r in listed if r["source"] == "siae" and r["id"] != run_id)
    assert real["rejected"] == 13 and real["created"] > 3000 and real["finished_at"]

    first = api.client.get(f"/v1/staff/imports/{run_id}", headers=STAFF).json()
    third = api.client.get(f"/v1/staff/imports/{run_id}?page=3", headers=STAFF).json()
    assert first["pages"] == 3 and len(first["rejections"]) == 50 and len(third["rejections"]) == 20
    assert first["rejections"][0] == {
        "line": 2,
        "key": "00000000000000",
        "reason": "Le SIRET ne passe pas la clé de Luhn",
    }
    assert third["rejections"][-1]["line"] == 121
    real_detail = api.client.get(f"/v1/staff/imports/{real['id']}", headers=STAFF).json()
    assert len(real_detail["rejections"]) == 13 and all(
        r["reason"] for r in real_detail["rejections"]
    )

    beyond = api.client.get(f"/v1/staff/imports/{run_id}?page=4", headers=STAFF)
    assert beyond.status_code == 422 and "page" in beyond.text
    assert api.client.get("/v1/staff/imports/99999", headers=STAFF).status_code == 404
    for who in (identity(account()), identity(account(), Role.PUBLIC_BUYER)):
        assert api.client.get("/v1/staff/imports", headers=who).status_code == 403
        assert api.client.get(f"/v1/staff/imports/{run_id}", headers=who).status_code == 403
