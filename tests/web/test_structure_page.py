"""A structure's page in a real browser: a real ESAT of the data with an activity and an offer
declared by staff, its kind and the reservation it allows, its sources, the way back to the
search, nearby suppliers; an unknown id; the footer's static pages."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Site, check_accessibility, screenshot

SECTOR = "nettoyage-de-locaux-16"


@pytest.fixture(scope="module")
def staff(site: Site) -> dict[str, str]:
    return site.staff()


def first_hit(site: Site, **params: Any) -> dict[str, Any]:
    answer = site.api("GET", "/api/v1/search", params={**params, "per_page": 1})
    assert answer.status_code == 200, answer.text
    hits: list[dict[str, Any]] = answer.json()["hits"]
    assert hits, params
    return hits[0]


@pytest.fixture(scope="module")
def esat(site: Site, staff: dict[str, str]) -> dict[str, Any]:
    """An ESAT of the FINESS data, to which staff add a description with markup, an activity
    (a commune and a département) and an offer, as a manager would."""
    hit = first_hit(site, kind="ESAT", department="35")
    path = f"/api/v1/structures/{hit['id']}"
    read = site.api("GET", path)
    edited = site.api(
        "PATCH",
        path,
        json={
            "description": "<b>Atelier</b> <script>alert(1)</script> de conditionnement.",
            "labels": ["Qualiopi"],
            "client_references": [{"name": "Ville de Rennes", "description": "Entretien"}],
        },
        headers={**staff, "If-Match": read.headers["etag"]},
    )
    assert edited.status_code == 200, edited.text
    activity = site.api(
        "POST",
        f"{path}/activities",
        json={
            "sector": SECTOR,
            "presta_types": ["PREST"],
            "range": "zones",
            "zones": [{"type": "commune", "code": "35238"}, {"type": "departement", "code": "56"}],
        },
        headers=staff,
    )
    assert activity.status_code == 201, activity.text
    offer = site.api(
        "POST",
        f"{path}/offers",
        json={
            "title": "Nettoyage de bureaux",
            "sector": SECTOR,
            "presta_type": "PREST",
            "price_indication": "sur devis",
        },
        headers=staff,
    )
    assert offer.status_code == 201, offer.text
    structure: dict[str, Any] = site.api("GET", path).json()
    return structure


def test_an_esat_page_shows_what_it_is_allows_sells_and_where_its_data_comes_from(
    site: Site, page: Page, esat: dict[str, Any]
) -> None:
    came_from = "kind=ESAT&department=35&page=2"
    response = page.goto(f"/structures/{esat['id']}?depuis={quote(came_from)}")
    assert response is not None and response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(esat["name"])
    body = page.locator("main")
    expect(body).to_contain_text("Établissement et service d'aide par le travail")
    expect(body).to_contain_text("Marché réservé L2113-12")
    expect(body).to_contain_text("article L2113-12")
    if esat["siret"]:
        expect(body).to_contain_text(esat["siret"])
    expect(body).to_contain_text(esat["finess"])

    # The activity declared, with its kind of service and its zones named.
    activities = page.locator("#activites").locator("xpath=..")
    expect(activities).to_contain_text("Nettoyage de locaux")
    expect(activities).to_contain_text("Prestation de service")
    expect(activities).to_contain_text("Rennes (35238)")
    expect(activities).to_contain_text("Morbihan (56)")
    expect(page.locator("#offres").locator("xpath=..")).to_contain_text("Nettoyage de bureaux")
    expect(page.locator("#references").locator("xpath=..")).to_contain_text("Ville de Rennes")

    # Markup typed in a description is shown as text, never run.
    description = page.locator("p.mi-prewrap").first
    expect(description).to_contain_text("<b>Atelier</b> <script>alert(1)</script>")
    assert description.locator("b").count() == 0

    # Sources cited, with a link to the public data set.
    sources = page.locator("#sources").locator("xpath=..")
    expect(sources).to_contain_text("FINESS")
    assert "data.gouv.fr" in (sources.locator("a").first.get_attribute("href") or "")

    # Back to the results the visitor came from, query string kept.
    back = page.get_by_role("link", name="Retour aux résultats")
    assert back.get_attribute("href") == f"/recherche?{came_from}"
    crumb = page.locator(".fr-breadcrumb").get_by_role("link", name="Résultats de la recherche")
    assert crumb.get_attribute("href") == f"/recherche?{came_from}"

    check_accessibility(page, "structure")
    screenshot(page, "structure")


def test_the_structure_page_fits_a_phone(site: Site, phone: Page, esat: dict[str, Any]) -> None:
    phone.goto(f"/structures/{esat['id']}")
    expect(phone.get_by_role("heading", level=1)).to_have_text(esat["name"])
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"the page is {width} px wide"
    check_accessibility(phone, "structure-375")
    screenshot(phone, "structure")


def test_a_structure_page_without_declared_activity_says_so(site: Site, page: Page) -> None:
    hit = first_hit(site, kind="ESAT", department="13")
    page.goto(f"/structures/{hit['id']}")
    expect(page.locator("#activites").locator("xpath=..")).to_contain_text(
        "n'a encore déclaré aucune activité"
    )
    # No query string to keep: the way back is the search page itself.
    crumb = page.locator(".fr-breadcrumb").get_by_role("link", name="Recherche")
    assert crumb.get_attribute("href") == "/recherche"


def test_a_nearby_supplier_link_opens_its_page(site: Site, page: Page) -> None:
    hit = first_hit(site, kind="ESAT", department="75")
    page.goto(f"/structures/{hit['id']}")
    cards = page.locator("#a-proximite").locator("xpath=..").locator(".fr-card__title a")
    assert cards.count() >= 1
    name = cards.first.inner_text()
    cards.first.click()
    page.wait_for_load_state()
    assert page.url.rstrip("/") != site.url(f"/structures/{hit['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    # The « see all » link runs the same search on the results page.
    page.go_back()
    more = page.get_by_role("link", name="Voir tous les fournisseurs similaires")
    assert (more.get_attribute("href") or "").startswith("/recherche?family=handicap&lat=")


def test_an_unknown_structure_is_a_404_page(site: Site, page: Page) -> None:
    response = page.goto("/structures/987654321")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Structure introuvable")
    check_accessibility(page, "structure-404")


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("/accessibilite", "Déclaration d'accessibilité"),
        ("/mentions-legales", "Mentions légales et données"),
    ],
)
def test_the_footer_pages_exist(site: Site, page: Page, path: str, title: str) -> None:
    page.goto("/")
    page.locator(f'#pied-de-page a[href="{path}"]').click()
    page.wait_for_load_state()
    assert page.url == site.url(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    check_accessibility(page, path.strip("/"))


def test_the_way_back_never_leaves_the_site(site: Site, esat: dict[str, Any]) -> None:
    html = httpx.get(
        site.url(f"/structures/{esat['id']}"),
        params={"depuis": "https://ailleurs.example/piege?x=1"},
        timeout=20,
    ).text
    back = re.search(r'href="([^"]*)">Retour aux résultats', html)
    assert back is not None
    assert back.group(1).startswith("/recherche?")
    assert "ailleurs.example/" not in back.group(1)


def test_a_visit_through_the_website_counts_once_per_browser_and_day(
    site: Site, page: Page, staff: dict[str, str]
) -> None:
    """The website forwards its visitor's browser: a person's visits count (once a day), the
    headless browser of these tests, a robot, does not."""
    hit = first_hit(site, kind="ACI", department="13")
    views = f"/api/v1/structures/{hit['id']}/views"

    def total() -> int:
        answer = site.api("GET", views, headers=staff)
        assert answer.status_code == 200, answer.text
        return int(answer.json()["total"])

    before = total()
    firefox = {
        "User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
    }
    for _ in range(2):
        assert httpx.get(site.url(f"/structures/{hit['id']}"), headers=firefox).status_code == 200
    assert total() == before + 1
    page.goto(site.url(f"/structures/{hit['id']}"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert total() == before + 1
