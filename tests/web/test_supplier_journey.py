"""The supplier's whole journey, in a real browser, on the real stack: a supplier registers on the
website and confirms the e-mailed link; finds its structure by name and claims it with a proof (a
real file upload); staff log in and accept it in the back-office; the manager edits the
presentation, adds an activity with zones and an offer with a photo; the public results page shows
the structure by the words of its new presentation, in the sector and département declared, within
seconds — and the public page shows the offer and its photo."""

from __future__ import annotations

import re
import secrets
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.mail_support import links
from tests.web.conftest import PASSWORD, PROOF, Site, check_accessibility, log_in, screenshot
from tests.web.test_manage_claims import unclaimed
from tests.web.test_manage_offers import _png

SECTOR = "creation-et-entretien-des-espaces-verts"


@pytest.fixture(scope="module")
def staff_email(site: Site) -> str:
    """A staff account of this module's own (its address is needed to log in)."""
    return site.new_staff()


def tick(page: Page, label: str) -> None:
    """DSFR checkboxes and radios: the label is what a person clicks."""
    page.locator("label", has_text=label).first.click()


def test_register_claim_accepted_edit_and_found(
    site: Site, page: Page, browser: Browser, staff_email: str, tmp_path: Path
) -> None:
    structure = unclaimed(site, "80")
    sid = int(structure["id"])
    address = f"directrice-{secrets.token_hex(4)}@exemple.fr"

    # Registers as a structure's manager and confirms the address from the e-mail.
    page.goto("/inscription")
    page.fill("#champ-email", address)
    page.fill("#champ-password", PASSWORD)
    page.locator("label", has_text="Gestionnaire de structure").click()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(site.url("/inscription/envoyee"))
    message = site.inbox.wait_for(address)
    (confirm,) = [u for u in links(message) if "/compte/confirmation" in u]
    page.goto(confirm)
    expect(page).to_have_url(site.url("/connexion?confirme=1"))
    log_in(page, address)
    expect(page).to_have_url(site.url("/espace-structure"))
    check_accessibility(page, "parcours-accueil")

    # Finds the structure by its name and claims it with a proof.
    page.get_by_role("link", name="Revendiquer une structure").first.click()
    name_words = " ".join(re.findall(r"\w{4,}", structure["name"])[:2]) or structure["siret"]
    page.fill("#champ-q", name_words)
    page.fill("#champ-department", "80")
    page.get_by_role("button", name="Rechercher").click()
    card = page.locator(".mi-claim-result", has_text=structure["siret"])
    expect(card).to_have_count(1)
    card.get_by_role("link", name="Revendiquer").click()
    page.fill("#champ-message", "Je dirige la structure depuis 2018.")
    page.get_by_role("button", name="Confirmer la demande").click()
    expect(page.locator("#prochaine-etape")).to_contain_text("Déposez un justificatif")
    page.locator("#champ-justificatif").set_input_files(
        {"name": "kbis.pdf", "mimeType": "application/pdf", "buffer": PROOF}
    )
    page.get_by_role("button", name="Envoyer le justificatif").click()
    expect(page.locator("#justificatif-recu")).to_contain_text("en cours d'examen")
    claim_path = page.url

    # Staff log in, open the queue, accept.
    staff = browser.new_context(base_url=site.web.url, viewport={"width": 1280, "height": 900})
    try:
        desk = staff.new_page()
        log_in(desk, staff_email)
        expect(desk).to_have_url(site.url("/back-office"))
        desk.goto("/back-office/demandes")
        claim = desk.locator(".fr-card, article, li", has_text=structure["siret"]).filter(
            has=desk.get_by_role("link", name="Voir le justificatif")
        )
        expect(claim.first).to_contain_text("Je dirige la structure depuis 2018.")
        claim.first.get_by_role("link", name=re.compile("^Accepter")).click()
        desk.fill("#champ-reason", "Kbis conforme.")
        desk.get_by_role("button", name="Confirmer l'acceptation").click()
        expect(desk.locator(".fr-alert--success")).to_contain_text("Demande acceptée")
    finally:
        staff.close()
    page.goto(claim_path)
    expect(page.locator("#statut-demande")).to_have_text("acceptée")
    page.get_by_role("link", name="Ouvrir le tableau de bord de la structure").click()
    expect(page).to_have_url(site.url(f"/espace-structure/{sid}"))
    check_accessibility(page, "parcours-tableau-de-bord")

    # The presentation.
    word = "".join(secrets.choice("bcdfghjklmnpqrstvz") + secrets.choice("aeiou") for _ in range(5))
    page.goto(f"/espace-structure/{sid}/fiche")
    page.fill("#champ-description", f"Entretien d'espaces verts et {word} pour les collectivités.")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(page.locator("#indexation")).to_contain_text("Enregistré.")

    # An activity in the sector with zones: the Somme and a commune of the Oise.
    page.goto(f"/espace-structure/{sid}/activites/nouvelle")
    page.locator("#champ-sector").select_option(SECTOR)
    tick(page, "Prestation de service")
    tick(page, "Dans des zones choisies")
    zone = page.locator("#champ-ou")
    zone.fill("80")
    zone.press("Enter")
    expect(page.locator("#zones-choisies")).to_contain_text("Somme (80)")
    zone = page.locator("#champ-ou")
    zone.fill("Beauvais")
    expect(page.locator("#champ-ou-liste [role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#zones-choisies")).to_contain_text("Beauvais")
    page.get_by_role("button", name="Enregistrer l'activité").click()
    expect(page.get_by_text("L'activité est ajoutée.")).to_be_visible()

    # An offer with a photo.
    page.goto(f"/espace-structure/{sid}/offres")
    page.get_by_role("link", name="Ajouter une offre").click()
    page.fill("#champ-title", f"Tonte et taille {word}")
    page.fill("#champ-description", "Tonte, taille de haies, désherbage sans produits chimiques.")
    page.locator("#champ-sector").select_option(SECTOR)
    tick(page, "Prestation de service")
    page.fill("#champ-price_indication", "à partir de 35 € HT de l'heure")
    page.get_by_role("button", name="Enregistrer l'offre").click()
    expect(page.get_by_text("L'offre est ajoutée.")).to_be_visible()
    page.set_input_files("#champ-photo", str(_png(tmp_path / "haie.png")))
    page.fill("#champ-alt", "Haie taillée au carré")
    page.get_by_role("button", name="Ajouter la photo").click()
    expect(page.get_by_text("La photo est ajoutée.")).to_be_visible()
    screenshot(page, "parcours-offre")

    # Found by the public, by the words of the new presentation, in the sector and the Somme:
    # within seconds (the freshness target), the time the page takes to show it is measured.
    visitor = browser.new_context(base_url=site.web.url, viewport={"width": 375, "height": 800})
    try:
        public = visitor.new_page()
        started, found = time.monotonic(), False
        while time.monotonic() - started < 30 and not found:
            public.goto(f"/recherche?q={word}&sector={SECTOR}&department=80")
            found = public.locator(f"a[href^='/structures/{sid}']").count() > 0
        assert found, "not searchable within 30 s"
        public.locator(f"a[href^='/structures/{sid}']").first.click()
        expect(public.locator("main")).to_contain_text(f"Tonte et taille {word}")
        expect(public.locator("img[alt='Haie taillée au carré']")).to_be_visible()
        check_accessibility(public, "parcours-fiche-publique-375")
        screenshot(public, "parcours-fiche-publique")
    finally:
        visitor.close()
    history = page.goto(f"/espace-structure/{sid}/historique")
    assert history is not None and history.status == 200
    expect(page.locator("main")).to_contain_text("description")
