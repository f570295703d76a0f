"""A manager's activities in a real browser on the real stack: an activity added with a sector
found by a few words, two presta types and zones (« 93 » typed, a commune picked from the
suggestions with the keyboard alone), then found by the search; inferred activities confirmed
and removed; refusals beside their fields with nothing typed lost; a concurrent change told;
another manager refused; a phone; the form without JavaScript; axe on every state."""

from __future__ import annotations

import csv
import random
import time
from typing import Any

from playwright.sync_api import Browser, Page, expect

from services.web.activities_view import changes_since, filtered_groups, loaded_state
from services.web.sectors import SectorCatalogue
from tests.support import ROOT
from tests.web.conftest import Site, assert_fits, check_accessibility, log_in, screenshot, tick

SECTOR = "creation-et-entretien-des-espaces-verts"
SECTOR_WORDS = "entretien espaces verts"


def _search_ids(site: Site, params: dict[str, Any]) -> set[int]:
    found: set[int] = set()
    number = 1
    while True:
        answer = site.api(
            "GET", "/api/v1/search", params={**params, "per_page": 100, "page": number}
        ).json()
        found |= {hit["id"] for hit in answer["hits"]}
        if number >= answer["total_pages"]:
            return found
        number += 1


def _activities(site: Site, structure_id: int) -> list[dict[str, Any]]:
    answer = site.api("GET", f"/api/v1/structures/{structure_id}/activities")
    assert answer.status_code == 200, answer.text
    activities: list[dict[str, Any]] = answer.json()
    return activities


def _managed(site: Site, department: str = "69") -> tuple[dict[str, Any], str]:
    """A structure of the loaded data with a SIRET and without activity, claimed by a new
    manager (staff accept); the manager's e-mail."""
    hits = site.api(
        "GET", "/api/v1/search", params={"department": department, "per_page": 100}
    ).json()["hits"]
    candidates = [h for h in hits if h.get("siret")]
    random.shuffle(candidates)
    structure = next(h for h in candidates if not _activities(site, h["id"]))
    email = site.new_account("supplier_manager")
    site.claim(structure, site.bearer(email))
    return structure, email


def _with_inferred(site: Site) -> dict[str, Any]:
    """A structure whose activities were all inferred from its NAF code, at least two."""
    with (ROOT / "data" / "mappings" / "naf_secteurs.csv").open(encoding="utf-8") as handle:
        codes = [r["code_ape"] for r in csv.DictReader(handle) if "|" in r["secteur_slugs"]]
    for code in codes:
        hits = site.api("GET", "/api/v1/search", params={"naf": code, "per_page": 50}).json()
        for hit in random.sample(hits.get("hits", []), len(hits.get("hits", []))):
            activities = _activities(site, hit["id"])
            if hit.get("siret") and len(activities) >= 2 and all(a["inferred"] for a in activities):
                return dict(hit)
    raise AssertionError("no structure with two inferred activities in the loaded data")


def _wait_until(check: Any, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.5)


def test_an_activity_added_with_the_keyboard_is_found_by_the_search(site: Site, page: Page) -> None:
    structure, manager = _managed(site, "69")
    wanted = {"sector": SECTOR, "department": "93"}
    assert structure["id"] not in _search_ids(site, wanted)
    log_in(page, manager)
    page.goto(f"/espace-structure/{structure['id']}/activites")
    expect(page.get_by_role("heading", name="Activités et zones")).to_be_visible()
    expect(page.get_by_text("Aucune activité déclarée pour l'instant")).to_be_visible()
    check_accessibility(page, "activites-vide")
    page.get_by_role("link", name="Ajouter une activité").click()
    check_accessibility(page, "activite-formulaire")
    screenshot(page, "activite-formulaire")

    # The sector found by two words: the list narrows as one types.
    page.locator("#champ-secteur_filtre").focus()
    page.keyboard.type(SECTOR_WORDS, delay=20)
    expect(page.locator("#champ-sector option")).to_have_count(2)  # the empty choice and it
    page.locator("#champ-sector").select_option(SECTOR)
    tick(page, "Prestation de service")
    tick(page, "Fabrication et commercialisation de biens")
    tick(page, "Dans des zones choisies")
    expect(page.locator("#champ-radius_km")).to_be_hidden()

    # « 93 » typed and added with Enter; a commune picked with the arrows and Enter.
    zone = page.locator("#champ-ou")
    zone.focus()
    page.keyboard.type("93")
    page.keyboard.press("Enter")
    expect(page.locator("#zones-choisies")).to_contain_text("Seine-Saint-Denis (93)")
    zone = page.locator("#champ-ou")
    zone.focus()
    page.keyboard.type("Villeurbanne", delay=30)
    expect(page.locator("#champ-ou-liste [role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    expect(zone).to_have_attribute("aria-activedescendant", "champ-ou-option-1")
    page.keyboard.press("Enter")
    expect(page.locator("#zones-choisies")).to_contain_text("Villeurbanne (69)")
    expect(zone).to_have_value("")
    # A tag picked by mistake, removed from the keyboard.
    page.keyboard.type("Occitanie", delay=30)
    expect(page.locator("#champ-ou-liste [role=option]").first).to_be_visible()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(page.locator("#zones-choisies")).to_contain_text("Occitanie")
    page.get_by_role("button", name="Retirer Occitanie").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#zones-choisies")).not_to_contain_text("Occitanie")
    expect(page.locator("#zones-annonce")).to_have_text("Occitanie (région) retiré des zones.")
    check_accessibility(page, "activite-zones")
    page.get_by_role("button", name="Enregistrer l'activité").click()

    expect(page.get_by_text("L'activité est ajoutée.")).to_be_visible()
    card = page.locator(".mi-activity").first
    expect(card).to_contain_text("Création et entretien des espaces verts")
    expect(card).to_contain_text("Prestation de service, Fabrication et commercialisation de biens")
    expect(card).to_contain_text("Seine-Saint-Denis (93), Villeurbanne (69)")
    check_accessibility(page, "activites-ajoutee")
    screenshot(page, "activites-ajoutee")
    saved = _activities(site, structure["id"])
    assert [(a["sector"], sorted(a["presta_types"]), a["range"]) for a in saved] == [
        (SECTOR, ["BUILD", "PREST"], "zones")
    ]
    assert {z["type"] for z in saved[0]["zones"]} == {"departement", "commune"}

    # Searchable within seconds, and on the search page.
    _wait_until(lambda: structure["id"] in _search_ids(site, wanted))
    page.goto(f"/recherche?sector={SECTOR}&department=93&q={structure['siret']}")
    expect(page.locator(f"a[href^='/structures/{structure['id']}']").first).to_be_visible()


def test_refusals_beside_the_fields_keep_what_was_typed(site: Site, page: Page) -> None:
    structure, manager = _managed(site, "13")
    log_in(page, manager)
    page.goto(f"/espace-structure/{structure['id']}/activites/nouvelle")
    page.locator("#champ-sector").select_option(SECTOR)
    tick(page, "Prestation de service")
    tick(page, "Dans un rayon autour de la structure")
    page.fill("#champ-radius_km", "0")
    page.get_by_role("button", name="Enregistrer l'activité").click()
    expect(page.locator("#champ-radius_km-messages")).to_contain_text("de 1 à 1000")
    expect(page.locator("#champ-radius_km")).to_have_value("0")
    expect(page.locator("#champ-sector")).to_have_value(SECTOR)
    expect(page.get_by_label("Prestation de service")).to_be_checked()
    expect(page.locator("#erreurs")).to_be_focused()
    check_accessibility(page, "activite-erreur-rayon")

    # Zones: one known, one that names no place; the unknown one is named and stays typed.
    tick(page, "Dans des zones choisies")
    page.fill("#champ-ou", "13, Atlantidebourg")
    page.get_by_role("button", name="Enregistrer l'activité").click()
    expect(page.locator("#champ-zones-messages")).to_contain_text("Atlantidebourg")
    expect(page.locator("#champ-ou")).to_have_value("Atlantidebourg")
    expect(page.locator("#zones-choisies")).to_contain_text("Bouches-du-Rhône (13)")
    check_accessibility(page, "activite-erreur-zone")
    screenshot(page, "activite-erreur-zone")
    assert _activities(site, structure["id"]) == []

    # The unknown one removed: saved.
    page.fill("#champ-ou", "")
    page.get_by_role("button", name="Enregistrer l'activité").click()
    expect(page.get_by_text("L'activité est ajoutée.")).to_be_visible()
    assert _activities(site, structure["id"])[0]["zones"] == [{"type": "departement", "code": "13"}]


def test_inferred_activities_are_confirmed_or_removed(site: Site, page: Page) -> None:
    structure = _with_inferred(site)
    manager = site.new_account("supplier_manager")
    site.claim(structure, site.bearer(manager))
    first, second = _activities(site, structure["id"])[:2]
    log_in(page, manager)
    page.goto(f"/espace-structure/{structure['id']}/activites")
    expect(page.get_by_role("heading", name="Déduites de votre code NAF")).to_be_visible()
    check_accessibility(page, "activites-deduites")
    screenshot(page, "activites-deduites")

    page.locator(f"#activite-{first['id']}").get_by_role("button", name="Confirmer").click()
    expect(page.get_by_text("L'activité est confirmée")).to_be_visible()
    assert (
        next(a for a in _activities(site, structure["id"]) if a["id"] == first["id"])["inferred"]
        is False
    )

    page.locator(f"#activite-{second['id']}").get_by_role("link", name="Retirer").click()
    expect(page.get_by_role("heading", name="Retirer l'activité")).to_be_visible()
    check_accessibility(page, "activite-retirer")
    page.get_by_role("button", name="Oui, retirer l'activité").click()
    expect(page.get_by_text("L'activité est retirée.")).to_be_visible()
    assert second["id"] not in {a["id"] for a in _activities(site, structure["id"])}


def test_a_change_made_meanwhile_is_told_and_the_typing_kept(site: Site, page: Page) -> None:
    structure, manager = _managed(site, "33")
    headers = site.bearer(manager)
    created = site.api(
        "POST",
        f"/api/v1/structures/{structure['id']}/activities",
        json={"sector": SECTOR, "presta_types": ["PREST"], "range": "radius", "radius_km": 20},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    activity = created.json()
    log_in(page, manager)
    page.goto(f"/espace-structure/{structure['id']}/activites/{activity['id']}")
    expect(page.locator("#champ-radius_km")).to_have_value("20")
    changed = site.api(
        "PATCH",
        f"/api/v1/structures/{structure['id']}/activities/{activity['id']}",
        json={"radius_km": 50, "range": "radius"},
        headers={**headers, "If-Match": f'"v{activity["version"]}"'},
    )
    assert changed.status_code == 200, changed.text
    page.fill("#champ-radius_km", "35")
    page.get_by_role("button", name="Enregistrer l'activité").click()
    notice = page.locator("#conflit")
    expect(notice).to_contain_text("Modification concurrente")
    expect(notice).to_contain_text("Rayon : « 20 km » devenu « 50 km »")
    expect(page.locator("#champ-radius_km")).to_have_value("35")
    check_accessibility(page, "activite-conflit")
    page.get_by_role("button", name="Enregistrer l'activité").click()
    expect(page.get_by_text("L'activité est modifiée.")).to_be_visible()
    assert _activities(site, structure["id"])[0]["radius_km"] == 35


def test_another_manager_sees_nothing(site: Site, page: Page) -> None:
    structure, _ = _managed(site, "31")
    other = site.new_account("supplier_manager")
    log_in(page, other)
    for path in ("/activites", "/activites/nouvelle"):
        answer = page.goto(f"/espace-structure/{structure['id']}{path}")
        assert answer is not None and answer.status == 403
        expect(page.get_by_role("heading", name="Accès refusé")).to_be_visible()
        assert structure["name"] not in page.content()
    check_accessibility(page, "activites-refus")


def test_on_a_phone_and_without_javascript(site: Site, phone: Page, browser: Browser) -> None:
    structure, manager = _managed(site, "59")
    log_in(phone, manager)
    phone.goto(f"/espace-structure/{structure['id']}/activites/nouvelle")
    assert_fits(phone)
    check_accessibility(phone, "activite-formulaire-mobile")
    screenshot(phone, "activite-formulaire-mobile")

    context = browser.new_context(
        base_url=site.web.url, java_script_enabled=False, viewport={"width": 375, "height": 800}
    )
    page = context.new_page()
    try:
        log_in(page, manager)
        page.goto(f"/espace-structure/{structure['id']}/activites/nouvelle")
        # The sector list narrowed by the button; the zones typed, resolved by the server.
        page.fill("#champ-secteur_filtre", SECTOR_WORDS)
        page.get_by_role("button", name="Filtrer la liste").click()
        expect(page.locator("#champ-sector option")).to_have_count(2)
        page.locator("#champ-sector").select_option(SECTOR)
        tick(page, "Mise à disposition / intérim")
        tick(page, "Dans des zones choisies")
        page.fill("#champ-ou", "59, Occitanie")
        page.get_by_role("button", name="Ajouter ces zones").click()
        expect(page.locator("#zones-choisies")).to_contain_text("Nord (59)")
        expect(page.locator("#zones-choisies")).to_contain_text("Occitanie")
        expect(page.get_by_label("Mise à disposition / intérim")).to_be_checked()
        # A tag removed without scripts: the form comes back without it.
        page.get_by_role("button", name="Retirer Région Occitanie").click()
        expect(page.locator("#zones-choisies")).not_to_contain_text("Occitanie")
        page.get_by_role("button", name="Enregistrer l'activité").click()
        expect(page.get_by_text("L'activité est ajoutée.")).to_be_visible()
        saved = _activities(site, structure["id"])
        assert saved[0]["zones"] == [{"type": "departement", "code": "59"}]
        assert saved[0]["presta_types"] == ["DISP"]
    finally:
        context.close()


def _catalogue() -> SectorCatalogue:
    rows = [
        {
            "name": "Espaces verts & extérieurs",
            "sectors": [
                {"slug": SECTOR, "name": "Création et entretien des espaces verts"},
                {"slug": "entretien-des-parkings-4", "name": "Entretien des parkings"},
            ],
        },
        {"name": "Propreté", "sectors": [{"slug": "nettoyage", "name": "Nettoyage de locaux"}]},
    ]
    groups = [(g["name"], [(s["slug"], s["name"]) for s in g["sectors"]]) for g in rows]
    return SectorCatalogue(
        rows=rows,
        groups=groups,
        names={slug: name for _, sectors in groups for slug, name in sectors},
        group_of={slug: group for group, sectors in groups for slug, _ in sectors},
    )


def test_words_find_sectors_by_their_name_then_by_their_group() -> None:
    sectors = _catalogue()

    def slugs(words: str, keep: str = "") -> list[str]:
        return [s["slug"] for g in filtered_groups(sectors, words, keep) for s in g["sectors"]]

    assert slugs("entretien espaces verts") == [SECTOR]
    assert slugs("ENTRETIEN") == [SECTOR, "entretien-des-parkings-4"]
    assert slugs("extérieurs") == [SECTOR, "entretien-des-parkings-4"]  # the group's name
    assert slugs("proprete") == ["nettoyage"]
    assert slugs("parkings", keep="nettoyage") == ["entretien-des-parkings-4", "nettoyage"]
    assert slugs("introuvable") == []
    assert len(slugs("")) == 3


def test_a_change_made_meanwhile_is_named_field_by_field() -> None:
    loaded = {
        "id": 1,
        "sector": SECTOR,
        "presta_types": ["PREST"],
        "range": "zones",
        "radius_km": None,
        "zones": [{"type": "departement", "code": "93"}],
        "inferred": False,
        "version": 1,
    }
    now = {**loaded, "zones": [{"type": "departement", "code": "94"}], "version": 2}
    names = {"departement:93": "Seine-Saint-Denis (93)", "departement:94": "Val-de-Marne (94)"}
    assert changes_since(loaded_state(loaded), now, _catalogue(), names) == [
        ("Zones", "Seine-Saint-Denis (93)", "Val-de-Marne (94)")
    ]
    assert changes_since(loaded_state(loaded), loaded, _catalogue(), names) == []
    assert changes_since("pas du JSON", now, _catalogue(), names) == []
