"""Spend import on SQLite and PostgreSQL, with the real catalog in-process: files checked from
their bytes (zip bombs, binaries, empty and header-only files refused with their line), CSV and
XLSX of the same rows giving the same import, rows refused with their line and reason, a year
re-imported keeping the previous import as history, a failed import keeping the active one,
non-members refused, and a 30 MB file streamed through the gateway."""

from __future__ import annotations

import csv
import hashlib
import io
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from bench.spend_file import MAPPING, SpendRow, spend_rows, write_csv, write_xlsx
from services.common.db import utcnow
from services.common.identity import Role
from services.common.state import state_of
from services.sourcing.needs.directory import CatalogDirectory
from services.sourcing.spend.importer import INTERRUPTED, fail_interrupted, import_lease
from services.sourcing.spend.models import SpendUpload, UploadStatus
from services.sourcing.state import SourcingState
from tests.catalog.api_support import STAFF, SignedIdentity, identity
from tests.sourcing.projects_support import Projects, buyer, projects
from tests.support import IDENTITY_SECRET

__all__ = ["projects", "spend"]

YEAR = 2025


@dataclass
class Spend:
    projects: Projects
    identities: list[dict[str, Any]]

    @property
    def client(self) -> TestClient:
        return self.projects.sourcing

    @property
    def state(self) -> SourcingState:
        return state_of(self.client.app, SourcingState)  # type: ignore[arg-type]

    def organisation(self, who: SignedIdentity) -> int:
        return int(self.projects.organisation(who, buyer_kind="entreprise")["id"])

    def send(self, who: SignedIdentity, oid: int, content: bytes, name: str) -> httpx.Response:
        return self.client.post(
            f"/v1/organisations/{oid}/spend/files",
            params={"name": name},
            content=content,
            headers={**who, "content-type": "application/octet-stream"},
        )

    def file(self, who: SignedIdentity, oid: int, content: bytes, name: str) -> dict[str, Any]:
        sent = self.send(who, oid, content, name)
        assert sent.status_code == 201, sent.text
        return dict(sent.json())

    def start(
        self,
        who: SignedIdentity,
        oid: int,
        file_id: int,
        year: int = YEAR,
        mapping: dict[str, str] | None = None,
    ) -> httpx.Response:
        return self.client.post(
            f"/v1/organisations/{oid}/spend/uploads",
            json={"file_id": file_id, "year": year, "mapping": mapping or MAPPING},
            headers=who,
        )

    def imported(
        self,
        who: SignedIdentity,
        oid: int,
        content: bytes,
        name: str,
        year: int = YEAR,
        mapping: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        sent = self.file(who, oid, content, name)
        started = self.start(who, oid, sent["id"], year, mapping)
        assert started.status_code == 201, started.text
        return dict(started.json())


@pytest.fixture(scope="module")
def spend(projects: Projects) -> Iterator[Spend]:
    """The catalog reached by sourcing in-process, as it is over HTTP in production."""
    transport = httpx.ASGITransport(app=projects.catalog.app)
    directory = CatalogDirectory(
        httpx.AsyncClient(transport=transport, base_url="http://catalog", timeout=30),
        IDENTITY_SECRET,
    )
    state = state_of(projects.sourcing.app, SourcingState)  # type: ignore[arg-type]
    previous = state.runner.directory
    state.runner.directory = directory
    identities = projects.catalog.get("/v1/structures/identities", headers=STAFF)
    assert identities.status_code == 200, identities.text
    yield Spend(projects, identities.json())
    state.runner.directory = previous


def csv_bytes(rows: list[SpendRow], tmp: Path, **options: Any) -> bytes:
    return write_csv(tmp / "depenses.csv", rows, **options).read_bytes()


def xlsx_bytes(rows: list[SpendRow], tmp: Path) -> bytes:
    return write_xlsx(tmp / "depenses.xlsx", rows).read_bytes()


def _fields(answer: httpx.Response) -> set[str]:
    assert answer.headers["content-type"] == "application/problem+json", answer.text
    return {e["field"] for e in answer.json().get("errors", [])}


def test_the_catalog_lists_identities_to_staff_only(spend: Spend) -> None:
    assert len(spend.identities) > 1000
    first = spend.identities[0]
    assert set(first) == {
        "id", "siret", "siren", "name", "brand", "postcode", "commune_code",
        "department_code", "region_code", "kind", "family", "is_qpv", "is_zrr",
    }  # fmt: skip
    refused = spend.projects.catalog.get(
        "/v1/structures/identities", headers=identity("gerant-curieux")
    )
    assert refused.status_code == 403
    assert spend.projects.catalog.get("/v1/structures/identities").status_code == 401


def test_a_file_is_described_with_its_columns_preview_and_suggested_mapping(
    spend: Spend, tmp_path: Path
) -> None:
    who = buyer("rse-fichier", Role.PRIVATE_BUYER)
    oid = spend.organisation(who)
    rows = spend_rows(12, spend.identities, YEAR)
    sent = spend.file(who, oid, csv_bytes(rows, tmp_path), "achats 2025.csv")
    assert sent["format"] == "csv" and sent["encoding"] == "utf-8-sig"
    assert sent["delimiter"] == ";" and sent["name"] == "achats 2025.csv"
    assert sent["columns"][:3] == ["SIRET fournisseur", "SIREN", "Raison sociale"]
    assert len(sent["preview"]) == 5 and len(sent["preview"][0]) == len(sent["columns"])
    assert sent["suggested_mapping"] == MAPPING
    again = spend.client.get(f"/v1/organisations/{oid}/spend/files/{sent['id']}", headers=who)
    assert again.status_code == 200 and again.json() == sent
    # Windows-1252 with commas is read as such.
    legacy = spend.file(
        who, oid, csv_bytes(rows, tmp_path, encoding="cp1252", delimiter=","), "ancien.csv"
    )
    assert (legacy["encoding"], legacy["delimiter"]) == ("cp1252", ",")
    assert legacy["columns"] == sent["columns"] and legacy["preview"] == sent["preview"]


def test_csv_and_xlsx_of_the_same_rows_give_the_same_import(spend: Spend, tmp_path: Path) -> None:
    who = buyer("rse-formats", Role.PRIVATE_BUYER)
    oid = spend.organisation(who)
    rows = spend_rows(600, spend.identities, YEAR, seed=3)
    by_csv = spend.imported(who, oid, csv_bytes(rows, tmp_path), "a.csv")
    by_xlsx = spend.imported(who, oid, xlsx_bytes(rows, tmp_path), "a.xlsx")
    assert by_xlsx["file"]["format"] == "xlsx" and by_csv["file"]["format"] == "csv"
    accepted = [r for r in rows if r.refused is None]
    for upload in (by_csv, by_xlsx):
        assert upload["status"] == "active" and upload["error"] is None, upload
        assert upload["rows_read"] == len(rows)
        assert upload["rows_accepted"] == len(accepted)
        assert upload["rows_rejected"] == len(rows) - len(accepted)
        assert upload["total_eur"] == round(sum(r.amount_cents for r in accepted) / 100, 2)
    same = ("rows_read", "rows_accepted", "rows_rejected", "total_eur", "matches")
    assert {k: by_csv[k] for k in same} == {k: by_xlsx[k] for k in same}
    # The same rows refused for the same reasons (values are written differently: a date cell).
    assert [{**r, "value": None} for r in by_csv["rejections"]] == [
        {**r, "value": None} for r in by_xlsx["rejections"]
    ]
    csv_suppliers = spend.client.get(
        f"/v1/organisations/{oid}/spend/suppliers/export.csv", params={"year": YEAR}, headers=who
    )
    assert csv_suppliers.status_code == 200
    # The XLSX import replaced the CSV one: the history holds both, newest first.
    history = spend.client.get(
        f"/v1/organisations/{oid}/spend/uploads", params={"year": YEAR}, headers=who
    ).json()["items"]
    assert [u["id"] for u in history] == [by_xlsx["id"], by_csv["id"]]
    assert [u["status"] for u in history] == ["active", "replaced"]
    assert history[1]["replaced_at"] is not None
    # Who started each: the buyer, a member of the organisation, named by their address.
    assert {(u["started_by"], u["started_by_email"]) for u in history} == {
        ("rse-formats", "rse-formats@exemple.fr")
    }


def test_rows_are_refused_with_their_line_and_reason(spend: Spend, tmp_path: Path) -> None:
    who = buyer("rse-refus", Role.PRIVATE_BUYER)
    oid = spend.organisation(who)
    rows = spend_rows(400, spend.identities, YEAR, seed=5)
    upload = spend.imported(who, oid, csv_bytes(rows, tmp_path), "refus.csv")
    refused = [r for r in rows if r.refused]
    assert {r.refused for r in refused} == {
        "montant illisible", "SIRET invalide", "fournisseur sans", "date hors de l'année",
    }  # fmt: skip
    shown = upload["rejections"]
    assert [r["line"] for r in shown] == [r.line for r in refused][:20]
    for rejection, row in zip(shown, refused, strict=False):
        assert rejection["reason"].startswith(row.refused or ""), (rejection, row)
    by_reason = {r["reason"].split(" (")[0]: r for r in shown}
    assert by_reason["montant illisible"]["column"] == "Montant HT"
    assert by_reason["montant illisible"]["value"] == "12,3,4 euros"
    assert by_reason["SIRET invalide"]["column"] == "SIRET fournisseur"
    assert by_reason[f"date hors de l'année {YEAR}"]["column"] == "Date"
    assert by_reason["fournisseur sans SIRET, SIREN ni nom"]["line"] > 1
    exported = spend.client.get(
        f"/v1/organisations/{oid}/spend/uploads/{upload['id']}/rejections.csv", headers=who
    )
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(exported.text), delimiter=";"))
    assert lines[0] == ["ligne", "colonne", "motif", "valeur"]
    assert [int(line[0]) for line in lines[1:]] == [r.line for r in refused]


def test_empty_header_only_and_non_spreadsheet_files_are_refused(spend: Spend) -> None:
    who = buyer("rse-vide", Role.PRIVATE_BUYER)
    oid = spend.organisation(who)
    for content, line, words in (
        (b"", 1, "vide"),
        (b"\xef\xbb\xbf\r\n", 1, "vide"),
        (b"SIRET;Montant HT\r\n", 2, "en-tête"),
        (b"%PDF-1.7\n" + b"\0" * 100, None, "PDF"),
        (bytes(range(256)) * 8, None, "binaire"),
    ):
        refused = spend.send(who, oid, content, "x.csv")
        assert refused.status_code == 422, refused.text
        assert words in refused.json()["detail"], refused.json()
        assert refused.json().get("line") == line
    # A ZIP that is no workbook, and a workbook declaring gigabytes once decompressed.
    plain = io.BytesIO()
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("notes.txt", "bonjour")
    assert "xl/workbook.xml" in spend.send(who, oid, plain.getvalue(), "x.xlsx").json()["detail"]
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as entry:
            block = b"\0" * (1 << 20)
            for _ in range(300):
                entry.write(block)
    refused = spend.send(who, oid, bomb.getvalue(), "bombe.xlsx")
    assert refused.status_code == 422 and "compression" in refused.json()["detail"]
    # Over the cap (lowered here), announced or not: 413, nothing kept.
    settings = spend.state.settings
    settings.spend_max_bytes = 1000
    try:
        assert spend.send(who, oid, b"a;b\r\n" * 400, "gros.csv").status_code == 413
        streamed = spend.client.post(
            f"/v1/organisations/{oid}/spend/files",
            content=(b"a;b\r\n" * 100 for _ in range(4)),
            headers=who,
        )
        assert streamed.status_code == 413, streamed.text
    finally:
        settings.spend_max_bytes = 200 * 1024 * 1024
    assert len(list(settings.spend_dir.glob("*.part"))) == 0


def test_the_mapping_names_known_fields_and_columns_of_the_file(
    spend: Spend, tmp_path: Path
) -> None:
    who = buyer("rse-correspondance", Role.PRIVATE_BUYER)
    oid = spend.organisation(who)
    sent = spend.file(who, oid, csv_bytes(spend_rows(10, spend.identities), tmp_path), "m.csv")
    for mapping, field in (
        ({**MAPPING, "category": "Rayon"}, "mapping.category"),
        ({**MAPPING, "couleur": "SIREN"}, "mapping.couleur"),
        ({"supplier_siret": "SIREN"}, "mapping.amount"),
        ({"amount": "Montant HT"}, "mapping.supplier_siret"),
    ):
        refused = spend.start(who, oid, sent["id"], mapping=mapping)
        assert refused.status_code == 422 and _fields(refused) == {field}, refused.text
    assert spend.start(who, oid, sent["id"], year=1999).status_code == 422
    assert spend.client.get(f"/v1/organisations/{oid}/spend/uploads", headers=who).json() == {
        "items": []
    }


def test_a_failed_import_keeps_the_active_one(spend: Spend, tmp_path: Path) -> None:
    who = buyer("rse-echec", Role.PRIVATE_BUYER)
    oid = spend.organisation(who)
    rows = spend_rows(50, spend.identities, YEAR, seed=9)
    good = spend.imported(who, oid, csv_bytes(rows, tmp_path), "bon.csv")
    # Every amount unreadable: nothing accepted, the import fails, the previous one stays.
    broken = "SIRET fournisseur;Montant HT\r\n" + "".join(
        f"{r.siret or '73282932000074'};beaucoup\r\n" for r in rows
    )
    only = {"supplier_siret": "SIRET fournisseur", "amount": "Montant HT"}
    failed = spend.imported(who, oid, broken.encode(), "mauvais.csv", mapping=only)
    assert failed["status"] == "failed" and "aucune ligne acceptée" in failed["error"]
    assert failed["rows_rejected"] == len(rows) and failed["rejections"][0]["line"] == 2
    history = spend.client.get(
        f"/v1/organisations/{oid}/spend/uploads", params={"year": YEAR}, headers=who
    ).json()["items"]
    assert [(u["id"], u["status"]) for u in history] == [
        (failed["id"], "failed"),
        (good["id"], "active"),
    ]
    suppliers = spend.client.get(
        f"/v1/organisations/{oid}/spend/suppliers", params={"year": YEAR}, headers=who
    ).json()
    assert suppliers["upload_id"] == good["id"]


def test_a_slow_import_answers_202_and_an_interrupted_one_fails_at_start_up(
    spend: Spend, tmp_path: Path
) -> None:
    who = buyer("rse-lent", Role.PRIVATE_BUYER)
    oid = spend.organisation(who)
    sent = spend.file(who, oid, csv_bytes(spend_rows(3000, spend.identities), tmp_path), "l.csv")
    settings = spend.state.settings
    settings.spend_import_wait_s = 0
    try:
        started = spend.start(who, oid, sent["id"])
    finally:
        settings.spend_import_wait_s = 20
    assert started.status_code == 202 and started.json()["status"] == "running"
    for thread in threading.enumerate():
        if thread.name == f"spend-import-{started.json()['id']}":
            thread.join(60)
    done = spend.client.get(
        f"/v1/organisations/{oid}/spend/uploads/{started.json()['id']}", headers=who
    ).json()
    assert done["status"] == "active" and done["rows_read"] == 3000

    # A process died during an import a minute ago: at the next start-up (or the next sweep),
    # it is failed. An import another replica runs (it holds its lease), or one just created,
    # is left alone.
    def running(started_by: str, ago: timedelta) -> int:
        with Session(spend.state.engine) as session:
            upload = SpendUpload(
                organisation_id=oid,
                file_id=sent["id"],
                year=YEAR,
                status=UploadStatus.RUNNING,
                mapping=MAPPING,
                started_by=started_by,
                started_at=utcnow() - ago,
            )
            session.add(upload)
            session.commit()
            assert upload.id is not None
            return upload.id

    left_id = running("mort", timedelta(minutes=1))
    elsewhere_id = running("ailleurs", timedelta(minutes=1))
    fresh_id = running("a-l-instant", timedelta(0))
    elsewhere = import_lease(spend.state.engine, elsewhere_id)
    elsewhere.holder = "autre-replica"
    assert elsewhere.try_acquire()
    assert fail_interrupted(spend.state.engine) == 1
    with Session(spend.state.engine) as session:
        row = session.exec(select(SpendUpload).where(SpendUpload.id == left_id)).one()
        assert (row.status, row.error) == (UploadStatus.FAILED, INTERRUPTED)
        for kept in (elsewhere_id, fresh_id):
            row = session.exec(select(SpendUpload).where(SpendUpload.id == kept)).one()
            assert row.status == UploadStatus.RUNNING
            session.delete(row)
        session.commit()
    active = spend.client.get(
        f"/v1/organisations/{oid}/spend/suppliers", params={"year": YEAR}, headers=who
    )
    assert active.json()["upload_id"] == done["id"]


def test_non_members_get_403_unknown_ids_404_and_staff_only_read(
    spend: Spend, tmp_path: Path
) -> None:
    owner = buyer("rse-proprietaire", Role.PRIVATE_BUYER)
    stranger = buyer("rse-etranger", Role.PRIVATE_BUYER)
    staff = identity("equipe-rse", Role.STAFF)
    oid = spend.organisation(owner)
    other = spend.organisation(stranger)
    upload = spend.imported(
        owner, oid, csv_bytes(spend_rows(30, spend.identities), tmp_path), "p.csv"
    )
    file_id, upload_id = upload["file"]["id"], upload["id"]
    base = f"/v1/organisations/{oid}/spend"
    reads = [
        f"{base}/files/{file_id}",
        f"{base}/uploads",
        f"{base}/uploads/{upload_id}",
        f"{base}/uploads/{upload_id}/rejections.csv",
        f"{base}/suppliers?year={YEAR}",
        f"{base}/suppliers/export.csv?year={YEAR}",
    ]
    for path in reads:
        assert spend.client.get(path, headers=stranger).status_code == 403, path
        assert spend.client.get(path, headers=staff).status_code == 200, path
        assert spend.client.get(path).status_code == 401, path
    decision = {"year": YEAR, "key": "x", "decision": "reject"}
    for who in (stranger, staff):
        assert spend.send(who, oid, b"a;b\n1;2\n", "x.csv").status_code == 403
        assert spend.start(who, oid, file_id).status_code == 403
        assert (
            spend.client.post(f"{base}/suppliers/decision", json=decision, headers=who).status_code
            == 403
        )
    # Another organisation's ids are unknown here, its own are unknown to it.
    assert spend.client.get(f"{base}/files/{file_id}", headers=owner).status_code == 200
    theirs = f"/v1/organisations/{other}/spend"
    assert spend.client.get(f"{theirs}/files/{file_id}", headers=stranger).status_code == 404
    assert spend.client.get(f"{theirs}/uploads/{upload_id}", headers=stranger).status_code == 404
    assert spend.start(stranger, other, file_id).status_code == 404
    assert (
        spend.client.get("/v1/organisations/999999/spend/uploads", headers=owner).status_code == 404
    )


class _RecordingTransport(httpx.ASGITransport):
    """Sourcing in-process, noting whether each request body came as a stream or whole."""

    def __init__(self, app: Any) -> None:
        super().__init__(app=app)
        self.whole_bodies: list[bool] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.whole_bodies.append(isinstance(request.stream, httpx.ByteStream))
        return await super().handle_async_request(request)


def test_the_gateway_streams_a_30_mb_spend_file_on_to_sourcing(
    spend: Spend, tmp_path: Path
) -> None:
    from services.gateway.app import create_app as create_gateway_app
    from services.gateway.state import GatewayState
    from tests.e2e.test_accounts import PASSWORD, _token_mailed_to
    from tests.support import free_port, gateway_settings

    dead = f"http://127.0.0.1:{free_port()}"
    settings = gateway_settings(tmp_path, catalog_url=dead, sourcing_url=dead)
    row = b"73282932000074;1234,56;Fournisseur de trente megaoctets\r\n"
    body = b"SIRET;Montant HT;Fournisseur\r\n" + row * (30_000_000 // len(row))
    with TestClient(create_gateway_app(settings)) as gateway:  # type: ignore[arg-type]
        transport = _RecordingTransport(spend.client.app)
        state = state_of(gateway.app, GatewayState)  # type: ignore[arg-type]
        state.sourcing.client = httpx.AsyncClient(transport=transport, base_url="http://sourcing")
        address = "acheteuse-flux@exemple.fr"
        registered = gateway.post(
            "/api/v1/auth/register",
            json={"email": address, "password": PASSWORD, "role": "private_buyer"},
        )
        assert registered.status_code == 201, registered.text
        token = _token_mailed_to(tmp_path / "mail", address, "confirmez")
        assert gateway.post("/api/v1/auth/verify", json={"token": token}).status_code == 200
        login = gateway.post("/api/v1/auth/login", json={"email": address, "password": PASSWORD})
        who = {"Authorization": f"Bearer {login.json()['access_token']}"}
        created = gateway.post(
            "/api/v1/organisations",
            json={"name": "Groupe RSE", "siren": "732829320", "buyer_kind": "entreprise"},
            headers=who,
        )
        assert created.status_code == 201, created.text
        path = f"/api/v1/organisations/{created.json()['id']}/spend/files"
        sent = gateway.post(
            path,
            params={"name": "gros.csv"},
            content=body,
            headers={**who, "content-type": "text/csv"},
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["size_bytes"] == len(body)
        assert sent.json()["sha256"] == hashlib.sha256(body).hexdigest()
        assert sent.json()["columns"] == ["SIRET", "Montant HT", "Fournisseur"]
        # Without a length announced (chunked), it streams as well.
        chunked = gateway.post(
            path,
            params={"name": "gros.csv"},
            content=(body[i : i + (1 << 20)] for i in range(0, len(body), 1 << 20)),
            headers={**who, "content-type": "text/csv"},
        )
        assert chunked.status_code == 201, chunked.text
        assert chunked.json()["sha256"] == sent.json()["sha256"]
        # Both bodies went on as streams; other requests (organisation creation) whole.
        assert transport.whole_bodies[-2:] == [False, False]
