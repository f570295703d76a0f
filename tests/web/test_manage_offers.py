"""A manager's offers in a real browser on the real stack: an offer added, given a photo (a real
PNG) with its description, a text file named .png refused beside the field, the offer hidden
from buyers and shown again, edited after someone else changed it, removed after confirming;
another manager refused; a phone; the form without JavaScript; axe on every state."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

from PIL import Image
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import Site, assert_fits, check_accessibility, log_in, screenshot, tick

SECTOR = "creation-et-entretien-des-espaces-verts"


def _offers(site: Site, structure_id: int, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = site.api("GET", f"/api/v1/structures/{structure_id}/offers", headers=headers)
    assert answer.status_code == 200, answer.text
    offers: list[dict[str, Any]] = answer.json()
    return offers


def _managed(site: Site, department: str) -> tuple[dict[str, Any], str]:
    """A structure of the loaded data with a SIRET, claimed by a new manager (staff accept)."""
    hits = site.api(
        "GET", "/api/v1/search", params={"department": department, "per_page": 100}
    ).json()["hits"]
    structure = random.choice([h for h in hits if h.get("siret")])
    email = site.new_account("supplier_manager")
    site.claim(structure, site.bearer(email))
    return structure, email


def _png(path: Path) -> Path:
    """A real photo-like PNG, 640 × 480, made here."""
    image = Image.new("RGB", (640, 480))
    for x in range(0, 640, 16):
        for y in range(0, 480, 16):
            image.paste((x % 256, y % 256, (x + y) % 256), (x, y, x + 16, y + 16))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    path.write_bytes(buffer.getvalue())
    return path


def _fill_offer(page: Page, title: str) -> None:
    page.fill("#champ-title", title)
    page.fill("#champ-description", "Tonte, taille de haies, désherbage sans produits chimiques.")
    page.locator("#champ-sector").select_option(SECTOR)
    tick(page, "Prestation de service")
    page.fill("#champ-price_indication", "à partir de 35 € HT de l'heure")
    page.fill("#champ-unit", "heure")
    page.fill("#champ-lead_time_days", "10")


def test_an_offer_with_its_photo_shown_hidden_and_removed(
    site: Site, page: Page, tmp_path: Path
) -> None:
    structure, manager = _managed(site, "44")
    headers = site.bearer(manager)
    log_in(page, manager)
    page.goto(f"/espace-structure/{structure['id']}/offres")
    expect(page.get_by_text("Aucune offre pour l'instant.")).to_be_visible()
    check_accessibility(page, "offres-vide")
    page.get_by_role("link", name="Ajouter une offre").click()
    check_accessibility(page, "offre-formulaire")

    # A lead time that is not a number: refused beside the field, the rest kept.
    _fill_offer(page, "Entretien d'espaces verts")
    page.fill("#champ-lead_time_days", "dix")
    page.get_by_role("button", name="Enregistrer l'offre").click()
    expect(page.locator("#champ-lead_time_days-messages")).to_contain_text("nombre de jours")
    expect(page.locator("#champ-title")).to_have_value("Entretien d'espaces verts")
    expect(page.locator("#champ-sector")).to_have_value(SECTOR)
    check_accessibility(page, "offre-erreur")
    page.fill("#champ-lead_time_days", "10")
    page.get_by_role("button", name="Enregistrer l'offre").click()
    expect(page.get_by_text("L'offre est ajoutée.")).to_be_visible()
    offer = _offers(site, structure["id"], headers)[0]
    assert (offer["title"], offer["presta_type"], offer["lead_time_days"]) == (
        "Entretien d'espaces verts",
        "PREST",
        10,
    )

    # A text file named .png: refused by the media API, beside the field, the description kept.
    fake = tmp_path / "photo.png"
    fake.write_text("ceci n'est pas une image")
    page.set_input_files("#champ-photo", str(fake))
    page.fill("#champ-alt", "Haie taillée au carré")
    page.get_by_role("button", name="Ajouter la photo").click()
    expect(page.locator("#champ-photo-messages")).to_contain_text("PNG, JPEG ou WebP")
    expect(page.locator("#champ-alt")).to_have_value("Haie taillée au carré")
    check_accessibility(page, "offre-photo-refusee")
    screenshot(page, "offre-photo-refusee")

    # A real PNG: stored, shown through the website with its description.
    page.set_input_files("#champ-photo", str(_png(tmp_path / "haie.png")))
    page.get_by_role("button", name="Ajouter la photo").click()
    expect(page.get_by_text("La photo est ajoutée.")).to_be_visible()
    picture = page.locator(".mi-photos img[alt='Haie taillée au carré']")
    expect(picture).to_be_visible()
    check_accessibility(page, "offre-photo")
    screenshot(page, "offre-photo")
    photos = _offers(site, structure["id"], headers)[0]["photos"]
    assert [p["alt"] for p in photos] == ["Haie taillée au carré"]
    assert photos[0]["media_type"] in ("image/png", "image/jpeg")
    assert max(photos[0]["width"], photos[0]["height"]) <= 1600

    # A second photo, then removed after confirming.
    page.set_input_files("#champ-photo", str(_png(tmp_path / "tonte.png")))
    page.fill("#champ-alt", "Tonte d'une pelouse")
    page.get_by_role("button", name="Ajouter la photo").click()
    expect(page.locator(".mi-photos img")).to_have_count(2)
    page.get_by_role("link", name="Retirer la photo « Tonte d'une pelouse »").click()
    check_accessibility(page, "offre-photo-retirer")
    page.get_by_role("button", name="Oui, retirer la photo").click()
    expect(page.get_by_text("La photo est retirée.")).to_be_visible()
    expect(page.locator(".mi-photos img")).to_have_count(1)

    # Hidden from buyers, then shown again.
    page.goto(f"/espace-structure/{structure['id']}/offres")
    card = page.locator(f"#offre-{offer['id']}")
    card.get_by_role("button", name="Désactiver").click()
    expect(page.get_by_text("les acheteurs ne la voient plus")).to_be_visible()
    expect(page.locator(f"#offre-{offer['id']}")).to_contain_text("Désactivée")
    assert site.api("GET", f"/api/v1/structures/{structure['id']}/offers").json() == []
    check_accessibility(page, "offres-desactivee")
    page.locator(f"#offre-{offer['id']}").get_by_role("button", name="Activer").click()
    expect(page.get_by_text("de nouveau visible des acheteurs")).to_be_visible()

    # Removed after confirming.
    page.locator(f"#offre-{offer['id']}").get_by_role("link", name="Retirer").click()
    check_accessibility(page, "offre-retirer")
    page.get_by_role("button", name="Oui, retirer l'offre").click()
    expect(page.get_by_text("L'offre est retirée.")).to_be_visible()
    assert _offers(site, structure["id"], headers) == []

    # A photo's bytes come through the website's own media route (/medias/{id}).
    shown = site.api(
        "POST",
        f"/api/v1/structures/{structure['id']}/offers",
        json={"title": "Tonte", "sector": SECTOR, "presta_type": "PREST"},
        headers=headers,
    ).json()
    sent = site.api(
        "POST",
        f"/api/v1/structures/{structure['id']}/offers/{shown['id']}/photos",
        params={"alt": "Pelouse tondue"},
        content=_png(tmp_path / "pelouse.png").read_bytes(),
        headers={**headers, "Content-Type": "image/png"},
    )
    assert sent.status_code == 201, sent.text
    page.goto(f"/espace-structure/{structure['id']}/offres/{shown['id']}")
    # The photos load lazily, below the form: as a person scrolls down to them.
    page.locator(".mi-photos img").last.scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.mi-photos img')]"
        ".every(img => img.complete && img.naturalWidth > 0)",
        timeout=10_000,
    )


def test_a_change_made_meanwhile_is_told(site: Site, page: Page) -> None:
    structure, manager = _managed(site, "35")
    headers = site.bearer(manager)
    created = site.api(
        "POST",
        f"/api/v1/structures/{structure['id']}/offers",
        json={"title": "Repas livrés", "sector": SECTOR, "presta_type": "PREST"},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    offer = created.json()
    log_in(page, manager)
    page.goto(f"/espace-structure/{structure['id']}/offres/{offer['id']}")
    changed = site.api(
        "PATCH",
        f"/api/v1/structures/{structure['id']}/offers/{offer['id']}",
        json={"price_indication": "sur devis"},
        headers={**headers, "If-Match": f'"v{offer["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    page.fill("#champ-unit", "repas")
    page.get_by_role("button", name="Enregistrer l'offre").click()
    expect(page.locator("#conflit")).to_contain_text("Prix indicatif : « — » devenu « sur devis »")
    expect(page.locator("#champ-unit")).to_have_value("repas")
    check_accessibility(page, "offre-conflit")


def test_another_manager_sees_nothing(site: Site, page: Page) -> None:
    structure, _ = _managed(site, "67")
    log_in(page, site.new_account("supplier_manager"))
    answer = page.goto(f"/espace-structure/{structure['id']}/offres")
    assert answer is not None and answer.status == 403
    expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible()
    assert structure["name"] not in page.content()


def test_on_a_phone_and_without_javascript(site: Site, phone: Page, browser: Browser) -> None:
    structure, manager = _managed(site, "76")
    log_in(phone, manager)
    phone.goto(f"/espace-structure/{structure['id']}/offres/nouvelle")
    assert_fits(phone)
    check_accessibility(phone, "offre-formulaire-mobile")
    screenshot(phone, "offre-formulaire-mobile")

    context = browser.new_context(
        base_url=site.web.url, java_script_enabled=False, viewport={"width": 375, "height": 800}
    )
    page = context.new_page()
    try:
        log_in(page, manager)
        page.goto(f"/espace-structure/{structure['id']}/offres/nouvelle")
        _fill_offer(page, "Taille de haies")
        tick(page, "Dans des zones choisies")
        page.fill("#champ-ou", "76, 27")
        page.get_by_role("button", name="Enregistrer l'offre").click()
        expect(page.get_by_text("L'offre est ajoutée.")).to_be_visible()
        offer = _offers(site, structure["id"], site.bearer(manager))[0]
        assert offer["delivery_zone"]["zones"] == [
            {"type": "departement", "code": "76"},
            {"type": "departement", "code": "27"},
        ]
    finally:
        context.close()
