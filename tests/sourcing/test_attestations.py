"""Suppliers' OETH attestations on real backends (sourcing on SQLite and PostgreSQL, the real
catalog in-process for who manages what): an EA manager issues a client's attestation, the
client sees it and its deduction turns from estimate to attested; a non-EA structure, another
manager and strangers are refused; a reissue keeps the history; the PDF renders and carries
the figures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from services.common.identity import Role
from tests.catalog.api_support import STAFF, identity
from tests.common.pdf_support import pdf_text, render_pages
from tests.conftest import IndexedCatalog, _postgres_database
from tests.sourcing.oeth_support import YEAR, World, attestation_body, make_buyers, running_world
from tests.sourcing.projects_support import siret
from tests.support import migrate


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    loaded_sqlite_catalog: Engine,
    indexed_catalog: IndexedCatalog,
) -> Iterator[World]:
    backend = str(request.param)
    database_url: str | None = None
    databases: Iterator[str] = iter(())
    if backend == "postgres":
        request.applymarker(pytest.mark.postgres)
        databases = _postgres_database(request.getfixturevalue("postgres_server"))
        database_url = next(databases)
        migrate(database_url, "sourcing")
    folder = tmp_path_factory.mktemp(f"attestations_{backend}")
    with running_world(folder, loaded_sqlite_catalog, indexed_catalog, database_url) as world:
        yield world
    for _ in databases:  # drops the PostgreSQL database
        pass


@pytest.fixture
def buyers(world: World, request: pytest.FixtureRequest) -> dict[str, Any]:
    return make_buyers(world, request.node.name[:24])


def _path(structure: dict[str, Any], rest: str = "") -> str:
    return f"/v1/structures/{structure['id']}/attestations{rest}"


def test_an_issued_attestation_turns_the_clients_estimate_into_the_attested_figure(
    world: World, buyers: dict[str, Any]
) -> None:
    client = world.sourcing
    (first, buyer), (second, _) = buyers["first"], buyers["second"]
    manager = world.manager(world.ea)
    oeth = f"/v1/organisations/{first['id']}/oeth/{YEAR}"
    declared = client.put(
        oeth,
        json={"headcount": 120, "beneficiaries": 3.5, "labour_share": 0.5},
        headers=buyer,
    )
    assert declared.status_code == 200, declared.text
    view = declared.json()
    # ⌊6 % × 120⌋ = 7; (7 − 3,5) × 400 × 11,88 € = 16 632 €; rate 3,5 / 120 = 2,92 % → cap 50 %.
    assert view["contribution"]["source"] == "estimated"
    assert view["contribution"]["gross_eur"] == 16632.0
    assert view["cap_share"] == 0.5 and view["cap_eur"] == 8316.0
    # Only the EA opens the deduction: 20 000 € × 50 % × 30 % = 3 000 €; the EI does not.
    assert [
        (c["supplier_key"], c["source"], c["labour_cost_eur"], c["deductible_eur"])
        for c in view["contracts"]
    ] == [(world.ea["siret"], "estimate", 10000.0, 3000.0)]
    assert (view["deduction_eur"], view["estimated"]) == (3000.0, True)
    assert view["contribution_after_eur"] == 13632.0
    assert any("D5212-22" in line for line in view["method"])

    # The buyer knows the unknown supplier is a disabled self-employed worker.
    marked = client.post(
        f"{oeth}/tih", json={"supplier_key": "nom:atelier martin|69002", "tih": True}, headers=buyer
    )
    assert marked.status_code == 200, marked.text
    tih = next(c for c in marked.json()["contracts"] if c["kind"] == "TIH")
    assert (tih["amount_eur"], tih["deductible_eur"]) == (3000.0, 450.0)
    assert marked.json()["deduction_eur"] == 3450.0
    unknown = client.post(
        f"{oeth}/tih", json={"supplier_key": "inconnu", "tih": True}, headers=buyer
    )
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "supplier_key"

    # The EA sees its two clients, each with its own lines' total only.
    clients = client.get(f"/v1/structures/{world.ea['id']}/clients?year={YEAR}", headers=manager)
    assert clients.status_code == 200, clients.text
    mine = [c for c in clients.json() if c["organisation_id"] in (first["id"], second["id"])]
    assert [
        (c["organisation_id"], c["siren"], c["amount_eur"], c["lines"], c["attestation_id"])
        for c in mine
    ] == [
        (first["id"], first["siren"], 20000.0, 3, None),
        (second["id"], second["siren"], 7000.0, 3, None),
    ]

    issued = client.post(
        _path(world.ea),
        json=attestation_body(first["siren"], ("F-1", 12000, 9000.5), ("F-2", 8000, 5000)),
        headers=manager,
    )
    assert issued.status_code == 201, issued.text
    attestation = issued.json()
    # 14 000,50 € of labour; 30 % = 4 200,15 €.
    assert (attestation["amount_excl_vat_eur"], attestation["labour_cost_eur"]) == (
        20000.0,
        14000.5,
    )
    assert attestation["deductible_eur"] == 4200.15
    assert attestation["status"] == "issued" and attestation["version"] == 1
    assert attestation["structure"]["kind"] == "EA"
    assert attestation["structure"]["siret"] == world.ea["siret"]
    assert attestation["number"].startswith(f"AT-{YEAR}-")

    after = client.get(oeth, headers=buyer).json()
    ea = next(c for c in after["contracts"] if c["structure_id"] == world.ea["id"])
    assert (ea["source"], ea["attestation_id"]) == ("attestation", attestation["id"])
    assert (ea["labour_cost_eur"], ea["deductible_eur"]) == (14000.5, 4200.15)
    assert after["deduction_eur"] == 4650.15  # 4 200,15 + 450 (TIH still estimated)
    assert after["estimated"] is True
    client.post(
        f"{oeth}/tih",
        json={"supplier_key": "nom:atelier martin|69002", "tih": False},
        headers=buyer,
    )
    attested_only = client.get(oeth, headers=buyer).json()
    assert (attested_only["deduction_eur"], attested_only["estimated"]) == (4200.15, False)

    received = client.get(f"/v1/organisations/{first['id']}/attestations", headers=buyer)
    assert [a["id"] for a in received.json()] == [attestation["id"]]
    again = client.get(f"/v1/structures/{world.ea['id']}/clients?year={YEAR}", headers=manager)
    ids = {c["organisation_id"]: c["attestation_id"] for c in again.json()}
    assert (ids[first["id"]], ids[second["id"]]) == (attestation["id"], None)
    # The second client sees nothing of the first's attestation.
    second_buyer = buyers["second"][1]
    assert (
        client.get(f"/v1/organisations/{second['id']}/attestations", headers=second_buyer).json()
        == []
    )


def test_a_declared_contribution_and_rate_set_the_cap(world: World, buyers: dict[str, Any]) -> None:
    (first, buyer) = buyers["first"]
    oeth = f"/v1/organisations/{first['id']}/oeth/{YEAR}"
    # Rate 3 % declared, gross 5 000 €: cap 75 % = 3 750 €.
    body = {"headcount": 120, "rate": 3, "gross_contribution_eur": 5000, "labour_share": 0.5}
    view = world.sourcing.put(oeth, json=body, headers=buyer).json()
    assert view["contribution"]["source"] == "declared"
    assert (view["cap_share"], view["cap_eur"]) == (0.75, 3750.0)
    assert view["declaration"]["version"] == 1
    for field, value in (("labour_share", 1.5), ("rate", 101), ("headcount", 0), ("rate", 2.555)):
        refused = world.sourcing.put(oeth, json=body | {field: value}, headers=buyer)
        assert refused.status_code == 422, refused.text
        assert refused.json()["errors"][0]["field"] == field
    too_many = world.sourcing.put(oeth, json=body | {"beneficiaries": 121}, headers=buyer)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "beneficiaries"
    # Refused writes changed nothing; the next one is version 2.
    kept = world.sourcing.get(oeth, headers=buyer).json()["declaration"]
    assert (kept["version"], kept["rate"], kept["labour_share"]) == (1, 3.0, 0.5)
    below = world.sourcing.put(oeth, json=body | {"rate": 2.99}, headers=buyer).json()
    assert below["declaration"]["version"] == 2
    assert (below["cap_share"], below["cap_eur"]) == (0.5, 2500.0)
    unknown_year = world.sourcing.put(
        f"/v1/organisations/{first['id']}/oeth/2031",
        json={"headcount": 120, "labour_share": 0.5},
        headers=buyer,
    ).json()
    assert unknown_year["contribution"]["source"] == "missing"
    assert "2031" in unknown_year["contribution"]["estimate"]["explanation"]
    assert unknown_year["deduction_eur"] is None


def test_only_an_ea_eatt_or_esat_issues_and_labour_never_exceeds_the_amount(
    world: World, buyers: dict[str, Any]
) -> None:
    first, _ = buyers["first"]
    body = attestation_body(first["siren"], ("F-9", 1000, 500))
    refused = world.sourcing.post(_path(world.ei), json=body, headers=world.manager(world.ei))
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "structure_id"
    assert "EA" in refused.json()["detail"]
    over = attestation_body(first["siren"], ("F-9", 1000, 500), ("F-10", 1000, 1000.01))
    too_much = world.sourcing.post(_path(world.ea), json=over, headers=world.manager(world.ea))
    assert too_much.status_code == 422
    assert too_much.json()["errors"][0]["field"] == "contracts[1].labour_cost_eur"
    bad_siren = attestation_body("12345", ("F-9", 1000, 500))
    invalid = world.sourcing.post(_path(world.ea), json=bad_siren, headers=world.manager(world.ea))
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "client.siren"


def test_another_manager_a_buyer_and_staff_writing_are_refused(
    world: World, buyers: dict[str, Any]
) -> None:
    client = world.sourcing
    (first, buyer), (second, second_buyer) = buyers["first"], buyers["second"]
    issued = client.post(
        _path(world.ea),
        json=attestation_body(first["siren"], ("F-3", 100, 50)),
        headers=world.manager(world.ea),
    ).json()
    other = world.manager(world.other_ea)
    body = attestation_body(first["siren"], ("F-4", 100, 50))
    for who in (other, buyer, STAFF):
        assert client.post(_path(world.ea), json=body, headers=who).status_code == 403
        update = {"client": body["client"], "contracts": body["contracts"]}
        assert (
            client.put(_path(world.ea, f"/{issued['id']}"), json=update, headers=who).status_code
            == 403
        )
    for who in (other, buyer):
        for rest in ("", f"/{issued['id']}", f"/{issued['id']}/attestation.pdf"):
            assert client.get(_path(world.ea, rest), headers=who).status_code == 403
        assert (
            client.get(
                f"/v1/structures/{world.ea['id']}/clients?year={YEAR}", headers=who
            ).status_code
            == 403
        )
    # Staff read; the other EA's own path does not reach this attestation.
    assert client.get(_path(world.ea, f"/{issued['id']}"), headers=STAFF).status_code == 200
    assert client.get(_path(world.other_ea, f"/{issued['id']}"), headers=other).status_code == 404
    # The other client organisation cannot download it through its own path; a stranger, not at all.
    pdf = f"/attestations/{issued['id']}/attestation.pdf"
    assert (
        client.get(f"/v1/organisations/{second['id']}{pdf}", headers=second_buyer).status_code
        == 404
    )
    assert (
        client.get(f"/v1/organisations/{first['id']}{pdf}", headers=second_buyer).status_code == 403
    )
    assert (
        client.get(f"/v1/organisations/{first['id']}/oeth/{YEAR}", headers=second_buyer).status_code
        == 403
    )
    assert client.get(_path(world.ea)).status_code == 401


def test_a_reissue_keeps_the_history(world: World, buyers: dict[str, Any]) -> None:
    client = world.sourcing
    second, second_buyer = buyers["second"]
    manager = world.manager(world.ea)
    first_version = client.post(
        _path(world.ea),
        json=attestation_body(second["siren"], ("F-5", 7000, 4000)),
        headers=manager,
    ).json()
    update = attestation_body(second["siren"], ("F-5", 7000, 4200), ("F-6", 500, 100))
    del update["year"]
    reissued = client.put(_path(world.ea, f"/{first_version['id']}"), json=update, headers=manager)
    assert reissued.status_code == 200, reissued.text
    new = reissued.json()
    assert (new["version"], new["replaces"], new["status"]) == (2, first_version["id"], "issued")
    assert new["number"] == f"{first_version['number']}-v2"
    assert (new["labour_cost_eur"], new["deductible_eur"]) == (4300.0, 1290.0)
    old = client.get(_path(world.ea, f"/{first_version['id']}"), headers=manager).json()
    assert old["status"] == "replaced" and old["labour_cost_eur"] == 4000.0
    stale = client.put(_path(world.ea, f"/{first_version['id']}"), json=update, headers=manager)
    assert stale.status_code == 409
    listed = client.get(_path(world.ea) + f"?year={YEAR}", headers=manager).json()
    assert {first_version["id"], new["id"]} <= {a["id"] for a in listed}
    # The client's deduction uses the version in force only.
    view = client.get(f"/v1/organisations/{second['id']}/oeth/{YEAR}", headers=second_buyer).json()
    attested = [c for c in view["contracts"] if c["source"] == "attestation"]
    assert [(c["attestation_id"], c["labour_cost_eur"]) for c in attested] == [(new["id"], 4300.0)]
    received = client.get(
        f"/v1/organisations/{second['id']}/attestations?year={YEAR}", headers=second_buyer
    )
    assert [a["id"] for a in received.json()] == [new["id"], first_version["id"]]


def test_the_pdf_renders_and_carries_the_figures(
    world: World, buyers: dict[str, Any], tmp_path: Path
) -> None:
    client = world.sourcing
    first, buyer = buyers["first"]
    manager = world.manager(world.ea)
    issued = client.post(
        _path(world.ea),
        json=attestation_body(first["siren"], ("FAC-2025-117", 12345.67, 8641.97)),
        headers=manager,
    ).json()
    for path, who in (
        (_path(world.ea, f"/{issued['id']}/attestation.pdf"), manager),
        (f"/v1/organisations/{first['id']}/attestations/{issued['id']}/attestation.pdf", buyer),
    ):
        answer = client.get(path, headers=who)
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/pdf"
        pdf = answer.content
        render_pages(pdf, tmp_path / str(who.principal.account_id))
        text = " ".join(pdf_text(pdf).replace("\u00a0", " ").replace("\u202f", " ").split())
        # 8 641,97 × 30 % = 2 592,591 → 2 592,59 €; costs taken off 3 703,70 €.
        for expected in (
            "12 345,67 €",
            "8 641,97 €",
            "2 592,59 €",
            "3 703,70 €",
            "FAC-2025-117",
            issued["number"],
            first["siren"],
            world.ea["siret"],
            "Entreprise adaptée",
            "D5212-7",
            "19 novembre 2020",
            f"Attestation annuelle {YEAR}",
            "Montant 4",
            "gerant-oeth",
        ):
            assert expected in text, expected


def test_an_imported_spend_file_feeds_the_deduction_and_the_suppliers_clients(
    world: World,
) -> None:
    """Through the spend import itself, not rows written by the test: the EA's SIRET in the
    file is matched, counted in the deduction, and the EA sees the company among its clients."""
    client = world.sourcing
    buyer = identity("acheteuse-import-oeth", Role.PRIVATE_BUYER)
    organisation = client.post(
        "/v1/organisations",
        json={"name": "Import SA", "siret": siret(), "buyer_kind": "entreprise"},
        headers=buyer,
    ).json()
    oid = organisation["id"]
    content = (
        "SIRET;Fournisseur;Montant HT\n"
        f"{world.ea['siret']};{world.ea['name']};12 000,00\n"
        f"{world.ea['siret']};{world.ea['name']};1 500,50\n"
        f"{world.ei['siret']};{world.ei['name']};900\n"
    ).encode()
    sent = client.post(
        f"/v1/organisations/{oid}/spend/files",
        params={"name": "achats.csv"},
        content=content,
        headers={**buyer, "content-type": "text/csv"},
    )
    assert sent.status_code == 201, sent.text
    mapping = {"supplier_siret": "SIRET", "supplier_name": "Fournisseur", "amount": "Montant HT"}
    imported = client.post(
        f"/v1/organisations/{oid}/spend/uploads",
        json={"file_id": sent.json()["id"], "year": YEAR, "mapping": mapping},
        headers=buyer,
    )
    assert imported.status_code == 201, imported.text
    assert imported.json()["status"] == "active"
    view = client.get(f"/v1/organisations/{oid}/oeth/{YEAR}", headers=buyer).json()
    # 13 500,50 € with the default labour share of 50 %: 6 750,25 €, 30 % = 2 025,075 → 2 025,08 €.
    assert [
        (c["structure_id"], c["amount_eur"], c["labour_cost_eur"], c["deductible_eur"])
        for c in view["contracts"]
    ] == [(world.ea["id"], 13500.5, 6750.25, 2025.08)]
    assert view["deduction_eur"] is None  # no rate, no contribution yet: the cap is unknown
    clients = client.get(
        f"/v1/structures/{world.ea['id']}/clients?year={YEAR}", headers=world.manager(world.ea)
    ).json()
    mine = next(c for c in clients if c["organisation_id"] == oid)
    assert (mine["siren"], mine["lines"], mine["amount_eur"]) == (organisation["siren"], 2, 13500.5)


def test_claiming_a_clients_siren_alone_reveals_none_of_its_attestations(
    world: World, buyers: dict[str, Any]
) -> None:
    client = world.sourcing
    first, _ = buyers["first"]
    issued = client.post(
        _path(world.ea),
        json=attestation_body(first["siren"], ("F-9", 5000, 2500)),
        headers=world.manager(world.ea),
    )
    assert issued.status_code == 201, issued.text
    # Anyone may create an organisation under a SIREN they type: without spend of their own
    # matched to the EA that year, the attestation stays out of their reach.
    impostor = identity(f"imposteur-{first['id']}", Role.PRIVATE_BUYER)
    body = {"name": "Pas le client", "siret": first["siret"], "buyer_kind": "entreprise"}
    made = client.post("/v1/organisations", json=body, headers=impostor)
    assert made.status_code == 201, made.text
    other = made.json()
    assert other["siren"] == first["siren"]
    base = f"/v1/organisations/{other['id']}"
    assert client.get(f"{base}/attestations?year={YEAR}", headers=impostor).json() == []
    pdf = client.get(f"{base}/attestations/{issued.json()['id']}/attestation.pdf", headers=impostor)
    assert pdf.status_code == 404
    assert client.get(f"{base}/oeth/{YEAR}", headers=impostor).json()["contracts"] == []
