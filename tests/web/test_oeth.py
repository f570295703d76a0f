"""The OETH deduction and suppliers' attestations in a real browser on the real stack: a company
whose imported spend matched an ESAT sees an estimated deduction; the ESAT's manager issues the
attestation from its clients' list; the company's page then shows the attested figure, the new
deduction equal to the hand-computed one, and the PDF downloads. Also: form errors beside their
fields with what was typed kept, the declaration sent from the keyboard alone, a TIH mark, 375 px,
no scripts (rows added by the server), CSRF on every form, another manager and a stranger refused.
Every page state is checked by axe."""

from __future__ import annotations

import re
import secrets
import subprocess
import time
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from starlette.datastructures import FormData

from services.domain.identifiers import luhn_ok
from services.web import attestations_view, oeth_view
from services.web.api import ApiProblem, FieldProblem
from services.web.manage_view import Managed
from services.web.oeth_view import euros
from tests.web.conftest import (
    PASSWORD,
    Site,
    assert_fits,
    check_accessibility,
    log_in,
    new_context,
    screenshot,
)

YEAR = date.today().year - 1
ESAT_AMOUNT = 20_000
TIH_AMOUNT = 3_000
GROSS = 60_000
LABOUR_SHARE = 0.5
ATTESTED_LABOUR = 14_000
TIH_NAME = "Atelier Dupont graphisme"


def valid(base: str) -> str:
    """`base` completed with the digit that passes Luhn."""
    return next(base + str(d) for d in range(10) if luhn_ok(base + str(d)))


def new_siren() -> str:
    return valid(f"7{secrets.randbelow(10**7):07d}")


def api_json(site: Site, method: str, path: str, email: str, **kwargs: Any) -> Any:
    answer = site.api(method, "/api/v1" + path, headers=site.bearer(email), **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def digits_of(text: str) -> str:
    """The text without spaces (narrow or not) nor dots: « 14 000,00 » reads « 14000,00 »."""
    return re.sub(r"[\s\u00a0\u202f.]", "", text)


def esats(site: Site, count: int) -> list[dict[str, Any]]:
    hits = site.api("GET", "/api/v1/search", params={"kind": "ESAT", "per_page": 100}).json()
    found = [h for h in hits["hits"] if h.get("siret") and not h.get("website")]
    assert len(found) >= count, "the catalog holds too few ESAT with a SIRET"
    secrets.SystemRandom().shuffle(found)
    return found


def claim_one(site: Site, candidates: list[dict[str, Any]], email: str) -> dict[str, Any]:
    while candidates:
        structure = candidates.pop()
        try:
            site.claim(structure, site.bearer(email))
        except AssertionError:
            continue  # claimed meanwhile by another module's test: the next one
        return structure
    raise AssertionError("no ESAT left to claim")


def import_spend(site: Site, email: str, organisation_id: int, esat_siret: str) -> None:
    """The company's spend of the year: the ESAT, a supplier the catalog does not know, and a
    graphic designer known by name only (to be marked TIH)."""
    stranger = valid(f"8{secrets.randbelow(10**12):012d}")
    rows = [
        "siret;fournisseur;montant_ht;date",
        f"{esat_siret};ESAT du test;{ESAT_AMOUNT // 2},00;{YEAR}-03-15",
        f"{esat_siret};ESAT du test;{ESAT_AMOUNT // 2},00;{YEAR}-09-15",
        f"{stranger};Papeterie Martin;4 500,00;{YEAR}-05-02",
        f";{TIH_NAME};{TIH_AMOUNT},00;{YEAR}-06-30",
    ]
    headers = {**site.bearer(email), "Content-Type": "text/csv"}
    sent = site.api(
        "POST",
        f"/api/v1/organisations/{organisation_id}/spend/files",
        params={"name": "achats.csv"},
        content=("\n".join(rows) + "\n").encode(),
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    mapping = {
        "supplier_siret": "siret",
        "supplier_name": "fournisseur",
        "amount": "montant_ht",
        "date": "date",
    }
    upload = api_json(
        site,
        "POST",
        f"/organisations/{organisation_id}/spend/uploads",
        email,
        json={"file_id": sent.json()["id"], "year": YEAR, "mapping": mapping},
    )
    deadline = time.monotonic() + 60
    while upload["status"] == "running" and time.monotonic() < deadline:
        time.sleep(0.5)
        upload = api_json(
            site, "GET", f"/organisations/{organisation_id}/spend/uploads/{upload['id']}", email
        )
    assert upload["status"] == "active", upload
    assert upload["matches"]["siret"] == 1, upload


@pytest.fixture(scope="module")
def world(site: Site) -> dict[str, Any]:
    """A company (its spend of last year imported), the manager of the ESAT it bought from,
    the manager of another ESAT (with an attestation of its own), and a stranger."""
    candidates = esats(site, 2)
    ours, theirs = site.new_account("supplier_manager"), site.new_account("supplier_manager")
    esat = claim_one(site, candidates, ours)
    other = claim_one(site, candidates, theirs)
    buyer = site.new_account("private_buyer")
    siren = new_siren()
    organisation = api_json(
        site,
        "POST",
        "/organisations",
        buyer,
        json={"name": "Société Exemple SA", "siren": siren, "buyer_kind": "entreprise"},
    )
    import_spend(site, buyer, int(organisation["id"]), esat["siret"])
    foreign = api_json(
        site,
        "POST",
        f"/structures/{other['id']}/attestations",
        theirs,
        json={
            "year": YEAR,
            "client": {"siren": new_siren(), "name": "Client de l'autre ESAT", "address": ""},
            "contracts": [
                {
                    "description": "Conditionnement",
                    "amount_excl_vat_eur": 1000,
                    "labour_cost_eur": 600,
                }
            ],
        },
    )
    return {
        "buyer": buyer,
        "siren": siren,
        "organisation_id": int(organisation["id"]),
        "esat": esat,
        "manager": ours,
        "other": other,
        "other_manager": theirs,
        "foreign_attestation": int(foreign["id"]),
        "stranger": site.new_account("private_buyer"),
    }


def tab_to(page: Page, element_id: str, limit: int = 40) -> None:
    """Tab (forward) until the element has the focus, as a keyboard user does."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"#{element_id} never got the focus")


def type_into(page: Page, element_id: str, text: str) -> None:
    tab_to(page, element_id)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_a_supplier_attestation_changes_the_buyer_deduction(
    site: Site, browser: Browser, page: Page, phone: Page, world: dict[str, Any]
) -> None:
    buyer, oid = world["buyer"], world["organisation_id"]
    oeth_url = f"/organisation/{oid}/oeth/{YEAR}"

    # From the organisation's page to its deduction of last year.
    log_in(page, buyer)
    page.goto(f"/organisation/{oid}")
    page.locator("#lien-oeth").click()
    page.wait_for_url(f"**{oeth_url}")
    expect(page.locator("#aucune-attestation")).to_be_visible()
    check_accessibility(page, "oeth-vide")

    # Wrong figures: refused beside their fields, everything typed kept.
    page.fill("#champ-headcount", "beaucoup")
    page.fill("#champ-rate", "2")
    page.locator("label[for='mode-declared']").click()
    page.fill("#champ-gross_contribution", "60 000")
    page.fill("#champ-labour_share", "150")
    page.get_by_role("button", name="Enregistrer et calculer").click()
    expect(page.locator("#champ-headcount-messages")).to_contain_text("effectif")
    expect(page.locator("#champ-labour_share-messages")).to_contain_text("pourcentage")
    expect(page.locator("#champ-headcount")).to_have_value("beaucoup")
    expect(page.locator("#champ-gross_contribution")).to_have_value("60 000")
    expect(page.locator("#mode-declared")).to_be_checked()
    check_accessibility(page, "oeth-erreurs")
    screenshot(page, "oeth-erreurs")

    # Corrected and sent from the keyboard alone.
    page.locator("#champ-headcount").focus()
    type_into(page, "champ-headcount", "250")
    type_into(page, "champ-labour_share", "50")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{oeth_url}?fait=declaration*")

    # The estimate: the ESAT's spend × the labour share × 30 %.
    estimated = ESAT_AMOUNT * LABOUR_SHARE * 0.3
    row = page.locator(f"#tableau-contrats tr[data-fournisseur='{world['esat']['siret']}']")
    expect(row).to_contain_text("Estimation")
    expect(row).to_contain_text(euros(estimated))
    expect(page.locator("#deduction")).to_have_text(euros(estimated))
    expect(page.locator("#badge-estimation")).to_be_visible()
    expect(page.locator("#plafond")).to_contain_text(euros(GROSS * 0.5))
    expect(page.locator("#plafond-raison")).to_contain_text("inférieur à 3 %")
    check_accessibility(page, "oeth-estimation")
    screenshot(page, "oeth-estimation")

    # The ESAT's manager finds the company among its clients and issues its attestation.
    context = new_context(browser, site)
    manager = context.new_page()
    log_in(manager, world["manager"])
    sid = world["esat"]["id"]
    manager.goto(f"/espace-structure/{sid}")
    manager.get_by_role("link", name="Attestations OETH").first.click()
    manager.wait_for_url(f"**/espace-structure/{sid}/attestations")
    check_accessibility(manager, "attestations-clients")
    screenshot(manager, "attestations-clients")
    client_row = manager.locator("#tableau-clients tr", has_text="Société Exemple SA")
    expect(client_row).to_contain_text(euros(ESAT_AMOUNT))
    client_row.get_by_role("link", name=re.compile("Établir l'attestation")).click()
    manager.wait_for_url(f"**/espace-structure/{sid}/attestations/nouvelle?*")
    expect(manager.locator("#champ-client_siren")).to_have_value(world["siren"])
    expect(manager.locator("#champ-contract_1_amount")).to_have_value(str(ESAT_AMOUNT))
    manager.fill("#champ-client_address", "3 rue des Tests, 69001 Lyon")
    manager.fill("#champ-contract_1_labour", "25 000")
    manager.get_by_role("button", name="Émettre l'attestation").click()
    expect(manager.locator("#champ-contract_1_labour-messages")).to_contain_text("dépasser")
    expect(manager.locator("#champ-contract_1_labour")).to_have_value("25 000")
    expect(manager.locator("#champ-client_address")).to_have_value("3 rue des Tests, 69001 Lyon")
    check_accessibility(manager, "attestation-erreur")
    manager.fill("#champ-contract_1_labour", f"{ATTESTED_LABOUR}")
    manager.get_by_role("button", name="Émettre l'attestation").click()
    manager.wait_for_url(re.compile(rf"/espace-structure/{sid}/attestations/\d+\?fait=emise"))
    expect(manager.locator("#etat-attestation")).to_have_text("Émise")
    expect(manager.locator("#deductible")).to_have_text(euros(ATTESTED_LABOUR * 0.3))
    check_accessibility(manager, "attestation")
    screenshot(manager, "attestation")
    with manager.expect_download() as download:
        manager.locator("#telecharger-pdf").click()
    issued_pdf = Path(download.value.path())
    assert issued_pdf.read_bytes().startswith(b"%PDF")
    text = digits_of(pdf_text(issued_pdf))
    assert world["siren"] in text and str(ATTESTED_LABOUR) in text
    # The manager's page on a phone.
    manager.set_viewport_size({"width": 375, "height": 900})
    manager.reload()
    assert_fits(manager)
    check_accessibility(manager, "attestation-375")
    screenshot(manager, "attestation")
    context.close()

    # The company's page now counts the attested labour cost instead of the estimate.
    attested = ATTESTED_LABOUR * 0.3
    page.goto(oeth_url)
    row = page.locator(f"#tableau-contrats tr[data-fournisseur='{world['esat']['siret']}']")
    expect(row).to_contain_text("Attestation")
    expect(row).to_contain_text(euros(ATTESTED_LABOUR))
    expect(page.locator("#deduction")).to_have_text(euros(attested))
    expect(page.locator("#contribution-apres")).to_have_text(euros(GROSS - attested))
    expect(page.locator("#tableau-attestations")).to_contain_text(euros(ATTESTED_LABOUR))
    with page.expect_download() as download:
        page.locator("#tableau-attestations a").first.click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")

    # A supplier the catalog does not know, marked TIH: counted on the labour share.
    page.fill("#champ-fournisseur", "Dupont")
    page.get_by_role("button", name="Chercher").click()
    page.get_by_role("button", name=re.compile(f"Marquer TIH : {TIH_NAME}")).click()
    page.wait_for_url(f"**{oeth_url}?fait=tih*")
    with_tih = attested + TIH_AMOUNT * LABOUR_SHARE * 0.3
    expect(page.locator("#tableau-contrats")).to_contain_text(TIH_NAME)
    expect(page.locator("#deduction")).to_have_text(euros(with_tih))
    check_accessibility(page, "oeth-attestee")
    screenshot(page, "oeth-attestee")

    # The same pages on a phone.
    log_in(phone, buyer)
    phone.goto(oeth_url)
    assert_fits(phone)
    check_accessibility(phone, "oeth-375")
    screenshot(phone, "oeth")


def test_attestation_rows_without_scripts_and_a_reissue(
    site: Site, browser: Browser, world: dict[str, Any]
) -> None:
    """Without scripts: « ajouter des lignes » comes back with more rows and nothing lost; the
    attestation issued with two contracts, then reissued as version 2."""
    sid = world["esat"]["id"]
    context = browser.new_context(base_url=site.web.url, java_script_enabled=False, locale="fr-FR")
    plain = context.new_page()
    try:
        log_in(plain, world["manager"])
        plain.goto(f"/espace-structure/{sid}/attestations/nouvelle?annee={YEAR}")
        assert plain.locator("#lignes-contrats .mi-lot-row").count() == 3
        siren = new_siren()
        plain.fill("#champ-client_siren", siren)
        plain.fill("#champ-client_name", "Mairie cliente")
        plain.fill("#champ-contract_1_description", "Espaces verts")
        plain.fill("#champ-contract_1_amount", "8 000")
        plain.fill("#champ-contract_1_labour", "5 000")
        plain.get_by_role("button", name="Ajouter des lignes").click()
        assert plain.locator("#lignes-contrats .mi-lot-row").count() == 6
        expect(plain.locator("#champ-contract_1_labour")).to_have_value("5 000")
        expect(plain.locator("#champ-client_name")).to_have_value("Mairie cliente")
        plain.fill("#champ-contract_5_description", "Blanchisserie")
        plain.fill("#champ-contract_5_amount", "2 000,50")
        plain.fill("#champ-contract_5_labour", "1 200")
        plain.get_by_role("button", name="Émettre l'attestation").click()
        plain.wait_for_url(re.compile(r"/attestations/\d+\?fait=emise"))
        expect(plain.locator("#tableau-contrats tbody tr")).to_have_count(2)
        expect(plain.locator("#main-oeuvre-totale")).to_have_text(euros(6_200))
        plain.fill("#champ-contract_2_labour", "1 500")
        plain.get_by_role("button", name="Réémettre l'attestation").click()
        plain.wait_for_url(re.compile(r"/attestations/\d+\?fait=reemise"))
        expect(plain.locator("#main-oeuvre-totale")).to_have_text(euros(6_500))
        expect(plain.locator(".fr-text--lead")).to_contain_text("version 2")
    finally:
        context.close()
    issued = api_json(
        site, "GET", f"/structures/{sid}/attestations", world["manager"], params={"year": YEAR}
    )
    items = issued["items"] if isinstance(issued, dict) else issued
    mine = [a for a in items if a["client"]["siren"] == siren]
    assert sorted((a["version"], a["status"]) for a in mine) == [(1, "replaced"), (2, "issued")]


def test_every_form_refuses_a_post_without_its_token(site: Site, world: dict[str, Any]) -> None:
    oid, sid = world["organisation_id"], world["other"]["id"]
    aid = world["foreign_attestation"]
    forms = {
        f"/organisation/{oid}/oeth/{YEAR}": {"headcount": "10", "labour_share": "50"},
        f"/organisation/{oid}/oeth/{YEAR}/tih": {"supplier_key": "x", "tih": "oui"},
        f"/espace-structure/{sid}/attestations/nouvelle": {"client_siren": "552100554"},
        f"/espace-structure/{sid}/attestations/{aid}": {"client_siren": "552100554"},
    }
    for email in (world["buyer"], world["other_manager"]):
        with httpx.Client(base_url=site.web.url, timeout=30) as client:
            token = re.search(
                r'name="csrf_token" value="([0-9a-f]{64})"', client.get("/connexion").text
            )
            assert token is not None
            signed = client.post(
                "/connexion",
                data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
            )
            assert signed.status_code == 303
            for path, data in forms.items():
                for sent in (data, {**data, "csrf_token": "0" * 64}):
                    refused = client.post(path, data=sent)
                    assert refused.status_code == 403, (path, refused.status_code)
                    assert "Formulaire expiré" in refused.text
    seen = api_json(site, "GET", f"/structures/{sid}/attestations/{aid}", world["other_manager"])
    assert seen["version"] == 1


def test_another_manager_and_a_stranger_are_refused(
    site: Site, browser: Browser, world: dict[str, Any]
) -> None:
    sid, aid = world["other"]["id"], world["foreign_attestation"]
    oid = world["organisation_id"]
    context = new_context(browser, site)
    other = context.new_page()
    try:
        log_in(other, world["manager"])
        for path in (
            f"/espace-structure/{sid}/attestations",
            f"/espace-structure/{sid}/attestations/nouvelle",
            f"/espace-structure/{sid}/attestations/{aid}",
            f"/espace-structure/{sid}/attestations/{aid}/attestation.pdf",
        ):
            answer = other.request.get(site.url(path))
            assert answer.status == 403, (path, answer.status)
            assert "Client de l'autre ESAT" not in answer.text()
        # Another structure's attestation through one's own structure: not found.
        own = world["esat"]["id"]
        answer = other.request.get(site.url(f"/espace-structure/{own}/attestations/{aid}"))
        assert answer.status in (403, 404)
    finally:
        context.close()
    # A buyer of another company sees nothing of this one's deduction nor attestations.
    context = new_context(browser, site)
    other = context.new_page()
    try:
        log_in(other, world["stranger"])
        for path in (
            f"/organisation/{oid}/oeth/{YEAR}",
            f"/organisation/{oid}/attestations/{aid}/attestation.pdf",
        ):
            answer = other.request.get(site.url(path))
            assert answer.status in (403, 404), (path, answer.status)
            assert "Société Exemple SA" not in answer.text()
        other.goto(f"/organisation/{oid}/oeth/{YEAR}")
        check_accessibility(other, "oeth-refus")
    finally:
        context.close()


def test_other_kinds_are_told_why_and_staff_read_the_attestations(
    site: Site, page: Page, world: dict[str, Any]
) -> None:
    """An insertion structure gets no « Attestations OETH » entry, and its address explains why;
    the staff read an ESAT's attestations."""
    hits = site.api("GET", "/api/v1/search", params={"kind": "EI", "per_page": 1}).json()["hits"]
    insertion = hits[0]["id"]
    log_in(page, site.new_staff())
    page.goto(f"/espace-structure/{insertion}/attestations")
    expect(page.locator("#non-concerne")).to_contain_text("EI")
    expect(page.locator(".fr-sidemenu")).not_to_contain_text("Attestations OETH")
    check_accessibility(page, "attestations-non-concerne")
    page.goto(f"/espace-structure/{world['other']['id']}/attestations?annee={YEAR}")
    expect(page.locator("#tableau-emises")).to_contain_text("Client de l'autre ESAT")


def test_the_declaration_form_reads_french_numbers() -> None:
    typed = oeth_view.read_declaration(
        FormData(
            {
                "headcount": "1 250,5",
                "rate": "2,66",
                "contribution_mode": "declared",
                "gross_contribution": "42 000 €",
                "labour_share": "60 %",
            }
        )
    )
    assert not typed.errors
    assert typed.body == {
        "headcount": 1250.5,
        "beneficiaries": None,
        "rate": 2.66,
        "gross_contribution_eur": 42000,
        "labour_share": 0.6,
    }
    estimate = oeth_view.read_declaration(
        FormData({"headcount": "30", "beneficiaries": "1", "contribution_mode": "estimate"})
    )
    assert estimate.body["gross_contribution_eur"] is None
    assert "labour_share" in estimate.errors
    missing = oeth_view.read_declaration(FormData({"headcount": "30", "labour_share": "50"}))
    assert "plafond" in missing.errors["rate"]
    problem = ApiProblem(422, "Requête invalide", errors=[FieldProblem("body.labour_share", "x")])
    oeth_view.place_api_errors(problem, missing)
    assert missing.errors["labour_share"] == "x"


def test_the_attestation_form_places_errors_by_row() -> None:
    form = FormData(
        {
            "year": str(YEAR),
            "client_siren": "552 100 554",
            "client_name": "Client",
            "rows": "3",
            "contract_2_description": "Nettoyage",
            "contract_2_amount": "1 000",
            "contract_2_labour": "600",
            "contract_3_description": "Repas",
            "contract_3_amount": "500",
            "contract_3_labour": "400",
        }
    )
    typed = attestations_view.read_form(form)
    attestations_view.build_body(typed)
    assert not typed.errors, typed.errors
    assert typed.body["client"]["siren"] == "552100554"
    assert [c["amount_excl_vat_eur"] for c in typed.body["contracts"]] == [1000, 500]
    problem = ApiProblem(
        422, "Requête invalide", errors=[FieldProblem("contracts[1].labour_cost_eur", "trop")]
    )
    attestations_view.place_api_errors(problem, typed)
    assert typed.errors == {"contract_3_labour": "trop"}
    more = attestations_view.read_form(FormData({**form, "rows": "3"}), add_rows=True)
    assert more.rows == 6 and more.values["contract_3_description"] == "Repas"


def test_the_menu_offers_attestations_to_ea_eatt_and_esat_only() -> None:
    def keys(kind: str | None) -> list[str]:
        return [key for key, _, _ in Managed({"id": 1, "kind": kind}, "admin", False).menu()]

    assert "attestations" in keys("ESAT") and "attestations" in keys("EATT")
    assert "attestations" not in keys("EI")
    assert "attestations" in keys(None)
