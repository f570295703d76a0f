"""Home, results and export in a real browser, against the whole system: what the page shows
equals what the public API answers for the same search."""

from __future__ import annotations

import csv
import io
import re
import secrets
import zipfile
from pathlib import Path
from urllib.parse import parse_qsl, urlparse

import pytest
from playwright.sync_api import Page, expect

from tests.support import wait_until
from tests.web.conftest import Site, check_accessibility, screenshot

WORDS = "entretien"
PLACE = "Hauts-de-France"
# The same search as the API reads it: « Hauts-de-France » is the région 32.
API_QUERY = [
    ("q", WORDS),
    ("region", "32"),
    ("family", "insertion"),
    ("presta_type", "PREST"),
]


def shown_count(page: Page, selector: str) -> int:
    text = page.locator(selector).inner_text()
    return int(re.sub(r"\D", "", text))


def facet_count(page: Page, name: str, value: str) -> int | None:
    box = page.locator(f'input[name="{name}"][value="{value}"]')
    if box.count() == 0:
        return None
    label = page.locator(f'label[for="{box.get_attribute("id")}"] .mi-count')
    if label.count() == 0:
        return None
    return int(re.sub(r"\D", "", label.inner_text()))


def test_home_offers_the_search_and_the_shortcuts(site: Site, page: Page, phone: Page) -> None:
    page.goto("/")
    expect(page.get_by_label("Quoi ?")).to_be_visible()
    expect(page.get_by_label("Où ?")).to_be_visible()
    expect(page.get_by_role("link", name="Marchés réservés handicap")).to_have_attribute(
        "href", "/recherche?reservation=L2113-12"
    )
    check_accessibility(page, "search-home")
    screenshot(page, "home")
    phone.goto("/")
    screenshot(phone, "home")


def test_search_shows_the_apis_total_and_facets(site: Site, page: Page) -> None:
    page.goto("/")
    page.fill("#champ-q", WORDS)
    page.fill("#champ-ou", PLACE)
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"/recherche\?"))
    expect(page.locator("#champ-ou")).to_have_value("Hauts-de-France (région)")
    page.locator("label", has_text=re.compile(r"^Insertion")).click()
    page.locator("label", has_text=re.compile(r"^Prestation de service")).click()
    page.get_by_role("button", name="Appliquer les filtres").click()
    page.wait_for_url(re.compile(r"presta_type=PREST"))
    expect(page.locator('input[name="presta_type"][value="PREST"]')).to_be_checked()

    api = site.api("GET", "/api/v1/search", params=API_QUERY).json()
    assert api["total"] > 20, "the search must span several pages"
    assert shown_count(page, "#resultats-total") == api["total"]
    compared = 0
    for name in ("kind", "reservation", "headcount", "qpv"):
        for value, count in api["facets"][name].items():
            if name == "qpv" and value != "true":
                continue
            assert facet_count(page, name, value) == count, (name, value)
            compared += 1
    assert compared >= 3
    cards = page.locator(".mi-results > li")
    expect(cards).to_have_count(20)
    first = api["hits"][0]
    expect(cards.first.locator("h3")).to_have_text(first["brand"] or first["name"])
    check_accessibility(page, "search-results-filtered")
    page.reload()  # the whole page, the map drawn, for the reviewers' screenshot
    expect(page.locator("#carte .leaflet-interactive").first).to_be_attached()
    screenshot(page, "results")

    # Page 2, then back: the form and the results of page 1 come back.
    page.get_by_role("link", name="Page suivante").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    second = site.api("GET", "/api/v1/search", params=[*API_QUERY, ("page", "2")]).json()
    expect(cards.first.locator("h3")).to_have_text(
        second["hits"][0]["brand"] or second["hits"][0]["name"]
    )
    expect(page.locator(".fr-pagination__link[aria-current=page]")).to_have_text("2")
    page.go_back()
    page.wait_for_url(lambda url: "page=2" not in url)
    expect(cards.first.locator("h3")).to_have_text(first["brand"] or first["name"])
    expect(page.locator("#champ-q")).to_have_value(WORDS)
    expect(page.locator('input[name="family"][value="insertion"]')).to_be_checked()
    expect(page.locator('input[name="presta_type"][value="PREST"]')).to_be_checked()


def test_results_page_at_phone_width(site: Site, phone: Page) -> None:
    phone.goto("/recherche?q=nettoyage&ou=59")
    expect(phone.locator(".mi-results > li").first).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375
    check_accessibility(phone, "search-results-phone")
    screenshot(phone, "results")


def test_export_downloads_the_whole_result_set(site: Site, page: Page) -> None:
    page.goto("/recherche?q=nettoyage&ou=%C3%8Ele-de-France&family=insertion")
    total = site.api(
        "GET",
        "/api/v1/search",
        params=[("q", "nettoyage"), ("region", "11"), ("family", "insertion")],
    ).json()["total"]
    assert total > 20
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("en CSV")).click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert len(rows) == total + 1
    with page.expect_download() as xlsx_info:
        page.get_by_role("link", name=re.compile("en XLSX")).click()
    content = Path(xlsx_info.value.path()).read_bytes()
    assert content[:2] == b"PK"  # an XLSX is a ZIP archive
    with zipfile.ZipFile(io.BytesIO(content)) as workbook:
        sheet = workbook.read("xl/worksheets/sheet1.xml").decode()
    assert len(re.findall(r"<(?:\w+:)?row[ >]", sheet)) == total + 1


def test_keyboard_alone_from_the_search_field_to_a_result(site: Site, page: Page) -> None:
    page.goto("/recherche?q=nettoyage&ou=59")
    page.locator("#champ-q").focus()
    reached = set()
    for _ in range(200):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement; return [e.tagName, e.getAttribute('name') || '', e.getAttribute('href') || '']; }"
        )
        if focused[1]:
            reached.add(focused[1])
        if focused[0] == "A" and focused[2].startswith("/structures/"):
            break
    else:
        pytest.fail("the keyboard never reached a result")
    assert {"ou", "sort", "kind", "family", "qpv", "radius_km"} <= reached
    href = focused[2]
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(re.escape(href) + "$"))


def test_place_text_is_resolved_or_explained(site: Site, page: Page) -> None:
    page.goto("/recherche?ou=Saint-Denis")
    message = page.locator("#champ-ou-messages")
    expect(message).to_contain_text("plusieurs lieux")
    expect(message).to_contain_text("Saint-Denis (93)")
    expect(page.locator("#champ-ou")).to_have_value("Saint-Denis")
    check_accessibility(page, "search-place-ambiguous")
    page.get_by_role("link", name="Saint-Denis (93)", exact=True).click()
    expect(page.locator("#champ-ou")).to_have_value("Saint-Denis (93)")
    expect(page.locator("#resultats-titre")).to_contain_text("trouvé")
    page.goto("/recherche?ou=93200")
    expect(page.locator("#resultats-titre")).to_contain_text("trouvé")


def test_bad_parameters_are_shown_beside_their_filter(site: Site, page: Page) -> None:
    response = page.goto("/recherche?q=nettoyage&radius_km=20")
    assert response is not None and response.status == 400
    expect(page.locator("#champ-radius_km-messages")).to_contain_text("Autour de moi")
    expect(page.locator("#erreurs")).to_be_visible()
    check_accessibility(page, "search-error")
    response = page.goto("/recherche?kind=XYZ")
    assert response is not None and response.status == 400
    expect(page.locator("#groupe-kind-messages")).to_contain_text("XYZ")
    # « Around me » without a position (no JavaScript, or refused): the page asks for a place.
    page.goto("/recherche?autour=1")
    expect(page.locator("#champ-ou-messages")).to_contain_text("indiquez une commune")


def test_empty_results_and_unreachable_tiles(site: Site, page: Page) -> None:
    page.goto("/recherche?q=zzzzqqqxxyyww")
    expect(page.locator("#resultats-titre")).to_contain_text("0")
    expect(page.get_by_text("Aucun fournisseur ne correspond")).to_be_visible()
    check_accessibility(page, "search-empty")
    # The site's tiles point at a port nothing listens on: the list is complete all the same.
    page.goto("/recherche?ou=Hauts-de-France&q=entretien")
    expect(page.locator("#carte-etat")).to_contain_text("fond de carte", timeout=15_000)
    expect(page.locator(".mi-results > li")).to_have_count(20)
    check_accessibility(page, "search-results")


def test_suggestions_with_the_keyboard(site: Site, page: Page) -> None:
    page.goto("/")
    page.locator("#champ-ou").press_sequentially("Seine-Saint")
    expect(page.locator("#champ-ou-liste [role=option]").first).to_be_visible()
    page.locator("#champ-ou").press("ArrowDown")
    page.locator("#champ-ou").press("Enter")
    expect(page.locator("#champ-ou")).to_have_value(re.compile(r"Seine-Saint-Denis"))
    page.locator("#champ-q").press_sequentially("nettoyage de loc")
    expect(page.locator("#champ-q-liste [role=option]").first).to_be_visible()
    page.locator("#champ-q").press("ArrowDown")
    page.locator("#champ-q").press("Enter")
    page.get_by_role("button", name="Rechercher").click()
    page.wait_for_url(re.compile(r"/recherche\?"))
    params = dict(parse_qsl(urlparse(page.url).query))
    assert params.get("sector") == "nettoyage-de-locaux-16"
    assert "q" not in params
    expect(
        page.get_by_role("link", name=re.compile("Secteur : Nettoyage de locaux"))
    ).to_be_visible()


def test_a_name_with_markup_is_shown_as_text(site: Site, page: Page) -> None:
    """A manager names their structure with markup (through the API, after a claim accepted
    by staff): the results page shows the characters, runs nothing."""
    manager = site.bearer(site.new_account("supplier_manager"))
    hits = site.api(
        "GET", "/api/v1/search", params={"kind": "ACI", "department": "93", "per_page": 50}
    ).json()["hits"]
    structure = next(h for h in hits if not h.get("website"))
    site.claim(structure, manager)
    path = f"/api/v1/structures/{structure['id']}"
    word = f"balise{secrets.token_hex(3)}"
    brand = f'<img src=x onerror="document.title=1"><b>{word}</b>'
    read = site.api("GET", path)
    edited = site.api(
        "PATCH",
        path,
        json={"brand": brand, "description": f"Entretien de bureaux ({word})."},
        headers={**manager, "If-Match": read.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    wait_until(
        lambda: (
            [
                h["brand"]
                for h in site.api("GET", "/api/v1/search", params={"q": word}).json()["hits"]
            ]
            == [brand]
        ),
        timeout_s=60,
    )
    page.goto(f"/recherche?q={word}")
    title = page.locator(".mi-results h3").first
    expect(title).to_have_text(brand)
    assert title.locator("b, img").count() == 0
    assert page.title() != "1"
