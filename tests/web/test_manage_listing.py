"""The listing editor in a real browser, on the real stack: a manager edits fields and client
references (rows added without JavaScript), is refused a bad figure beside its field with what
was typed kept, saves, follows the indexing until the change is searchable and finds it on the
public results page; two browsers save the same listing and the second sees both versions,
keeps its text and saves it; logo and photos uploaded, refused when they are not images, empty
or too heavy, served from the website; staff delist and relist; 375 px, axe on each state, a
save without JavaScript."""

from __future__ import annotations

import io
import json
import random
from typing import Any

import httpx
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from services.web.listing_view import (
    api_errors,
    form_of,
    merge,
    pick_commune,
    typed_form,
    update_of,
)
from services.web.media import passed_headers
from tests.support import wait_until
from tests.web.conftest import (
    Site,
    assert_fits,
    check_accessibility,
    log_in,
    new_context,
    screenshot,
)


def managed_structure(site: Site, department: str) -> tuple[dict[str, Any], str]:
    """A supplier manager claims an insertion workshop of the département, staff accept."""
    email = site.new_account("supplier_manager")
    hits = site.api(
        "GET",
        "/api/v1/search",
        params={"kind": "ACI", "department": department, "per_page": 50},
    ).json()["hits"]
    structure = next(h for h in reversed(hits) if h.get("siret") and not h.get("website"))
    site.claim(structure, site.bearer(email))
    return structure, email


def made_up_word() -> str:
    """A word no listing holds: the search finds the one that was given it."""
    return "ferronn" + "".join(random.choices("bcdfghjklmnpqrstvz", k=6))


def png(width: int = 64, height: int = 48, colour: str = "teal") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def error_of(page: Page, field: str) -> str:
    return page.locator(f"#champ-{field}-messages").inner_text()


def log_in_on_phone(phone: Page, email: str) -> None:
    """Logs in at desktop width (the log-out button, which the login check looks for, is in the
    folded menu at 375 px), then back to the phone's width."""
    phone.set_viewport_size({"width": 1280, "height": 900})
    log_in(phone, email)
    phone.set_viewport_size({"width": 375, "height": 900})


def saved(site: Site, structure_id: int, email: str) -> dict[str, Any]:
    found: dict[str, Any] = site.api(
        "GET", f"/api/v1/structures/{structure_id}", headers=site.bearer(email)
    ).json()
    return found


def test_a_manager_edits_saves_and_finds_the_listing(
    site: Site, page: Page, phone: Page, browser: Browser
) -> None:
    structure, manager = managed_structure(site, "62")
    sid = structure["id"]
    log_in(page, manager)
    page.goto(f"/espace-structure/{sid}/fiche")
    expect(page.locator("h1")).to_have_text("Fiche et présentation")
    # Managers read the registry's identity; they do not edit it.
    expect(page.locator("#champ-name")).to_have_count(0)
    expect(page.locator("#identite")).to_contain_text(structure["siret"])
    check_accessibility(page, "fiche")
    screenshot(page, "fiche")

    word = made_up_word()
    description = f"Atelier de {word} et de serrurerie : portails, garde-corps, escaliers."
    page.fill("#champ-description", description)
    page.fill("#champ-website", "www.atelier-exemple.fr")
    page.fill("#champ-headcount_insertion", "24")
    page.fill("#champ-turnover_eur", "beaucoup")
    page.fill("#champ-labels", "Qualiopi\nISO 14001")
    page.fill("#champ-ref_name_0", "Ville de Lens")
    # One more reference row, without any script: the form comes back with what was typed.
    page.get_by_role("button", name="Ajouter une référence").click()
    expect(page.locator("#champ-ref_name_0")).to_have_value("Ville de Lens")
    expect(page.locator("#champ-description")).to_have_value(description)
    page.fill("#champ-ref_name_1", "Pas-de-Calais Habitat")
    page.fill("#champ-ref_description_1", "Garde-corps de 40 logements")

    # A figure that is not one: refused beside its field, every value kept.
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    assert "nombre entier" in error_of(page, "turnover_eur")
    expect(page.locator("#champ-turnover_eur")).to_have_value("beaucoup")
    expect(page.locator("#champ-description")).to_have_value(description)
    expect(page.locator("#champ-ref_name_1")).to_have_value("Pas-de-Calais Habitat")
    expect(page.locator("#erreurs")).to_be_visible()
    check_accessibility(page, "fiche-erreur")
    screenshot(page, "fiche-erreur")

    # With the keyboard alone: the field corrected, Enter saves the whole listing.
    page.locator("#champ-turnover_eur").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("450 000")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/espace-structure/{sid}/fiche?enregistre=1*")
    expect(page.locator("#indexation")).to_contain_text("Enregistré.")
    # htmx asks every second until the change is searchable, then says since when.
    expect(page.locator("#indexation")).to_contain_text(
        "Visible dans la recherche depuis", timeout=30_000
    )
    check_accessibility(page, "fiche-enregistree")
    screenshot(page, "fiche-enregistree")
    record = saved(site, sid, manager)
    assert record["description"] == description
    assert record["turnover_eur"] == 450000 and record["headcount_insertion"] == 24
    assert record["website"].startswith("https://www.atelier-exemple.fr")
    assert record["labels"] == ["Qualiopi", "ISO 14001"]
    assert [r["name"] for r in record["client_references"]] == [
        "Ville de Lens",
        "Pas-de-Calais Habitat",
    ]

    # The buyers' results page finds it by the word of its description, within seconds.
    def found() -> bool:
        page.goto(f"/recherche?q={word}")
        return page.locator(f"a[href^='/structures/{sid}']").count() > 0

    wait_until(found, timeout_s=30, interval_s=1)

    # Removing a reference row, then the dashboard counts what is now filled.
    page.goto(f"/espace-structure/{sid}/fiche")
    page.get_by_role("button", name="Retirer la référence 2").click()
    expect(page.locator("#champ-ref_name_1")).to_have_count(0)
    expect(page.locator("#champ-ref_name_0")).to_have_value("Ville de Lens")
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url("**?enregistre=1*")
    assert len(saved(site, sid, manager)["client_references"]) == 1
    page.goto(f"/espace-structure/{sid}")
    missing = page.locator("#a-completer")
    expect(missing.get_by_role("link", name="Le chiffre d'affaires")).to_have_count(0)
    expect(missing.get_by_role("link", name="Un logo")).to_be_visible()

    # Without JavaScript: the same save, and a « Vérifier » link instead of the polling.
    plain = browser.new_context(
        base_url=site.web.url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    bare = plain.new_page()
    log_in(bare, manager)
    bare.goto(f"/espace-structure/{sid}/fiche")
    bare.fill("#champ-brand", "Atelier Métal Lens")
    bare.get_by_role("button", name="Enregistrer", exact=True).click()
    bare.wait_for_url("**?enregistre=1*")
    assert saved(site, sid, manager)["brand"] == "Atelier Métal Lens"
    bare.get_by_role("link", name="Vérifier").click()
    bare.wait_for_url(f"**/espace-structure/{sid}/indexation")
    expect(bare.locator("#indexation")).to_contain_text("Enregistré.")
    plain.close()

    # At 375 px: the editor fits and is usable.
    log_in_on_phone(phone, manager)
    phone.goto(f"/espace-structure/{sid}/fiche")
    assert_fits(phone)
    check_accessibility(phone, "fiche-375")
    screenshot(phone, "fiche")
    phone.goto(f"/espace-structure/{sid}/indexation")
    expect(phone.locator("#indexation")).to_contain_text("Visible dans la recherche")
    assert_fits(phone)
    check_accessibility(phone, "fiche-indexation-375")


def test_two_browsers_save_the_same_listing(site: Site, browser: Browser) -> None:
    structure, manager = managed_structure(site, "80")
    sid = structure["id"]
    first_context, second_context = new_context(browser, site), new_context(browser, site)
    first, second = first_context.new_page(), second_context.new_page()
    for page in (first, second):
        log_in(page, manager)
        page.goto(f"/espace-structure/{sid}/fiche")

    first.fill("#champ-description", "Version du premier : entretien d'espaces verts.")
    first.fill("#champ-year_founded", "1998")
    first.get_by_role("button", name="Enregistrer", exact=True).click()
    first.wait_for_url("**?enregistre=1*")

    mine = "Version du second : maraîchage biologique et paniers."
    second.fill("#champ-description", mine)
    second.fill("#champ-headcount_permanent", "6")
    second.get_by_role("button", name="Enregistrer", exact=True).click()
    conflict = second.locator("#conflit")
    expect(conflict).to_contain_text("Quelqu'un a enregistré la fiche")
    row = conflict.locator("tr", has_text="Présentation")
    expect(row.locator(".mi-saved")).to_contain_text("Version du premier")
    expect(row.locator(".mi-typed")).to_contain_text("Version du second")
    # Only the second changed the staff count: no conflict there. Only the first changed the
    # year: taken into the form, said so.
    expect(conflict.locator("tr", has_text="Salariés permanents")).to_have_count(0)
    expect(conflict.locator(".mi-taken")).to_contain_text("Année de création : 1998")
    expect(second.locator("#champ-year_founded")).to_have_value("1998")
    # Nothing typed is lost: the form holds the second's values.
    expect(second.locator("#champ-description")).to_have_value(mine)
    expect(second.locator("#champ-headcount_permanent")).to_have_value("6")
    check_accessibility(second, "fiche-conflit")
    screenshot(second, "fiche-conflit")
    assert saved(site, sid, manager)["description"].startswith("Version du premier")

    second.get_by_role("button", name="Enregistrer ma version").click()
    second.wait_for_url("**?enregistre=1*")
    record = saved(site, sid, manager)
    assert record["description"] == mine and record["headcount_permanent"] == 6
    assert record["year_founded"] == 1998

    # The audit trail holds both saves.
    trail = site.api("GET", f"/api/v1/structures/{sid}/audit", headers=site.bearer(manager)).json()
    text = json.dumps(trail["items"], ensure_ascii=False)
    assert "Version du premier" in text and "Version du second" in text

    # The first, still on the version it saved, meets the conflict in turn and takes back
    # what is saved.
    first.fill("#champ-description", "Encore une autre version")
    first.get_by_role("button", name="Enregistrer", exact=True).click()
    expect(first.locator("#conflit")).to_be_visible()
    expect(first.locator("#champ-description")).to_have_value("Encore une autre version")
    first.get_by_role("link", name="Reprendre la version enregistrée").click()
    expect(first.locator("#champ-description")).to_have_value(mine)
    expect(first.locator("#conflit")).to_have_count(0)
    first_context.close()
    second_context.close()


def test_logo_and_photos(site: Site, page: Page) -> None:
    structure, manager = managed_structure(site, "02")
    sid = structure["id"]
    log_in(page, manager)
    page.goto(f"/espace-structure/{sid}/fiche")

    # Refusals, each beside the field: not an image (a text file named .png), empty, too heavy.
    page.set_input_files(
        "#champ-logo",
        {"name": "logo.png", "mimeType": "image/png", "buffer": b"ceci n'est pas une image\n"},
    )
    page.get_by_role("button", name="Envoyer le logo").click()
    assert "PNG, JPEG ou WebP" in error_of(page, "logo")
    check_accessibility(page, "fiche-logo-refuse")
    page.set_input_files(
        "#champ-logo", {"name": "vide.png", "mimeType": "image/png", "buffer": b""}
    )
    page.get_by_role("button", name="Envoyer le logo").click()
    assert "vide" in error_of(page, "logo")
    heavy = png() + b"\0" * (5 * 1024 * 1024)
    page.set_input_files(
        "#champ-photo", {"name": "lourde.png", "mimeType": "image/png", "buffer": heavy}
    )
    page.get_by_role("button", name="Ajouter la photo").click()
    assert "5 Mio" in error_of(page, "photo")
    assert saved(site, sid, manager).get("logo") is None

    # A logo, then a photo with its description.
    page.set_input_files(
        "#champ-logo", {"name": "logo.png", "mimeType": "image/png", "buffer": png()}
    )
    page.get_by_role("button", name="Envoyer le logo").click()
    page.wait_for_url("**media=logo*")
    logo = page.locator("#logo img")
    expect(logo).to_be_visible()
    source = logo.get_attribute("src")
    assert source is not None and source.startswith("/medias/")
    served = page.request.get(source)
    # Stored re-encoded (an opaque PNG becomes a JPEG), kept a year, revalidated by its ETag.
    assert served.status == 200 and served.headers["content-type"] in ("image/png", "image/jpeg")
    assert "max-age=31536000" in served.headers.get("cache-control", "")
    again = page.request.get(source, headers={"If-None-Match": served.headers["etag"]})
    assert again.status == 304
    assert page.request.get("/medias/" + "0" * 24).status == 404

    page.set_input_files(
        "#champ-photo", {"name": "atelier.png", "mimeType": "image/png", "buffer": png(800, 600)}
    )
    page.fill("#champ-photo_alt", "Deux soudeurs au travail dans l'atelier")
    page.get_by_role("button", name="Ajouter la photo").click()
    page.wait_for_url("**media=photo*")
    photo = page.locator(".mi-photo img").first
    expect(photo).to_have_attribute("alt", "Deux soudeurs au travail dans l'atelier")
    check_accessibility(page, "fiche-photos")
    screenshot(page, "fiche-photos")
    record = saved(site, sid, manager)
    assert record["logo"] and len(record["photos"]) == 1

    # The public page shows both, with their texts.
    page.goto(f"/structures/{sid}")
    expect(page.locator(".mi-structure-logo")).to_be_visible()
    expect(page.locator(".mi-structure-photos img")).to_have_attribute(
        "alt", "Deux soudeurs au travail dans l'atelier"
    )

    # The photo's text changed with the listing's save, then the photo removed.
    page.goto(f"/espace-structure/{sid}/fiche")
    photo_id = record["photos"][0]["id"]
    page.fill(f"#champ-photo_alt_{photo_id}", "Soudeurs et garde-corps")
    page.fill("#champ-brand", "Axo Métal")
    # A new logo chosen goes with the listing's save too.
    page.set_input_files(
        "#champ-logo", {"name": "nouveau.png", "mimeType": "image/png", "buffer": png(colour="red")}
    )
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    page.wait_for_url("**?enregistre=1*")
    after = saved(site, sid, manager)
    assert after["photos"][0]["alt"] == "Soudeurs et garde-corps" and after["brand"] == "Axo Métal"
    assert after["logo"]["id"] != record["logo"]["id"]
    page.get_by_role("button", name="Retirer la photo 1").click()
    page.wait_for_url("**media=photo-retiree*")
    assert saved(site, sid, manager)["photos"] == []


def test_staff_delist_and_relist(site: Site, page: Page) -> None:
    structure, _manager = managed_structure(site, "60")
    sid = structure["id"]
    staff = site.staff()
    email = site.api("GET", "/api/v1/me", headers=staff).json()["account"]["email"]
    log_in(page, email)
    page.goto(f"/espace-structure/{sid}/fiche")
    # Staff edit the registry's identity too.
    expect(page.locator("#champ-name")).to_have_value(structure["name"])
    page.get_by_role("link", name="Retirer de la recherche…").click()
    expect(page.locator("h1")).to_contain_text("Retirer")
    check_accessibility(page, "fiche-retrait")
    page.get_by_role("button", name="Retirer de la recherche").click()
    expect(page.locator("h1")).to_contain_text("est retirée de la recherche")
    assert site.api("GET", f"/api/v1/structures/{sid}").status_code == 404
    expect(page.get_by_role("button", name="Remettre en ligne")).to_be_visible()
    # Any later day, the editor says the listing is delisted and offers to relist it.
    page.goto(f"/espace-structure/{sid}/fiche")
    expect(page.get_by_text("La fiche est retirée de la recherche.")).to_be_visible()
    page.get_by_role("button", name="Remettre en ligne").click()
    expect(page.locator("h1")).to_contain_text("de nouveau en ligne")
    assert site.api("GET", f"/api/v1/structures/{sid}").status_code == 200


def test_the_form_merges_what_only_the_other_save_changed() -> None:
    base = {"version": 3, "description": "A", "year_founded": None, "client_references": []}
    loaded = form_of(base)
    sent = {"version": "3", "loaded": loaded.loaded_json(), **loaded.values}
    sent |= {"description": "B", "headcount_permanent": "6", "references_count": "0"}
    typed = typed_form(sent, is_staff=False)
    now = form_of({**base, "version": 4, "description": "C", "year_founded": 1998})
    merged = merge(now, typed, is_staff=False)
    assert [d.label for d in merged.conflicts] == ["Présentation"]
    assert [(d.label, d.saved) for d in merged.taken] == [("Année de création", "1998")]
    assert typed.values["description"] == "B" and typed.values["headcount_permanent"] == "6"
    assert typed.values["year_founded"] == "1998" and typed.version == 4


def test_the_form_checks_figures_and_places_the_api_messages() -> None:
    typed = typed_form(
        {
            "version": "2",
            "turnover_eur": "12 000 €",
            "year_founded": "deux mille",
            "headcount_insertion": "-3",
            "website": "exemple.fr",
            "networks": "Coorace, Chantier école",
            "labels": "Qualiopi\nQualiopi\n",
            "references_count": "2",
            "ref_name_0": "",
            "ref_description_0": "Sans client",
            "ref_name_1": "Mairie",
        },
        is_staff=False,
    )
    update, errors = update_of(typed, is_staff=False)
    assert update["turnover_eur"] == 12000 and update["website"] == "https://exemple.fr"
    assert update["networks"] == ["coorace", "chantier-ecole"] and update["labels"] == ["Qualiopi"]
    assert set(errors) == {"year_founded", "headcount_insertion", "ref_name_0"}
    assert "name" not in update and "kind" not in update
    placed = api_errors([("client_references.1.name", "trop long"), ("body.website", "URL")])
    assert placed == {"ref_name_1": "trop long", "website": "URL"}
    communes = [
        {"code": "93066", "name": "Saint-Denis", "postcodes": ["93200", "93210"]},
        {"code": "93001", "name": "Aubervilliers", "postcodes": ["93300"]},
    ]
    assert pick_commune(communes, "93200", "")[0] == communes[0]
    assert pick_commune(communes, "93999", "x")[1] == "Aucune commune n'a le code postal 93999."


def test_images_opening_a_session_are_kept_by_the_browser_alone() -> None:
    stored = httpx.Response(
        200,
        headers={"cache-control": "public, max-age=31536000, immutable", "etag": '"abc"'},
    )
    assert passed_headers(stored, shared=True)["cache-control"].startswith("public")
    private = passed_headers(stored, shared=False)
    assert private == {"cache-control": "private, max-age=31536000, immutable", "etag": '"abc"'}
