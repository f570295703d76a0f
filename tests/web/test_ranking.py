"""The public ranking of buyers and the buyer pages in a real browser: a generated DECP file
imported into the test system's catalog by the operator's command; what the pages show equals
what the public API answers, in the published method's order."""

from __future__ import annotations

import csv
import io
import os
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bench.decp_file import write_decp
from services.catalog.structures.models import Structure
from services.web.templating import number
from tests.support import ROOT
from tests.web.conftest import (
    Site,
    assert_fits,
    check_accessibility,
    log_in,
    new_context,
    screenshot,
)

CONTRACTS = 3000
SEED = 16


@dataclass
class Imported:
    year: int
    ranking: dict[str, Any]  # the API's ranking of the latest year, first page


def _catalog_path(site: Site) -> str:
    url = site.system.catalog.env["CATALOG_DATABASE_URL"]
    assert url.startswith("sqlite:///"), url
    return url.removeprefix("sqlite:///")


@pytest.fixture(scope="module")
def imported(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """A DECP file of a few thousand contracts, some won by catalog structures, imported by
    `catalog import decp` against the running system's catalog database."""
    with sqlite3.connect(_catalog_path(site)) as catalog:
        sirets = [
            siret
            for (siret,) in catalog.execute(
                f"SELECT siret FROM {Structure.__tablename__} "
                "WHERE siret IS NOT NULL ORDER BY id LIMIT 60"
            )
        ]
    path = tmp_path_factory.mktemp("decp") / "decp.json"
    write_decp(path, CONTRACTS, seed=SEED, catalog_sirets=sirets)
    done = subprocess.run(
        [sys.executable, "-m", "services.catalog.cli", "import", "decp", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, **site.system.catalog.env},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    ranking = site.api("GET", "/api/v1/public-buyers/ranking").json()
    assert ranking["total"] > 50, "the ranking must span two pages"
    return Imported(ranking["year"], ranking)


def _order_key(item: dict[str, Any]) -> tuple[float, float, int, str]:
    return (-item["social_share"], -item["social_amount_share"], -item["contracts"], item["siret"])


def _rows(page: Page) -> list[str]:
    return page.locator("#tableau-classement tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.siret)"
    )


def test_before_any_import_the_ranking_says_how_data_arrives(site: Site, page: Page) -> None:
    """Runs first in this module, before the import below (module fixtures start when asked)."""
    assert site.api("GET", "/api/v1/public-buyers/ranking").json()["total"] == 0
    response = page.goto("/classement")
    assert response is not None and response.status == 200
    expect(page.locator("#classement-titre")).to_have_text("Aucune donnée pour le moment")
    expect(page.locator("main")).to_contain_text("import decp")
    expect(page.locator("#methode")).to_be_visible()
    check_accessibility(page, "ranking-empty")


def test_ranking_follows_the_method_and_the_api(site: Site, imported: Imported, page: Page) -> None:
    page.goto("/")
    page.get_by_role("link", name="Classement des acheteurs").first.click()
    page.wait_for_url(re.compile(r"/classement$"))
    expect(page.locator("h1")).to_have_text(f"Classement des acheteurs publics en {imported.year}")
    api = imported.ranking
    assert _rows(page) == [item["siret"] for item in api["items"]]
    expect(page.locator("#classement-total")).to_have_text(str(api["total"]))
    # The published method's order, checked on the API's own figures: band by band, largest
    # first, ranks restarting at 1 in each band.
    method = site.api("GET", "/api/v1/public-buyers/method").json()
    largest_first = [band["code"] for band in reversed(method["bands"])]
    shown = [band["code"] for band in api["bands"]]
    assert shown == [code for code in largest_first if code in shown] and len(shown) >= 2
    page_bands = list(dict.fromkeys(item["band"] for item in api["items"]))
    assert page_bands == shown[: len(page_bands)]
    for code in page_bands:
        of_band = [item for item in api["items"] if item["band"] == code]
        ranked = [item for item in of_band if item["rank"] is not None]
        assert ranked == sorted(ranked, key=_order_key)
        assert [item["rank"] for item in ranked] == list(range(1, len(ranked) + 1))
        assert of_band == ranked + [item for item in of_band if item["rank"] is None]
    headings = page.locator("#tableau-classement h3")
    expect(headings).to_have_count(len(page_bands))
    labels = {band["code"]: band for band in api["bands"]}
    for n, code in enumerate(page_bands):
        band = labels[code]
        expect(headings.nth(n)).to_contain_text(band["label"])
        expect(headings.nth(n)).to_contain_text(f"dont {band['ranked']} classé")
        section = page.locator(f"section[data-band='{code}']")
        first_ranked = next((i for i in api["items"] if i["band"] == code and i["rank"]), None)
        if first_ranked:
            row = section.locator(f"tbody tr[data-siret='{first_ranked['siret']}']")
            expect(row.locator("td").first).to_have_text("1")
    top = [item for item in api["items"] if item["band"] == page_bands[0] and item["rank"]]
    first = page.locator("#tableau-classement tbody tr").first
    expect(first.locator("td").first).to_have_text("1")
    expect(first.get_by_role("link")).to_have_text(top[0]["name"])

    # Each band's chart says in words what its table holds (its first five ranked).
    slug = page_bands[0].replace("+", "-plus")
    description = page.locator(f"#graphique-classement-{slug}-desc").text_content() or ""
    for item in top[:5]:
        percent = f"{item['social_share'] * 100:.1f}".replace(".", ",")
        assert f"{item['rank']}. {item['name']} : {percent}\u202f%" in description, item
    bars = page.locator(f"#graphique-classement-{slug} rect[data-share]")
    expect(bars).to_have_count(min(5, len(top)))
    assert float(bars.first.get_attribute("data-share") or "") == top[0]["social_share"]

    # The method, as published.
    section = page.locator("#methode")
    expect(section).to_contain_text(f"Version {method['version']}")
    for part in method["sections"]:
        expect(section).to_contain_text(part["title"])
    for category in method["categories"]:
        expect(section).to_contain_text(category["rule"])
    for band in method["bands"]:
        expect(section).to_contain_text(band["label"])
    expect(section).to_contain_text(f"{method['min_contracts_to_rank']} marchés")
    check_accessibility(page, "ranking")
    screenshot(page, "ranking")

    # Another year, chosen in the form.
    earlier = min(api["years_available"])
    page.locator("#champ-annee").select_option(str(earlier))
    page.get_by_role("button", name="Afficher le classement").click()
    page.wait_for_url(re.compile(rf"annee={earlier}"))
    expect(page.locator("h1")).to_have_text(f"Classement des acheteurs publics en {earlier}")
    that_year = site.api("GET", "/api/v1/public-buyers/ranking", params={"year": earlier}).json()
    assert _rows(page) == [item["siret"] for item in that_year["items"]]
    page.goto("/classement")

    # Page 2 follows page 1.
    page.get_by_role("link", name="Page suivante").first.click()
    page.wait_for_url(re.compile(r"page=2"))
    second = site.api("GET", "/api/v1/public-buyers/ranking", params={"page": 2}).json()
    assert _rows(page) == [item["siret"] for item in second["items"]]


def test_filters_narrow_the_ranking_from_the_keyboard(
    site: Site, imported: Imported, page: Page
) -> None:
    page.goto("/classement")
    communes = site.api(
        "GET", "/api/v1/public-buyers/ranking", params={"per_page": 200, "category": "commune"}
    ).json()["items"]
    region = next(item["region_code"] for item in communes if item["region_code"])
    region_name = page.locator(f"#champ-region option[value='{region}']").inner_text()
    # Keyboard only: focus the year, then Tab from field to field, typing to choose.
    page.locator("#champ-annee").focus()
    page.keyboard.press("Tab")
    expect(page.locator("#champ-region")).to_be_focused()
    page.keyboard.type(region_name)
    page.keyboard.press("Tab")
    expect(page.locator("#champ-categorie")).to_be_focused()
    page.keyboard.type("Commune")
    page.keyboard.press("Tab")
    expect(page.locator("#champ-tranche")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Afficher le classement")).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"categorie=commune"))
    params = {"region": region, "category": "commune", "per_page": 50}
    api = site.api("GET", "/api/v1/public-buyers/ranking", params=params).json()
    assert api["total"] >= 1
    assert _rows(page) == [item["siret"] for item in api["items"]]
    assert all(
        item["region_code"] == region and item["category"] == "commune" for item in api["items"]
    )
    expect(page.locator("#champ-region")).to_have_value(region)
    expect(page.locator("#champ-categorie")).to_have_value("commune")
    # Ranks restart within the filters.
    expect(page.locator("#tableau-classement tbody tr").first.locator("td").first).to_have_text("1")
    check_accessibility(page, "ranking-filtered")

    # A size band narrows further; the tag removes it.
    band = api["items"][0]["band"]
    page.goto(f"/classement?region={region}&categorie=commune&tranche={band}")
    banded = site.api(
        "GET", "/api/v1/public-buyers/ranking", params={**params, "band": band}
    ).json()
    assert _rows(page) == [item["siret"] for item in banded["items"]]
    assert all(item["band"] == band for item in banded["items"])
    expect(page.locator("#tableau-classement h3")).to_have_count(1)
    page.get_by_role("link", name=re.compile(r"^Retirer le filtre Commune")).click()
    page.wait_for_url(lambda url: "categorie" not in url)
    expect(page.locator("#champ-tranche")).to_have_value(band)


def test_a_filter_the_method_does_not_know_is_refused_beside_its_field(
    site: Site, imported: Imported, page: Page
) -> None:
    response = page.goto("/classement?categorie=inconnue&region=11")
    assert response is not None and response.status == 400
    expect(page.locator("#champ-categorie-messages")).to_contain_text("Choisissez une catégorie")
    expect(page.locator("#champ-region")).to_have_value("11")
    check_accessibility(page, "ranking-error")
    page.goto("/classement?page=999")
    expect(page.locator("#classement-titre")).to_have_text("Page 999 introuvable")
    page.get_by_role("link", name="Revenir à la première page").click()
    page.wait_for_url(re.compile(r"/classement$"))
    expect(page.locator("#tableau-classement tbody tr").first).to_be_visible()


def test_csv_downloads_the_same_rows(site: Site, imported: Imported, page: Page) -> None:
    page.goto("/classement?categorie=commune")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("Télécharger en CSV")).click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:3] == ["Rang", "SIRET", "Acheteur"]
    api = site.api(
        "GET", "/api/v1/public-buyers/ranking", params={"category": "commune", "per_page": 200}
    ).json()
    assert [row[1] for row in rows[1:]] == [item["siret"] for item in api["items"]]
    assert all(row[3] == "Commune" for row in rows[1:])


def test_buyer_page_shows_its_years_and_ranks(
    site: Site, imported: Imported, page: Page, phone: Page
) -> None:
    first = imported.ranking["items"][0]
    page.goto("/classement")
    page.get_by_role("link", name=first["name"], exact=True).first.click()
    page.wait_for_url(f"**/acheteurs/{first['siret']}")
    buyer = site.api("GET", f"/api/v1/public-buyers/{first['siret']}").json()
    expect(page.locator("h1")).to_have_text(buyer["name"])
    years = page.locator("#tableau-annees tbody tr").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.year))"
    )
    assert years == [y["year"] for y in buyer["years"]] and len(years) >= 2
    latest = buyer["years"][0]
    assert latest["rank"] is not None
    rank = latest["rank"]
    expect(page.locator("#rangs")).to_contain_text(
        f"{rank['national']}{'er' if rank['national'] == 1 else 'e'} sur {rank['national_of']}"
    )
    bars = page.locator("#graphique-evolution rect[data-share]")
    expect(bars).to_have_count(len(buyer["years"]))
    description = page.locator("#graphique-evolution-desc").text_content() or ""
    for year in buyer["years"]:
        assert f"{year['year']} : " in description
    expect(page.locator("#aucun-projet")).to_be_visible()
    check_accessibility(page, "buyer")
    screenshot(page, "buyer")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger ses chiffres en CSV").click()
    rows = list(
        csv.reader(
            io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig")),
            delimiter=";",
        )
    )
    assert [int(row[0]) for row in rows[1:]] == [y["year"] for y in buyer["years"]]

    phone.goto(f"/acheteurs/{first['siret']}")
    assert_fits(phone)
    check_accessibility(phone, "buyer-phone")
    screenshot(phone, "buyer")


def test_unknown_and_malformed_sirets(site: Site, imported: Imported, page: Page) -> None:
    unknown = "21750001600019"
    response = page.goto(f"/acheteurs/{unknown}")
    assert response is not None and response.status == 404
    expect(page.locator("h1")).to_have_text("Acheteur introuvable")
    check_accessibility(page, "buyer-unknown")
    response = page.goto("/acheteurs/12345")
    assert response is not None and response.status == 400
    expect(page.locator("main")).to_contain_text("SIRET")


def test_find_a_buyer_by_name_or_siret(site: Site, imported: Imported, page: Page) -> None:
    first = imported.ranking["items"][0]
    page.goto("/classement")
    page.fill("#champ-acheteur", first["siret"])
    page.get_by_role("button", name="Chercher").click()
    page.wait_for_url(f"**/acheteurs/{first['siret']}")
    page.goto("/classement")
    page.fill("#champ-acheteur", first["name"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/acheteurs\?q="))
    expect(page.locator(f"a[href='/acheteurs/{first['siret']}']")).to_be_visible()
    check_accessibility(page, "buyer-find")


def test_ranking_at_phone_width_and_without_script(
    site: Site, imported: Imported, phone: Page, browser: Browser
) -> None:
    phone.goto("/classement")
    expect(phone.locator("#tableau-classement tbody tr").first).to_be_visible()
    assert_fits(phone)
    check_accessibility(phone, "ranking-phone")
    screenshot(phone, "ranking")

    context = browser.new_context(
        base_url=site.web.url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        bare = context.new_page()
        bare.goto("/classement")
        bare.locator("#champ-categorie").select_option("commune")
        bare.get_by_role("button", name="Afficher le classement").click()
        bare.wait_for_url(re.compile(r"categorie=commune"))
        api = site.api(
            "GET", "/api/v1/public-buyers/ranking", params={"category": "commune"}
        ).json()
        assert _rows(bare) == [item["siret"] for item in api["items"]]
    finally:
        context.close()


def test_a_declared_project_shows_on_the_buyer_page_and_the_ranking(
    site: Site, imported: Imported, browser: Browser
) -> None:
    """An organisation with the SIRET of a ranked buyer records an awarded project with no
    social consideration, justified: its buyer page and its ranking row say so."""
    target = next(
        item
        for item in imported.ranking["items"]
        if item["category"] == "commune" and item["region_code"]
    )
    email = site.new_account("public_buyer")
    who = site.bearer(email)
    organisation = site.api(
        "POST",
        "/api/v1/organisations",
        json={"name": target["name"], "siret": target["siret"], "buyer_kind": "collectivite"},
        headers=who,
    )
    assert organisation.status_code == 201, organisation.text
    project = site.api(
        "POST",
        f"/api/v1/organisations/{organisation.json()['id']}/projects",
        json={
            "title": "Maintenance des ascenseurs",
            "object": "Maintenance préventive des ascenseurs des bâtiments communaux.",
            "sectors": ["nettoyage-de-locaux-16"],
            "department": "93",
            "contract_kind": "services",
            "estimated_amount_eur": 500_000,
            "duration_months": 36,
            "procedure": "appel_offres_ouvert",
        },
        headers=who,
    )
    assert project.status_code == 201, project.text
    project_id = project.json()["id"]
    decided = site.api(
        "POST",
        f"/api/v1/projects/{project_id}/decisions",
        json={
            "options": [{"code": "none"}],
            "justification": {
                "reason": "prestation_intellectuelle_ou_technique",
                "text": "Maintenance réglementaire confiée à des techniciens habilités.",
            },
        },
        headers=who,
    )
    assert decided.status_code == 201, decided.text
    awarded = site.api(
        "POST",
        f"/api/v1/projects/{project_id}/award",
        json={"awarded_on": f"{imported.year}-06-01"},
        headers=who,
    )
    assert awarded.status_code == 200, awarded.text

    context = new_context(browser, site)
    try:
        page = context.new_page()
        page.goto(f"/acheteurs/{target['siret']}")
        row = page.locator(f"#tableau-plateforme tr[data-year='{imported.year}']")
        expect(row.locator("td").nth(0)).to_have_text("1")
        expect(row.locator("td").nth(1)).to_have_text("0")
        expect(row.locator("td").nth(2)).to_have_text("1")
        vocabulary = site.api("GET", "/api/v1/projects/vocabulary").json()
        label = next(
            r["label"]
            for r in vocabulary["justification_reasons"]
            if r["code"] == "prestation_intellectuelle_ou_technique"
        )
        expect(row.locator("td").nth(3)).to_contain_text(f"{label} : 1")
        expect(page.locator("#aucun-projet")).to_have_count(0)
        check_accessibility(page, "buyer-declared")
        screenshot(page, "buyer-declared")

        page.goto(f"/classement?categorie=commune&region={target['region_code']}")
        ranking_row = page.locator(f"#tableau-classement tr[data-siret='{target['siret']}']")
        expect(ranking_row.locator(".mi-declared")).to_have_text("1 projet déclaré")

        # The organisation's own page links to its public record, with its latest figures.
        log_in(page, email)
        page.goto(f"/organisation/{organisation.json()['id']}")
        buyer = site.api("GET", f"/api/v1/public-buyers/{target['siret']}").json()
        latest = buyer["years"][0]
        expect(page.locator("#lien-fiche-publique")).to_have_attribute(
            "href", f"/acheteurs/{target['siret']}"
        )
        figures = page.locator("#chiffres-publics")
        expect(figures).to_contain_text(
            f"En {latest['year']} : {number(latest['contracts'])} marché"
        )
        share = f"{latest['social_share'] * 100:.1f}".replace(".", ",")
        expect(figures).to_contain_text(f"{share}\u202f% avec une considération sociale")
        rank = latest["rank"]
        assert rank is not None  # the first page's buyers of the largest bands are ranked
        suffix = "er" if rank["national"] == 1 else "e"
        expect(page.locator("#rang-public")).to_contain_text(
            f"{rank['national']}{suffix} sur {number(rank['national_of'])} en France dans sa "
            f"tranche ({latest['band_label']})"
        )
        check_accessibility(page, "organisation-public-record")
        page.locator("#lien-fiche-publique").click()
        page.wait_for_url(f"**/acheteurs/{target['siret']}")

        # Known by its SIREN only: an establishment of that SIREN is found.
        colleague = site.new_account("public_buyer")
        by_siren = site.api(
            "POST",
            "/api/v1/organisations",
            json={
                "name": target["name"],
                "siren": target["siret"][:9],
                "buyer_kind": "collectivite",
            },
            headers=site.bearer(colleague),
        )
        assert by_siren.status_code == 201, by_siren.text
        page.context.clear_cookies()
        log_in(page, colleague)
        page.goto(f"/organisation/{by_siren.json()['id']}")
        expect(page.locator("#donnees-publiques")).to_contain_text(
            "un établissement de votre SIREN"
        )
        href = page.locator("#lien-fiche-publique").get_attribute("href") or ""
        assert href.startswith(f"/acheteurs/{target['siret'][:9]}"), href
    finally:
        context.close()
