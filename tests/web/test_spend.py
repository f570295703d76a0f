"""An organisation's responsible purchasing in a real browser on the real stack: a spend file
with catalog SIRETs, a made-up supplier, a malformed amount and a supplier known only by its
name and postcode — uploaded, its columns mapped, imported; the dashboard's figures equal to a
computation of the same file; the drill into a category; the exports carrying those figures; a
suggestion confirmed; the same path without JavaScript on a phone; strangers and forged forms
refused."""

from __future__ import annotations

import io
import re
import secrets
import socket
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import openpyxl
import pytest
from playwright.sync_api import Browser, FilePayload, Page, expect
from starlette.datastructures import FormData

from services.catalog.structures.models import Structure
from services.domain.identifiers import luhn_ok
from services.web import spend_view as view
from services.web.api import ApiProblem, FieldProblem
from services.web.ranking_view import percent
from services.web.spend_view import euros
from services.web.templating import number
from tests.web.conftest import (
    Site,
    assert_fits,
    check_accessibility,
    log_in,
    new_context,
    screenshot,
)

YEAR = 2025
HEADER = (
    "Code fournisseur",
    "Raison sociale",
    "CP fournisseur",
    "Montant facturé HT",
    "Famille d'achat",
    "Filiale",
    "Date de facture",
)
# The form's fields for the file's columns (what the mapping step chooses).
MAPPING = {
    "supplier_siret": "Code fournisseur",
    "supplier_name": "Raison sociale",
    "supplier_postcode": "CP fournisseur",
    "amount": "Montant facturé HT",
    "category": "Famille d'achat",
    "buying_entity": "Filiale",
    "date": "Date de facture",
}
REJECTED_LINE = 5


def made_up_siret(first: str = "4") -> str:
    """A SIRET that passes Luhn and that no catalog structure holds."""
    base = f"{first}{secrets.randbelow(10**8):08d}0001"
    return next(base + str(d) for d in range(10) if luhn_ok(base + str(d)))


@dataclass
class SpendFile:
    content: bytes
    structures: list[dict[str, Any]]  # s1, s2 (by SIRET), s3 (by name and postcode)
    total: float
    inclusive: float
    suggested: float  # what s3's line adds once its suggestion is confirmed
    cleaning: tuple[float, float]  # the « Nettoyage » category: total, inclusive


def catalog_structures(site: Site) -> list[dict[str, Any]]:
    """Three active structures, each the only one of its SIRET, with a postcode."""
    url = site.system.catalog.env["CATALOG_DATABASE_URL"]
    with sqlite3.connect(url.removeprefix("sqlite:///")) as catalog:
        rows = catalog.execute(
            f"SELECT id, siret, name, postcode FROM {Structure.__tablename__} "
            "WHERE is_active AND siret IS NOT NULL AND postcode IS NOT NULL "
            "GROUP BY siret HAVING COUNT(*) = 1 ORDER BY id LIMIT 3"
        ).fetchall()
    assert len(rows) == 3
    return [{"id": r[0], "siret": r[1], "name": r[2], "postcode": r[3]} for r in rows]


def spend_file(structures: list[dict[str, Any]]) -> SpendFile:
    s1, s2, s3 = structures
    rows = [
        (s1["siret"], s1["name"], s1["postcode"], "1 200,50", "Nettoyage", "Siège", "15/03/2025"),
        (s2["siret"], s2["name"], s2["postcode"], "800", "Nettoyage", "Usine", "2025-06-01"),
        (made_up_siret(), "Informatique Dupont", "75011", "3 000,00", "Informatique", "Siège", ""),
        (made_up_siret(), "Papeterie Martin", "69003", "douze", "Fournitures", "Siège", ""),
        ("", s3["name"], s3["postcode"], "500", "Nettoyage", "Usine", "05/05/2025"),
    ]
    lines = [";".join(HEADER)] + [";".join(row) for row in rows]
    return SpendFile(
        content=("\n".join(lines) + "\n").encode("utf-8"),
        structures=structures,
        total=1200.5 + 800 + 3000 + 500,
        inclusive=1200.5 + 800,
        suggested=500,
        cleaning=(1200.5 + 800 + 500, 1200.5 + 800),
    )


def api_json(site: Site, method: str, path: str, email: str, **kwargs: Any) -> Any:
    answer = site.api(method, "/api/v1" + path, headers=site.bearer(email), **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def new_organisation(site: Site, email: str, name: str) -> int:
    made = api_json(
        site,
        "POST",
        "/organisations",
        email,
        json={"name": name, "siret": made_up_siret("5"), "buyer_kind": "entreprise"},
    )
    return int(made["id"])


def dashboard(site: Site, email: str, oid: int, **params: Any) -> dict[str, Any]:
    found: dict[str, Any] = api_json(
        site, "GET", f"/organisations/{oid}/spend/dashboard", email, params={"year": YEAR, **params}
    )
    return found


def wait_finished(page: Page) -> None:
    """The import page until the import is over (« Actualiser », as without JavaScript)."""
    deadline = time.monotonic() + 60
    while page.locator("#import").get_attribute("data-status") == "running":
        assert time.monotonic() < deadline, "the import never finished"
        page.locator("#actualiser").click()
        page.wait_for_load_state()
    expect(page.locator("#import")).to_have_attribute("data-status", "active")


def amount_written(text: str, amount: float) -> bool:
    """The amount in one of the ways a file writes euros (1200.5, 1200,50, 1 200,50…)."""
    plain = f"{amount:.2f}"
    whole = f"{amount:.0f}" if amount == round(amount) else None
    grouped = f"{amount:,.2f}".replace(",", " ")
    forms = {plain, plain.replace(".", ","), f"{amount:g}", f"{amount:g}".replace(".", ",")}
    forms |= {grouped.replace(".", ","), grouped.replace(" ", "\u202f").replace(".", ",")}
    forms |= {grouped.replace(" ", "\u00a0").replace(".", ",")}
    if whole:
        forms.add(whole)
    return any(re.search(rf"(?<![\d,.]){re.escape(f)}(?![\d])", text) for f in forms)


def csv_file(name: str, content: bytes) -> FilePayload:
    return {"name": name, "mimeType": "text/csv", "buffer": content}


def oversized_post(site: Site, page: Page, path: str) -> str:
    """A form announcing 300 MiB, of which only the headers are sent, with the page's
    session: the website's raw answer."""
    session = next(c for c in page.context.cookies() if c["name"] == "mi_session")
    url = urlsplit(site.web.url)
    head = (
        f"POST {path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Cookie: mi_session={session['value']}\r\n"
        "Content-Type: multipart/form-data; boundary=limite\r\n"
        f"Content-Length: {300 * 1024 * 1024}\r\nConnection: close\r\n\r\n"
    )
    received = b""
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=30) as sock:
        sock.sendall(head.encode())
        while chunk := sock.recv(65536):
            received += chunk
    return received.decode("utf-8", "replace")


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(done.stdout.split())


def test_the_mapping_form_keeps_what_was_chosen_and_names_what_is_missing() -> None:
    columns = list(HEADER)
    typed = view.read_mapping(
        FormData([("year", str(YEAR)), ("supplier_name", "Raison sociale"), ("date", "Autre")]),
        columns,
    )
    assert typed.values["supplier_name"] == "Raison sociale" and typed.year == YEAR
    assert set(typed.errors) == {"amount", "date"}
    assert typed.mapping == {"supplier_name": "Raison sociale"}
    alone = view.read_mapping(FormData([("year", "1999"), ("amount", HEADER[3])]), columns)
    assert set(alone.errors) == {"year", "supplier_siret"}
    fine = view.read_mapping(FormData([("year", str(YEAR)), *MAPPING.items()]), columns)
    assert fine.errors == {} and fine.mapping == MAPPING


def test_the_apis_refusals_land_beside_their_fields() -> None:
    problem = ApiProblem(
        422,
        "Paramètres invalides",
        errors=[
            FieldProblem("mapping.amount", "colonne inconnue"),
            FieldProblem("/body/year", "année invalide"),
            FieldProblem("file_id", "fichier inconnu"),
        ],
    )
    found = view.problem_fields(problem, (*view.MAPPING_NAMES, "year"))
    assert found == {"amount": "colonne inconnue", "year": "année invalide", "_": "fichier inconnu"}
    sectors = ApiProblem(422, "x", errors=[FieldProblem("mappings[1].sector", "secteur inconnu")])
    assert view.category_errors(sectors, ["A", "B", "C"], ["A", "C"]) == {
        "secteur-2": "secteur inconnu"
    }
    empty = ApiProblem(422, "Fichier refusé", "le fichier est vide", body={"line": 1})
    assert view.file_problem(empty) == "le fichier est vide (ligne 1)"
    assert "200 Mo" in view.file_problem(ApiProblem(413, "Trop gros"))


def test_the_dashboard_says_gaps_and_links_only_to_this_site() -> None:
    gap = {"category": "Nettoyage", "department": "69", "available": 12}
    assert view.gap_sentence(gap) == (
        "Vous achetez Nettoyage dans le 69 auprès d'aucun fournisseur inclusif ; 12 existent."
    )
    assert view.safe_link("http://ailleurs.example/recherche?sector=a&department=69") == (
        "/recherche?sector=a&department=69"
    )
    assert view.safe_link("javascript:alert(1)") == ""
    drill = view.read_drill("Nettoyage & co", "Siège")
    assert drill.params == {"category": "Nettoyage & co", "buying_entity": "Siège"}
    assert drill.tags("/b") == [
        ("Catégorie : Nettoyage & co", "/b?entite=Si%C3%A8ge"),
        ("Entité : Siège", "/b?categorie=Nettoyage+%26+co"),
    ]


@pytest.fixture(scope="module")
def owner(site: Site) -> str:
    return site.new_account("private_buyer")


@pytest.fixture(scope="module")
def data(site: Site) -> SpendFile:
    return spend_file(catalog_structures(site))


def import_by_api(site: Site, email: str, oid: int, content: bytes) -> dict[str, Any]:
    """The file sent and imported for the year through the API, as any client does."""
    sent = site.api(
        "POST",
        f"/api/v1/organisations/{oid}/spend/files",
        params={"name": "achats.csv"},
        content=content,
        headers={**site.bearer(email), "Content-Type": "text/csv"},
    )
    assert sent.status_code == 201, sent.text
    upload = api_json(
        site,
        "POST",
        f"/organisations/{oid}/spend/uploads",
        email,
        json={"file_id": sent.json()["id"], "year": YEAR, "mapping": MAPPING},
    )
    deadline = time.monotonic() + 60
    while upload["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.5)
        upload = api_json(site, "GET", f"/organisations/{oid}/spend/uploads/{upload['id']}", email)
    assert upload["status"] == "active", upload
    return upload


@pytest.fixture(scope="module")
def imported(site: Site, owner: str, data: SpendFile) -> int:
    """A second organisation of the owner with the same file, imported through the API."""
    oid = new_organisation(site, owner, "Groupe Durand")
    import_by_api(site, owner, oid, data.content)
    return oid


@pytest.fixture
def signed_in(browser: Browser, site: Site, owner: str) -> Iterator[Page]:
    context = new_context(browser, site)
    page = context.new_page()
    log_in(page, owner)
    yield page
    context.close()


def test_upload_map_dashboard_drill_export(
    site: Site, signed_in: Page, owner: str, data: SpendFile
) -> None:
    page = signed_in
    oid = new_organisation(site, owner, "Durand Industries")
    page.get_by_role("link", name="Mes achats responsables").first.click()
    page.wait_for_url("**/achats")
    page.get_by_role("link", name="Durand Industries").click()
    page.wait_for_url(f"**/organisation/{oid}/achats")
    check_accessibility(page, "spend-uploads")

    # An empty file: its error beside the field, the year kept.
    page.select_option("#champ-year", str(YEAR - 1))
    page.set_input_files("#champ-fichier", files=csv_file("vide.csv", b""))
    page.get_by_role("button", name="Envoyer le fichier").click()
    expect(page.locator("#champ-fichier-messages")).to_contain_text("vide")
    expect(page.locator("#champ-year")).to_have_value(str(YEAR - 1))
    check_accessibility(page, "spend-upload-error")

    # The file, its year; then its columns mapped, the API's suggestions preselected.
    page.select_option("#champ-year", str(YEAR))
    page.set_input_files(
        "#champ-fichier",
        files=csv_file("achats-2025.csv", data.content),
    )
    page.get_by_role("button", name="Envoyer le fichier").click()
    page.wait_for_url(re.compile(rf"/achats/fichiers/\d+\?annee={YEAR}$"))
    file_id = int(re.findall(r"/fichiers/(\d+)", page.url)[0])
    file = api_json(site, "GET", f"/organisations/{oid}/spend/files/{file_id}", owner)
    for field, column in (file.get("suggested_mapping") or {}).items():
        expect(page.locator(f"#champ-{field}")).to_have_value(column)
    expect(page.locator("#apercu tbody tr")).to_have_count(len(file["preview"]))
    expect(page.locator("#champ-year")).to_have_value(str(YEAR))
    check_accessibility(page, "spend-mapping")
    screenshot(page, "spend-mapping")
    # Without the amount: refused beside its field, the other choices kept.
    page.select_option("#champ-supplier_siret", MAPPING["supplier_siret"])
    page.select_option("#champ-amount", "")
    page.get_by_role("button", name="Importer les achats").click()
    expect(page.locator("#champ-amount-messages")).to_contain_text("montant")
    expect(page.locator("#champ-supplier_siret")).to_have_value(MAPPING["supplier_siret"])
    for field in ("supplier_siren", "site_postcode"):
        page.select_option(f"#champ-{field}", "")
    for field, column in MAPPING.items():
        page.select_option(f"#champ-{field}", column)
    page.get_by_role("button", name="Importer les achats").click()
    page.wait_for_url(re.compile(r"/achats/imports/\d+$"))
    wait_finished(page)

    # The outcome: counts, the rejected row with its line and reason, the matches by method.
    expect(page.locator("#chiffres-import")).to_contain_text("5")
    rejected = page.locator(f"#rejets tr[data-line='{REJECTED_LINE}']")
    expect(rejected).to_contain_text("montant illisible")
    expect(page.locator("#rejets tbody tr")).to_have_count(1)
    for match, count in (("siret", 2), ("suggested", 1), ("none", 1)):
        expect(page.locator(f"#correspondances tr[data-match='{match}'] td")).to_have_text(
            str(count)
        )
    check_accessibility(page, "spend-import")
    # What htmx asks while an import runs: the outcome alone, to swap in place.
    fragment = page.request.get(page.url, headers={"HX-Request": "true"}).text()
    assert fragment.lstrip().startswith('<div id="import" data-status="active"')
    assert "<html" not in fragment and "montant illisible" in fragment

    # The dashboard: the API's figures equal the file's, and the page shows them.
    page.get_by_role("link", name=f"Voir le tableau de bord {YEAR}").click()
    page.wait_for_url(f"**/organisation/{oid}/achats/{YEAR}")
    found = dashboard(site, owner, oid)
    totals = found["totals"]
    assert totals["spend_eur"] == pytest.approx(data.total)
    assert totals["inclusive_eur"] == pytest.approx(data.inclusive)
    assert totals["inclusive_share"] == pytest.approx(data.inclusive / data.total, abs=1e-4)
    expect(page.locator("#total-achats strong")).to_have_text(euros(data.total))
    expect(page.locator("#part-inclusive strong")).to_have_text(percent(totals["inclusive_share"]))
    expect(page.locator("#tableau-categories tbody tr")).to_have_count(len(found["by_category"]))
    # Each chart says its values in words; its table is beside it.
    description = page.locator("#graphique-categories-desc").text_content() or ""
    for row in found["by_category"]:
        assert f"{row['label'] or row['key']} : {percent(row['inclusive_share'])}" in description
    for name in (data.structures[0]["name"], data.structures[1]["name"]):
        expect(page.locator("#tableau-fournisseurs")).to_contain_text(name)
    check_accessibility(page, "spend-dashboard")
    screenshot(page, "spend-dashboard")

    # Drill into a category: every figure narrowed, the filter shown with a way to clear it.
    page.locator("#tableau-categories").get_by_role("link", name=re.compile("^Nettoyage")).click()
    page.wait_for_url(re.compile(r"categorie=Nettoyage"))
    cleaning = dashboard(site, owner, oid, category="Nettoyage")["totals"]
    assert cleaning["spend_eur"] == pytest.approx(data.cleaning[0])
    assert cleaning["inclusive_eur"] == pytest.approx(data.cleaning[1])
    expect(page.locator("#total-achats strong")).to_have_text(euros(data.cleaning[0]))
    expect(page.locator("#filtres")).to_contain_text("Catégorie : Nettoyage")
    check_accessibility(page, "spend-dashboard-category")

    # The exports carry the figures of the suppliers shown.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger en CSV").click()
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    for structure, amount in zip(data.structures[:2], (1200.5, 800), strict=True):
        line = next(line for line in text.splitlines() if structure["siret"] in line)
        assert amount_written(line, amount), line
    with page.expect_download() as workbook:
        page.get_by_role("link", name="Télécharger en XLSX").click()
    assert workbook.value.suggested_filename == f"achats-{YEAR}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(Path(workbook.value.path()).read_bytes()))
    cells = [
        c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row
    ]
    assert any(c == data.structures[0]["siret"] for c in cells)
    assert any(isinstance(c, int | float) and c == pytest.approx(1200.5) for c in cells)
    with page.expect_download() as summary:
        page.get_by_role("link", name="Synthèse RSE (PDF)").click()
    path = Path(summary.value.path())
    assert path.read_bytes().startswith(b"%PDF")
    assert "Durand Industries" in pdf_text(path)

    page.get_by_role("link", name=f"Voir tous les achats {YEAR}").click()
    page.wait_for_url(f"**/organisation/{oid}/achats/{YEAR}")
    expect(page.locator("#filtres")).to_have_count(0)


def test_a_confirmed_suggestion_changes_the_share(
    site: Site, signed_in: Page, owner: str, data: SpendFile, imported: int
) -> None:
    page = signed_in
    oid = imported
    before = dashboard(site, owner, oid)["totals"]
    page.goto(f"/organisation/{oid}/achats/{YEAR}/fournisseurs?correspondance=suggested")
    row = page.locator("#tableau-rapprochements tr[data-match='suggested']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(data.structures[2]["name"])
    check_accessibility(page, "spend-suppliers")
    row.get_by_role("button", name=re.compile("^Confirmer")).click()
    page.wait_for_url(re.compile(r"fait=confirme"))
    expect(page.locator(".fr-alert--success")).to_contain_text("confirmé")
    after = dashboard(site, owner, oid)["totals"]
    assert after["inclusive_eur"] == pytest.approx(before["inclusive_eur"] + data.suggested)
    assert after["inclusive_share"] > before["inclusive_share"]
    page.goto(f"/organisation/{oid}/achats/{YEAR}")
    expect(page.locator("#part-inclusive strong")).to_have_text(percent(after["inclusive_share"]))

    # The sites, then a sector for « Informatique » (bought from no inclusive supplier): the
    # dashboard names the gap with the search's count, and links to that search.
    page.goto(f"/organisation/{oid}/achats/sites")
    page.select_option("#champ-ajouter", "69")
    page.get_by_role("button", name="Enregistrer les sites").click()
    page.wait_for_url(re.compile(r"fait=sites"))
    expect(page.locator("#site-69")).to_be_checked()
    check_accessibility(page, "spend-sites")
    facets = site.api("GET", "/api/v1/search", params={"department": "69", "per_page": 1})
    sector = max(facets.json()["facets"]["sector"].items(), key=lambda item: item[1])[0]
    available = site.api(
        "GET", "/api/v1/search", params={"sector": sector, "department": "69", "per_page": 1}
    ).json()["total"]
    page.goto(f"/organisation/{oid}/achats/{YEAR}/categories")
    listed = api_json(site, "GET", f"/organisations/{oid}/spend/categories", owner)["items"]
    expect(page.locator("#formulaire-categories select")).to_have_count(len(listed))
    check_accessibility(page, "spend-categories")
    page.get_by_label(re.compile("^Informatique")).select_option(sector)
    page.get_by_role("button", name="Enregistrer les secteurs").click()
    page.wait_for_url(re.compile(r"fait=categories"))
    saved = api_json(site, "GET", f"/organisations/{oid}/spend/categories", owner)["items"]
    assert {i["label"]: i["sector"] for i in saved}["Informatique"] == sector
    page.goto(f"/organisation/{oid}/achats/{YEAR}")
    gap = page.locator("#manques li[data-category='Informatique'][data-department='69']")
    expect(gap).to_contain_text(
        f"Vous achetez Informatique dans le 69 auprès d'aucun fournisseur inclusif ; {number(available)}"
    )
    expect(gap.get_by_role("link")).to_have_attribute(
        "href", re.compile(rf"^/recherche\?.*sector={re.escape(sector)}")
    )

    # The year imported again: the history keeps the replaced import beside the active one.
    again = import_by_api(site, owner, oid, data.content)
    page.goto(f"/organisation/{oid}/achats")
    rows = page.locator("#historique tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_have_attribute("data-upload", str(again["id"]))
    expect(rows.nth(0)).to_have_attribute("data-status", "active")
    expect(rows.nth(1)).to_have_attribute("data-status", "replaced")
    for n in (0, 1):
        expect(rows.nth(n).locator("td").nth(5)).to_have_text("4")
        expect(rows.nth(n).locator("td").nth(2)).to_have_text("Vous")
    check_accessibility(page, "spend-history")
    screenshot(page, "spend-history")

    # A forged form (no token) is refused; nothing is saved.
    forged = page.request.post(f"/organisation/{oid}/achats/sites", form={"ajouter": "93"})
    assert forged.status == 403
    sites = api_json(site, "GET", f"/organisations/{oid}/spend/sites", owner)
    assert [d["code"] for d in sites["departments"]] == ["69"]


def test_without_javascript_then_on_a_phone(
    browser: Browser, site: Site, owner: str, data: SpendFile
) -> None:
    oid = new_organisation(site, owner, "Durand Services")
    context = browser.new_context(
        base_url=site.web.url, java_script_enabled=False, viewport={"width": 375, "height": 800}
    )
    page = context.new_page()
    try:
        log_in(page, owner)
        page.goto(f"/organisation/{oid}/achats")
        # Announced beyond the cap: refused before a byte of it is read.
        answer = oversized_post(site, page, f"/organisation/{oid}/achats/fichiers")
        assert answer.startswith("HTTP/1.1 413"), answer[:200]
        assert "le fichier dépasse 200 Mo" in answer

        page.select_option("#champ-year", str(YEAR))
        page.set_input_files("#champ-fichier", files=csv_file("achats.csv", data.content))
        page.get_by_role("button", name="Envoyer le fichier").click()
        page.wait_for_url(re.compile(r"/achats/fichiers/\d+"))
        mapping_url = page.url
        for field, column in MAPPING.items():
            page.select_option(f"#champ-{field}", column)
        page.get_by_role("button", name="Importer les achats").click()
        page.wait_for_url(re.compile(r"/achats/imports/\d+$"))
        wait_finished(page)
        page.get_by_role("link", name=f"Voir le tableau de bord {YEAR}").click()
        page.wait_for_url(f"**/organisation/{oid}/achats/{YEAR}")
        expect(page.locator("#total-achats strong")).to_have_text(euros(data.total))
    finally:
        context.close()

    # The same pages on a 375 px wide screen: nothing wider than it.
    phone = new_context(browser, site, width=375)
    page = phone.new_page()
    try:
        log_in(page, owner)
        page.goto(mapping_url)
        assert_fits(page)
        page.goto(f"/organisation/{oid}/achats/{YEAR}")
        assert_fits(page)
        check_accessibility(page, "spend-dashboard-phone")
        screenshot(page, "spend-dashboard")
    finally:
        phone.close()


def test_a_stranger_sees_nothing(browser: Browser, site: Site, imported: int) -> None:
    stranger = site.new_account("private_buyer")
    context = new_context(browser, site)
    page = context.new_page()
    try:
        log_in(page, stranger)
        for path in (f"/organisation/{imported}/achats", f"/organisation/{imported}/achats/{YEAR}"):
            response = page.goto(path)
            assert response is not None and response.status in (403, 404), path
            expect(page.locator("main")).not_to_contain_text("Groupe Durand")
        check_accessibility(page, "spend-stranger")
    finally:
        context.close()
