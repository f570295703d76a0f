"""Favourite lists in a real browser, on the real stack: a buyer adds structures (the full form,
the quick button with htmx and without JavaScript), renames the list, removes one, exports it as
CSV, deletes a list after confirming; every page (error states included) through axe-core."""

from __future__ import annotations

import csv
import io
from typing import Any

from playwright.sync_api import Browser, Page, expect

from services.web.lists_view import safe_return
from tests.web.conftest import Site, check_accessibility, log_in, screenshot


def assert_fits(page: Page) -> None:
    """Nothing wider than the screen: a table scrolls inside its own frame, not the page."""
    width = page.evaluate("document.documentElement.scrollWidth")
    limit = page.viewport_size["width"] if page.viewport_size else 0
    wider = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                && !e.closest('.fr-table__container') && e.getClientRects().length)
            .map(e => e.tagName + '.' + e.className).slice(0, 5)"""
    )
    assert width <= limit, " | ".join(map(str, [width, *wider]))


RESULTS = "/recherche?kind=ESAT&department=69"


def _structures(site: Site, count: int) -> list[dict[str, Any]]:
    found = site.api("GET", "/api/v1/search", params={"kind": "ESAT", "department": "69"})
    hits: list[dict[str, Any]] = found.json()["hits"]
    assert len(hits) >= count, found.text
    return hits[:count]


def _list_id(page: Page) -> int:
    return int(page.url.rstrip("/").split("/listes/")[1].split("?")[0].split("#")[0])


def test_a_buyer_fills_renames_trims_and_exports_a_list(
    site: Site, page: Page, phone: Page, browser: Browser
) -> None:
    buyer = site.new_account("public_buyer")
    first, second, third, fourth = _structures(site, 4)

    # Anonymous: the card offers to log in; the lists ask for it and come back afterwards.
    page.goto(RESULTS)
    invite = page.locator(".mi-lists-add a[href^='/connexion?suite=']").first
    expect(invite).to_contain_text("Se connecter pour l'ajouter à une liste")
    page.goto("/listes")
    assert "/connexion?suite=%2Flistes" in page.url
    log_in(page, buyer)
    page.goto("/listes")
    expect(page.get_by_text("Vous n'avez pas encore de liste")).to_be_visible()
    check_accessibility(page, "listes-vide")

    # Two from the results page: the card's button, with htmx, says where each went, in place.
    page.goto(RESULTS)
    address = page.url
    for structure in (first, second):
        page.get_by_role("button", name=f"Ajouter {structure['name']} à ma liste").click()
        expect(page.locator(f"#ajout-{structure['id']}")).to_contain_text("Ajoutée à Mes favoris")
    assert page.url == address
    check_accessibility(page, "listes-resultats")
    screenshot(page, "listes-resultats")

    # One from its page: the small form, on the list used last.
    page.goto(f"/structures/{third['id']}")
    box = page.locator(f"#ajout-{third['id']}")
    box.locator("summary").click()
    check_accessibility(page, "listes-fiche")
    assert_fits(page)
    screenshot(page, "listes-fiche")
    box.get_by_role("button", name="Ajouter", exact=True).click()
    expect(page.locator(f"#ajout-{third['id']}")).to_contain_text("Ajoutée à Mes favoris")

    # The card's button without JavaScript: a plain POST, then back to the same results.
    plain = browser.new_context(
        base_url=site.web.url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        no_js = plain.new_page()
        log_in(no_js, buyer)
        no_js.goto(RESULTS)
        no_js.get_by_role("button", name=f"Ajouter {fourth['name']} à ma liste").click()
        no_js.wait_for_url(f"**{RESULTS}")
        no_js.goto("/listes")
        expect(no_js.locator("#mes-listes tbody tr").first.locator("td").nth(1)).to_have_text("4")
    finally:
        plain.close()

    # The page to choose a list: a new list needs a name; what was chosen stays chosen.
    page.goto(f"/listes/ajouter?structure_id={first['id']}&retour=/listes")
    expect(page.get_by_role("heading", level=1)).to_contain_text(first["name"])
    expect(page.get_by_text("À votre dernière liste utilisée, « Mes favoris »")).to_be_visible()
    check_accessibility(page, "listes-ajouter")
    page.locator("label[for=liste-nouvelle]").click()
    page.get_by_role("button", name="Ajouter à la liste").click()
    expect(page.locator("#champ-name-messages")).to_contain_text("Donnez un nom")
    expect(page.locator("#erreurs")).to_contain_text("Donnez un nom")
    expect(page.locator("#liste-nouvelle")).to_be_checked()
    check_accessibility(page, "listes-ajouter-erreur")
    page.fill("#champ-name", "Traiteurs")
    page.get_by_role("button", name="Ajouter à la liste").click()
    page.wait_for_url("**/listes")
    expect(page.locator("#mes-listes tbody tr")).to_have_count(2)

    # The list: its four structures, each linking to its page.
    page.get_by_role("link", name="Mes favoris", exact=True).click()
    list_id = _list_id(page)
    rows = page.locator("#structures-de-la-liste tbody tr")
    expect(rows).to_have_count(4)
    for structure in (first, second, third, fourth):
        link = page.get_by_role("link", name=structure["name"], exact=True)
        expect(link).to_have_attribute("href", f"/structures/{structure['id']}")
    check_accessibility(page, "listes-liste")
    screenshot(page, "listes")

    # Renaming to a name already taken is refused beside the field, keeping what was typed.
    page.fill("#champ-name", "traiteurs ")
    page.get_by_role("button", name="Renommer", exact=True).click()
    expect(page.locator("#champ-name-messages")).to_contain_text("déjà une liste nommée")
    expect(page.locator("#champ-name")).to_have_value("traiteurs ")
    expect(page.locator("#erreurs")).to_be_visible()
    check_accessibility(page, "listes-renommer-erreur")
    page.fill("#champ-name", "ESAT de Lyon")
    page.get_by_role("button", name="Renommer", exact=True).click()
    page.wait_for_url(f"**/listes/{list_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text("ESAT de Lyon")

    # One removed; the export holds exactly the three left.
    page.get_by_role("button", name=f"Retirer {second['name']}").click()
    page.wait_for_url(f"**/listes/{list_id}")
    expect(rows).to_have_count(3)
    with page.expect_download() as download:
        page.get_by_role("link", name="Exporter en CSV").click()
    path = download.value.path()
    assert path is not None
    text = path.read_bytes().decode("utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert sorted(int(r["Identifiant"]) for r in exported) == sorted(
        s["id"] for s in (first, third, fourth)
    )
    with page.expect_download() as workbook:
        page.get_by_role("link", name="Exporter en XLSX (tableur)").click()
    saved = workbook.value.path()
    assert saved is not None and saved.read_bytes()[:2] == b"PK"

    # Creating a list under a taken name: the error beside the field, the name kept.
    page.goto("/listes")
    page.fill("#champ-name", "ESAT de Lyon")
    page.get_by_role("button", name="Créer la liste").click()
    expect(page.locator("#champ-name-messages")).to_contain_text("déjà une liste nommée")
    expect(page.locator("#champ-name")).to_have_value("ESAT de Lyon")
    check_accessibility(page, "listes-creer-erreur")

    # Deleting asks first; « Oui » deletes.
    page.get_by_role("link", name="Supprimer Traiteurs").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Traiteurs")
    check_accessibility(page, "listes-supprimer")
    page.get_by_role("button", name="Oui, supprimer la liste").click()
    page.wait_for_url("**/listes")
    expect(page.locator("#mes-listes tbody tr")).to_have_count(1)
    check_accessibility(page, "listes-index")
    screenshot(page, "listes-index")

    # Another buyer sees none of it; the owner's list fits a phone.
    log_in(phone, site.new_account("private_buyer"))
    response = phone.goto(f"/listes/{list_id}")
    assert response is not None and response.status == 404
    phone.context.clear_cookies()
    log_in(phone, buyer)
    phone.goto(f"/listes/{list_id}")
    expect(phone.locator("#structures-de-la-liste tbody tr")).to_have_count(3)
    check_accessibility(phone, "listes-liste-mobile")
    assert_fits(phone)
    screenshot(phone, "listes")


def test_an_unknown_structure_and_a_foreign_return_path(site: Site, page: Page) -> None:
    buyer = site.new_account("public_buyer")
    log_in(page, buyer)
    response = page.goto("/listes/ajouter?structure_id=2000000000")
    assert response is not None and response.status == 404
    check_accessibility(page, "listes-ajouter-inconnue")
    # A return path to another site is not followed.
    first = _structures(site, 1)[0]
    page.goto(f"/listes/ajouter?structure_id={first['id']}&retour=//ailleurs.example/x")
    expect(page.locator("input[name=retour]").first).to_have_value(f"/structures/{first['id']}")


def test_only_a_path_of_this_site_is_a_way_back() -> None:
    assert safe_return("/recherche?kind=ESAT&page=2") == "/recherche?kind=ESAT&page=2"
    for elsewhere in ("//ailleurs.example/x", "https://ailleurs.example", "/\\ailleurs", "", None):
        assert safe_return(elsewhere, "/listes") == "/listes"
    assert safe_return("/x\r\nSet-Cookie: a=b") == "/listes"
