"""« Avant un achat » in a real browser: market depth for a sector and a département equals the
API's, the insertion hours equal the API's, a wrong amount is shown beside its field and kept,
the CPV lookup works with and without JavaScript, the keyboard alone is enough."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from services.web.templating import number
from tests.web.conftest import Site, check_accessibility, screenshot

SECTOR = "nettoyage-de-locaux-16"
CPV = "90900000"


def api(site: Site, path: str, **params: Any) -> dict[str, Any]:
    answer = site.api("GET", f"/api/v1{path}", params=params)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def test_market_depth_and_hours_equal_the_api(site: Site, page: Page) -> None:
    depth = api(site, "/market-depth", sector=SECTOR, department="62")
    hours = api(
        site,
        "/insertion-hours",
        amount_eur=1_000_000,
        labour_share_percent=50,
        insertion_rate_percent=5,
    )
    page.goto("/avant-un-achat")
    page.select_option("#champ-sector", SECTOR)
    page.select_option("#champ-department", "62")
    page.get_by_role("button", name="Voir la profondeur du marché").click()
    page.wait_for_load_state()
    expect(page.locator("#chiffre-eligibles")).to_have_text(number(depth["eligible_suppliers"]))
    expect(page.locator("#chiffre-non-declares")).to_have_text(
        number(depth["undeclared_suppliers"])
    )
    options = page.locator(".mi-options")
    for article in ("L2113-12", "L2113-13", "L2112-2", "L2152-7"):
        expect(options).to_contain_text(f"Article {article}")
    # Links to the same search and to a need for it.
    assert page.get_by_role("link", name="Voir ces fournisseurs").get_attribute("href") == (
        f"/recherche?sector={SECTOR}&department=62"
    )
    need = page.get_by_role("link", name="Déposer un besoin pour les interroger")
    assert need.get_attribute("href") == f"/besoins/nouveau?sector={SECTOR}&department=62"

    page.fill("#champ-amount_eur", "1 000 000")
    page.fill("#champ-labour_share_percent", "50")
    page.fill("#champ-insertion_rate_percent", "5")
    page.get_by_role("button", name="Calculer les heures").click()
    page.wait_for_load_state()
    expect(page.locator("#heures")).to_have_text(number(hours["hours"], 1))
    expect(page.locator("#resultat-heures")).to_contain_text("1 000 000 € × 50 % × 5 % ÷ 30 €/h")
    # The market depth stays on the page with the calculator's result.
    expect(page.locator("#chiffre-eligibles")).to_have_text(number(depth["eligible_suppliers"]))
    check_accessibility(page, "avant-un-achat")
    screenshot(page, "avant-un-achat")


def test_the_page_fits_a_phone(site: Site, phone: Page) -> None:
    phone.goto(
        f"/avant-un-achat?sector={SECTOR}&department=62"
        "&amount_eur=250000&labour_share_percent=40&insertion_rate_percent=7"
    )
    expect(phone.locator("#heures")).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide"
    check_accessibility(phone, "avant-un-achat-375")
    screenshot(phone, "avant-un-achat")


def test_a_wrong_amount_is_shown_beside_its_field_and_kept(site: Site, page: Page) -> None:
    page.goto("/avant-un-achat")
    page.fill("#champ-amount_eur", "beaucoup")
    page.fill("#champ-labour_share_percent", "50")
    page.fill("#champ-insertion_rate_percent", "5")
    page.get_by_role("button", name="Calculer les heures").click()
    page.wait_for_load_state()
    expect(page.locator("#champ-amount_eur-messages")).to_contain_text(
        "Montant du marché : saisissez un nombre"
    )
    expect(page.locator("#champ-amount_eur")).to_have_value("beaucoup")
    expect(page.locator("#champ-labour_share_percent")).to_have_value("50")
    expect(page.locator("#erreurs")).to_contain_text("Montant du marché")
    assert page.locator("#heures").count() == 0
    check_accessibility(page, "avant-un-achat-erreur")

    # A number the API refuses: its message, beside the field, the number kept.
    page.fill("#champ-amount_eur", "-5")
    page.fill("#champ-labour_share_percent", "150")
    page.get_by_role("button", name="Calculer les heures").click()
    page.wait_for_load_state()
    expect(page.locator("#champ-amount_eur-messages")).to_contain_text("supérieur à 0")
    expect(page.locator("#champ-labour_share_percent-messages")).to_contain_text(
        "Part de la main-d'œuvre"
    )
    expect(page.locator("#champ-amount_eur")).to_have_value("-5")


def test_a_depth_without_sector_asks_for_one(site: Site, page: Page) -> None:
    page.goto("/avant-un-achat")
    page.select_option("#champ-department", "62")
    page.get_by_role("button", name="Voir la profondeur du marché").click()
    page.wait_for_load_state()
    expect(page.locator("#champ-sector-messages")).to_contain_text("choisissez un secteur")
    expect(page.locator("#champ-department")).to_have_value("62")
    check_accessibility(page, "avant-un-achat-sans-secteur")


def test_cpv_lookup_without_javascript(site: Site, browser: Browser) -> None:
    depth = api(site, "/market-depth", cpv=CPV, region="32")
    context = browser.new_context(
        base_url=site.web.url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    page = context.new_page()
    try:
        page.goto("/avant-un-achat")
        page.fill("#champ-cpv_q", "nettoyage")
        page.select_option("#champ-region", "32")
        page.get_by_role("button", name="Voir la profondeur du marché").click()
        page.wait_for_load_state()
        expect(page.locator("#champ-cpv_q-messages")).to_contain_text("choisissez un des codes")
        page.locator(f'label[for="cpv-{CPV}"]').click()
        page.get_by_role("button", name="Voir la profondeur du marché").click()
        page.wait_for_load_state()
        expect(page.locator("#chiffre-eligibles")).to_have_text(number(depth["eligible_suppliers"]))
        assert f"cpv={CPV}" in (
            page.get_by_role("link", name="Voir ces fournisseurs").get_attribute("href") or ""
        )
    finally:
        context.close()


def test_cpv_suggestions_appear_as_one_types(site: Site, page: Page) -> None:
    page.goto("/avant-un-achat")
    page.locator("#champ-cpv_q").press_sequentially("nettoyage", delay=30)
    expect(page.locator(f"#cpv-{CPV}")).to_be_visible()
    page.locator(f'label[for="cpv-{CPV}"]').click()
    page.get_by_role("button", name="Voir la profondeur du marché").click()
    page.wait_for_load_state()
    expect(page.locator("#chiffre-eligibles")).to_be_visible()


def test_the_sector_filter_narrows_the_list(site: Site, page: Page) -> None:
    page.goto("/avant-un-achat")
    page.fill("#filtre-secteur", "nettoyage locaux")
    expect(page.locator("#filtre-secteur-statut")).to_contain_text("secteur(s)")
    visible = page.locator("#champ-sector option:not([hidden])").all_inner_texts()
    assert "Nettoyage de locaux" in visible
    assert len(visible) < 10


def test_a_commune_typed_by_name_is_found(site: Site, page: Page) -> None:
    depth = api(site, "/market-depth", sector=SECTOR, commune="35238")
    page.goto(f"/avant-un-achat?sector={SECTOR}&commune=Rennes")
    expect(page.locator("#chiffre-eligibles")).to_have_text(number(depth["eligible_suppliers"]))
    assert "commune=35238" in (
        page.get_by_role("link", name="Voir ces fournisseurs").get_attribute("href") or ""
    )


def test_the_calculator_works_with_the_keyboard_alone(site: Site, page: Page) -> None:
    page.goto("/avant-un-achat")
    page.focus("#champ-amount_eur")
    page.keyboard.type("500000")
    page.keyboard.press("Tab")
    page.keyboard.type("40")
    page.keyboard.press("Tab")
    page.keyboard.type("10")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    hours = api(
        site,
        "/insertion-hours",
        amount_eur=500_000,
        labour_share_percent=40,
        insertion_rate_percent=10,
    )
    expect(page.locator("#heures")).to_have_text(number(hours["hours"], 1))
