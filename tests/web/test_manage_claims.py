"""Claiming a structure in a real browser on the real stack: found by SIRET or name, confirmed
with a message, then followed — a proof uploaded (and refused, each refusal beside the field)
until staff accept, a code read from the structure's e-mail, a phone, no JavaScript."""

from __future__ import annotations

import re
import secrets
from typing import Any

from playwright.sync_api import Browser, Page, expect

from tests.mail_support import body
from tests.web.conftest import (
    PROOF,
    Site,
    check_accessibility,
    log_in,
    new_context,
    screenshot,
)


def unclaimed(site: Site, department: str, kind: str = "ACI") -> dict[str, Any]:
    """A structure of the data with a SIRET and no website (so no claim is accepted by the
    address's domain), picked at random so that tests do not meet on one."""
    hits = site.api(
        "GET",
        "/api/v1/search",
        params={"kind": kind, "department": department, "per_page": 100},
    ).json()["hits"]
    candidates = [h for h in hits if h.get("siret") and not h.get("website")]
    # Other files of the same site claim structures of these départements: skip those managed.
    staff = site.staff()
    while candidates:
        picked = candidates.pop(secrets.randbelow(len(candidates)))
        found = site.api(
            "GET", "/api/v1/structures/lookup", params={"q": picked["siret"]}, headers=staff
        ).json()
        if not any(f["id"] == picked["id"] and f["managed"] for f in found):
            return picked
    raise AssertionError(f"no unmanaged {kind} in {department}")


def error_of(page: Page, field: str) -> str:
    return page.locator(f"#champ-{field}-messages").inner_text()


def claim_id_of(page: Page) -> int:
    found = re.search(r"/espace-structure/demandes/(\d+)", page.url)
    assert found, page.url
    return int(found.group(1))


def find_and_open(page: Page, structure: dict[str, Any], query: str | None = None) -> None:
    page.goto("/espace-structure/revendiquer")
    page.fill("#champ-q", query or structure["siret"])
    page.get_by_role("button", name="Rechercher").click()
    card = page.locator(".mi-claim-result", has_text=structure["siret"])
    expect(card).to_have_count(1)
    card.get_by_role("link", name="Revendiquer").click()
    expect(page.locator("h1")).to_contain_text("Revendiquer")


def test_a_claim_with_a_proof_refused_then_accepted_by_staff(site: Site, page: Page) -> None:
    email = site.new_account("supplier_manager")
    structure = unclaimed(site, "59")
    log_in(page, email)

    # Found by its SIRET typed in groups, as it is printed on a Kbis.
    siret = structure["siret"]
    find_and_open(page, structure, f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}")
    check_accessibility(page, "claim-confirm")
    page.fill("#champ-message", "Je suis la directrice de la structure.")
    page.get_by_role("button", name="Confirmer la demande").click()
    expect(page.locator("#statut-demande")).to_have_text("en cours")
    expect(page.locator("#prochaine-etape")).to_contain_text("Déposez un justificatif")
    expect(page.locator("body")).to_contain_text("Je suis la directrice de la structure.")
    claim_id = claim_id_of(page)
    check_accessibility(page, "claim-proof-form")

    upload = page.locator("#champ-justificatif")
    send = page.get_by_role("button", name="Envoyer le justificatif")
    # Nothing chosen.
    send.click()
    assert "Choisissez le fichier" in error_of(page, "justificatif")
    # A text file renamed .pdf: the type is read from its bytes.
    upload.set_input_files(
        {"name": "kbis.pdf", "mimeType": "application/pdf", "buffer": b"pas un PDF du tout\n"}
    )
    send.click()
    message = error_of(page, "justificatif")
    assert "kbis.pdf" in message and "ni un PDF" in message, message
    check_accessibility(page, "claim-proof-refused")
    screenshot(page, "claim-proof-refused")
    # An empty file.
    upload.set_input_files({"name": "vide.pdf", "mimeType": "application/pdf", "buffer": b""})
    send.click()
    assert "vide" in error_of(page, "justificatif")
    # Over 5 Mio.
    big = PROOF[:-7] + b"0" * (5 * 1024 * 1024) + b"\n%%EOF\n"
    upload.set_input_files({"name": "gros.pdf", "mimeType": "application/pdf", "buffer": big})
    send.click()
    message = error_of(page, "justificatif")
    assert "gros.pdf" in message and "5 Mio" in message, message
    # Nothing was kept of the refused files.
    mine = site.api("GET", "/api/v1/claims", headers=site.bearer(email)).json()
    assert next(c for c in mine if c["id"] == claim_id)["proof"] is None

    upload.set_input_files({"name": "kbis.pdf", "mimeType": "application/pdf", "buffer": PROOF})
    send.click()
    expect(page.locator(".fr-alert--success")).to_contain_text("bien été reçu")
    expect(page.locator("#justificatif-recu")).to_contain_text("en cours d'examen")
    expect(page.locator("#justificatif-recu")).to_contain_text("PDF")
    check_accessibility(page, "claim-proof-received")

    accepted = site.api(
        "POST",
        f"/api/v1/claims/{claim_id}/accept",
        json={"reason": "Kbis conforme"},
        headers=site.staff(),
    )
    assert accepted.status_code == 200, accepted.text
    page.reload()
    expect(page.locator("#statut-demande")).to_have_text("acceptée")
    dashboard = page.get_by_role("link", name="Ouvrir le tableau de bord de la structure")
    expect(dashboard).to_have_attribute("href", f"/espace-structure/{structure['id']}")
    check_accessibility(page, "claim-accepted")
    screenshot(page, "claim-accepted")

    # Found again: « Vous la gérez ».
    page.goto(f"/espace-structure/revendiquer?q={structure['siret']}")
    expect(page.locator(".mi-claim-result")).to_contain_text("Vous la gérez")
    # My claims list it, accepted.
    page.goto("/espace-structure/demandes")
    row = page.locator("#mes-demandes tr", has_text=f"demande n° {claim_id}")
    expect(row).to_contain_text("acceptée")
    check_accessibility(page, "claims-list")


def test_a_claim_verified_by_the_code_sent_to_the_structure(site: Site, page: Page) -> None:
    structure = unclaimed(site, "62")
    path = f"/api/v1/structures/{structure['id']}"
    contact = f"contact-{secrets.token_hex(3)}@structure-test.fr"
    read = site.api("GET", path)
    edited = site.api(
        "PATCH",
        path,
        json={"contact_email": contact},
        headers={**site.staff(), "If-Match": read.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    email = site.new_account("supplier_manager")
    log_in(page, email)
    page.goto(f"/espace-structure/revendiquer/{structure['id']}")
    page.get_by_role("button", name="Confirmer la demande").click()
    expect(page.locator("#prochaine-etape")).to_contain_text("Saisissez le code")
    expect(page.locator("body")).to_contain_text("c***@structure-test.fr")
    check_accessibility(page, "claim-code-form")

    code = re.search(r"ce code : (\d{6})", body(site.inbox.wait_for(contact)))
    assert code is not None
    wrong = "000000" if code.group(1) != "000000" else "111111"
    page.fill("#champ-code", "12a")
    page.get_by_role("button", name="Valider le code").click()
    assert "6 chiffres" in error_of(page, "code")
    expect(page.locator("#champ-code")).to_have_value("12a")
    page.fill("#champ-code", wrong)
    page.get_by_role("button", name="Valider le code").click()
    assert "Code incorrect (4 essai(s) restant(s))" in error_of(page, "code")
    check_accessibility(page, "claim-code-wrong")
    screenshot(page, "claim-code-wrong")

    page.fill("#champ-code", f"{code.group(1)[:3]} {code.group(1)[3:]}")
    page.get_by_role("button", name="Valider le code").click()
    expect(page.locator("#statut-demande")).to_have_text("acceptée")


def test_the_search_says_what_is_wrong_and_fits_a_phone(site: Site, phone: Page) -> None:
    structure = unclaimed(site, "80")
    log_in(phone, site.new_account("supplier_manager"))
    phone.goto("/espace-structure/revendiquer")
    check_accessibility(phone, "claim-find-375")
    phone.fill("#champ-q", "12345")
    phone.fill("#champ-department", "9x")
    phone.get_by_role("button", name="Rechercher").click()
    assert "14 chiffres" in error_of(phone, "q")
    assert "93, 2A ou 974" in error_of(phone, "department")
    expect(phone.locator("#champ-q")).to_have_value("12345")
    check_accessibility(phone, "claim-find-errors-375")

    phone.fill("#champ-q", structure["name"])
    phone.fill("#champ-department", structure["department_code"])
    phone.get_by_role("button", name="Rechercher").click()
    expect(phone.locator(".mi-claim-result", has_text=structure["siret"])).to_have_count(1)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    check_accessibility(phone, "claim-find-results-375")
    screenshot(phone, "claim-find-results")


def test_claiming_works_without_javascript(site: Site, browser: Browser) -> None:
    structure = unclaimed(site, "02")
    context = browser.new_context(base_url=site.web.url, java_script_enabled=False, locale="fr-FR")
    page = context.new_page()
    try:
        log_in(page, site.new_account("supplier_manager"))
        page.goto("/espace-structure/revendiquer")
        page.get_by_role("button", name="Rechercher").click()
        assert "Saisissez le SIRET" in error_of(page, "q")
        find_and_open(page, structure)
        page.fill("#champ-message", "Président de l'association")
        page.get_by_role("button", name="Confirmer la demande").click()
        expect(page.locator("#statut-demande")).to_have_text("en cours")
        page.set_input_files(
            "#champ-justificatif",
            {"name": "agrement.pdf", "mimeType": "application/pdf", "buffer": PROOF},
        )
        page.get_by_role("button", name="Envoyer le justificatif").click()
        expect(page.locator("#justificatif-recu")).to_contain_text("en cours d'examen")
    finally:
        context.close()


def test_a_claim_is_only_its_claimants(site: Site, page: Page) -> None:
    structure = unclaimed(site, "60")
    owner = site.bearer(site.new_account("supplier_manager"))
    made = site.api(
        "POST",
        "/api/v1/claims",
        json={"siret": structure["siret"], "structure_id": structure["id"]},
        headers=owner,
    )
    assert made.status_code == 201, made.text
    log_in(page, site.new_account("supplier_manager"))
    response = page.goto(f"/espace-structure/demandes/{made.json()['id']}")
    assert response is not None and response.status == 404
    expect(page.locator("body")).not_to_contain_text(structure["name"])
    check_accessibility(page, "claim-missing")


def test_the_claim_form_by_keyboard(site: Site, browser: Browser) -> None:
    structure = unclaimed(site, "76")
    context = new_context(browser, site)
    page = context.new_page()
    try:
        log_in(page, site.new_account("supplier_manager"))
        page.goto("/espace-structure/revendiquer")
        page.focus("#champ-q")
        page.keyboard.type(structure["siret"])
        page.keyboard.press("Enter")
        link = page.locator(".mi-claim-result").get_by_role("link", name="Revendiquer")
        link.focus()
        page.keyboard.press("Enter")
        page.focus("#champ-message")
        page.keyboard.type("Gérant")
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        expect(page.locator("#statut-demande")).to_have_text("en cours")
    finally:
        context.close()
