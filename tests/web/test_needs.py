"""A buyer's needs in a real browser on the real stack: the deposit in five steps (with a
refusal of the API shown beside its field, what was typed kept), publication, the matched
suppliers and their statuses, a manager's answer, the CSV export, the reminder's rule."""

from __future__ import annotations

import csv
import io
import secrets
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Site, check_accessibility, log_in, screenshot

SECTOR = "nettoyage-de-locaux-16"
# The smallest document a PDF reader opens: the proof a claimant sends.
ROOT = Path(__file__).resolve().parents[2]


def managed_structure(site: Site) -> tuple[int, dict[str, str]]:
    """A supplier manager claims a cleaning structure of Seine-Saint-Denis, staff accept."""
    manager = site.bearer(site.new_account("supplier_manager"))
    hits = site.api(
        "GET",
        "/api/v1/search",
        params={"sector": SECTOR, "department": "93", "presta_type": "PREST", "per_page": 50},
    ).json()["hits"]
    structure = next(h for h in reversed(hits) if h.get("siret") and not h.get("website"))
    site.claim(structure, manager)
    return int(structure["id"]), manager


def error_of(page: Page, field: str) -> str:
    return page.locator(f"#champ-{field}-messages").inner_text()


@pytest.fixture
def buyer(site: Site) -> str:
    return site.new_account("public_buyer")


def test_deposit_publish_follow_answers_export_remind(
    site: Site, page: Page, phone: Page, buyer: str
) -> None:
    structure_id, manager = managed_structure(site)
    log_in(page, buyer)

    # Step 1, prefilled from a search (sector, place); a description too short is refused.
    page.goto(f"/besoins/nouveau?depuis=recherche&sector={SECTOR}&department=93")
    expect(page.locator("#champ-sector")).to_have_value(SECTOR)
    expect(page.locator(".fr-stepper__state")).to_have_text("Étape 1 sur 5")
    check_accessibility(page, "besoin-etape-1")
    screenshot(page, "besoin-etape-1")
    title = f"Nettoyage des locaux de la mairie {secrets.token_hex(3)}"
    page.fill("#champ-title", title)
    page.fill("#champ-description", "Court")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    assert "trop court" in error_of(page, "description")
    expect(page.locator("#champ-title")).to_have_value(title)
    expect(page.locator("#champ-description")).to_have_value("Court")
    expect(page.locator("#erreurs")).to_be_visible()
    check_accessibility(page, "besoin-etape-1-erreur")
    page.fill("#champ-description", "Entretien quotidien de 2 000 m² de bureaux, 3 ans.")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url("**/etape/2")
    need_id = int(page.url.split("/besoins/")[1].split("/")[0])

    # Step 2: the API refuses a minimum above the maximum, beside the field, values kept.
    check_accessibility(page, "besoin-etape-2")
    screenshot(page, "besoin-etape-2")
    page.fill("#champ-amount_min_eur", "120 000")
    page.fill("#champ-amount_max_eur", "50000")
    deadline = date.today() + timedelta(days=60)
    page.fill("#champ-deadline", deadline.isoformat())
    page.get_by_role("button", name="Enregistrer et continuer").click()
    assert "dépasse" in error_of(page, "amount_min_eur")
    expect(page.locator("#champ-amount_min_eur")).to_have_value("120 000")
    expect(page.locator("#champ-deadline")).to_have_value(deadline.isoformat())
    check_accessibility(page, "besoin-etape-2-erreur")
    page.fill("#champ-amount_max_eur", "150000")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url("**/etape/3")

    # Step 3: the place came from the search; a CPV code found without scripts' help.
    expect(page.locator("#lieu-actuel")).to_be_checked()
    page.fill("#champ-cpv_search", "nettoyage de bureaux")
    page.get_by_role("button", name="Chercher les codes").click()
    page.locator("#cpv-propositions label").first.click()
    expect(page.locator("#cpv-propositions input[type=checkbox]").first).to_be_checked()
    page.locator("label", has_text="Prestation de service").click()
    check_accessibility(page, "besoin-etape-3")
    screenshot(page, "besoin-etape-3")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url("**/etape/4")

    # Step 4: a question; step 5: the review, then publication.
    page.fill("#champ-question_0", "Pouvez-vous intervenir le samedi ?")
    check_accessibility(page, "besoin-etape-4")
    screenshot(page, "besoin-etape-4")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url("**/etape/5")
    expect(page.get_by_text("Pouvez-vous intervenir le samedi ?")).to_be_visible()
    expect(page.locator(".mi-need-review")).to_contain_text("120\u202f000 € à 150\u202f000 € HT")
    check_accessibility(page, "besoin-etape-5")
    screenshot(page, "besoin-etape-5")
    saved = site.api("GET", f"/api/v1/needs/{need_id}", headers=site.bearer(buyer)).json()
    assert saved["status"] == "draft" and saved["place_code"] == "93"
    assert saved["sectors"] == [SECTOR] and len(saved["cpv_codes"]) == 1
    assert saved["amount_min_eur"] == 120000 and saved["presta_types"] == ["PREST"]
    page.get_by_role("button", name="Publier le besoin").click()
    page.wait_for_url(f"**/besoins/{need_id}?publie=1")

    # The matches, with their score parts and statuses: the managed structure was told.
    matches = site.api("GET", f"/api/v1/needs/{need_id}/matches", headers=site.bearer(buyer)).json()
    assert matches and structure_id in {m["structure_id"] for m in matches}
    rows = page.locator("#table-structures tbody tr")
    expect(rows).to_have_count(len(matches))
    told = rows.filter(has=page.locator(f"a[href='/structures/{structure_id}']"))
    expect(told.locator(".mi-need-status")).to_have_text("Prévenue")
    expect(told).to_contain_text("Domaine")

    # The manager answers from their space; the answer shows on the need's page.
    answered = site.api(
        "POST",
        f"/api/v1/structures/{structure_id}/needs/{need_id}/answer",
        json={"status": "interested", "answers": {"0": "Oui, dès 6 h."}},
        headers=manager,
    )
    assert answered.status_code == 200, answered.text
    page.goto(f"/besoins/{need_id}")
    expect(told.locator(".mi-need-status")).to_have_text("Intéressée")
    expect(page.locator("#table-reponses")).to_contain_text("Oui, dès 6 h.")
    check_accessibility(page, "besoin")
    screenshot(page, "besoin")

    # The export of the matches: one row per match, the same structures.
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter les structures trouvées").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert [int(r["Identifiant"]) for r in exported] == [m["structure_id"] for m in matches]

    # The reminder: too early right after publication, the page says why and from when.
    expect(page.locator("#relance-indisponible")).to_contain_text("Trop tôt")
    page.get_by_role("button", name="Relancer les structures sans réponse").click()
    expect(page.locator("#relance-refusee")).to_contain_text("72 heures après la publication")
    check_accessibility(page, "besoin-relance-refusee")

    # My needs, by status.
    page.goto("/besoins")
    published = page.locator("section[aria-labelledby='statut-published']")
    expect(published.get_by_role("link", name=title)).to_be_visible()
    check_accessibility(page, "besoins")

    # The same pages at 375 px.
    log_in(phone, buyer)
    phone.goto(f"/besoins/nouveau?sector={SECTOR}")
    screenshot(phone, "besoin-etape-1")
    for step in (2, 3, 4, 5):
        phone.goto(f"/besoins/{need_id}/etape/{step}")
        screenshot(phone, f"besoin-etape-{step}")
    phone.goto(f"/besoins/{need_id}")
    screenshot(phone, "besoin")
    check_accessibility(phone, "besoin-375")


def test_a_draft_survives_and_resumes(site: Site, page: Page, buyer: str) -> None:
    """A draft left after step 1 is listed with the drafts and resumes at step 2; a stale
    version is reported and what was typed is kept."""
    log_in(page, buyer)
    page.goto("/besoins/nouveau")
    page.fill("#champ-title", "Brouillon de fournitures")
    page.fill("#champ-description", "Papier recyclé pour les services municipaux.")
    page.select_option("#champ-sector", SECTOR)
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url("**/etape/2")
    need_id = int(page.url.split("/besoins/")[1].split("/")[0])
    page.goto("/besoins")
    drafts = page.locator("section[aria-labelledby='statut-draft']")
    drafts.get_by_role("link", name="Brouillon de fournitures").click()
    page.wait_for_url(f"**/besoins/{need_id}/etape/2")

    # Another tab changes the need meanwhile: this form's version is stale.
    bearer = site.bearer(buyer)
    current = site.api("GET", f"/api/v1/needs/{need_id}", headers=bearer)
    changed = site.api(
        "PATCH",
        f"/api/v1/needs/{need_id}",
        json={"title": "Brouillon de fournitures (modifié)"},
        headers={**bearer, "If-Match": current.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    page.fill("#champ-amount_max_eur", "30000")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    expect(page.locator("#conflit")).to_contain_text("modifié ailleurs")
    expect(page.locator("#champ-amount_max_eur")).to_have_value("30000")
    check_accessibility(page, "besoin-conflit")
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url("**/etape/3")
    saved = site.api("GET", f"/api/v1/needs/{need_id}", headers=bearer).json()
    assert saved["amount_max_eur"] == 30000

    # With scripts, suggestions come as one types; a place typed but not chosen is not dropped.
    page.locator("#champ-place_search").press_sequentially("Montreuil", delay=20)
    expect(page.locator("#lieu-propositions")).to_contain_text("Commune : Montreuil")
    page.locator("#champ-cpv_search").press_sequentially("papier", delay=20)
    expect(page.locator("#cpv-propositions input[type=checkbox]").first).to_be_attached()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    assert "choisissez le lieu" in error_of(page, "place")
    expect(page.locator("#champ-place_search")).to_have_value("Montreuil")
    check_accessibility(page, "besoin-etape-3-erreur")
    page.locator("#lieu-propositions label", has_text="Commune : Montreuil").first.click()
    page.get_by_role("button", name="Enregistrer et continuer").click()
    page.wait_for_url("**/etape/4")
    saved = site.api("GET", f"/api/v1/needs/{need_id}", headers=bearer).json()
    assert saved["place_level"] == "commune"

    # Cancelled after a confirmation page (no script needed), it is listed with the cancelled.
    page.goto(f"/besoins/{need_id}")
    page.get_by_role("link", name="Annuler le besoin").click()
    page.wait_for_url(f"**/besoins/{need_id}/annuler")
    check_accessibility(page, "besoin-annuler")
    page.get_by_role("button", name="Annuler ce besoin").click()
    page.wait_for_url(f"**/besoins/{need_id}")
    expect(page.locator(".fr-badges-group").first).to_contain_text("Annulé")
    page.goto("/besoins")
    cancelled = page.locator("section[aria-labelledby='statut-cancelled']")
    expect(cancelled.get_by_role("link", name="Brouillon de fournitures")).to_be_visible()
