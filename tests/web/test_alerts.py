"""Saved searches and their alerts in a real browser, on the real stack: a buyer saves a search
from a results address, a supplier's manager declares an activity that makes their structure
match, the digest e-mails it once through a real SMTP server, and the e-mail's link, opened
without logging in, stops the alert. Every page (error states included) through axe-core."""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from services.common.db import make_engine, utcnow
from services.common.mail import make_mail_relay
from services.common.search_engine import search_only_client
from services.sourcing.alerts.digest import DigestRunner
from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.settings import SourcingSettings
from services.web.lists_view import grouped, place_names, search_in_words, search_params
from tests.mail_support import body
from tests.support import wait_until
from tests.web.conftest import (
    Site,
    check_accessibility,
    log_in,
    new_context,
    screenshot,
)
from tests.web.test_favourites import assert_fits

CLEANING = "nettoyage-de-locaux-16"
SEARCH = {"department": "93", "sector": CLEANING, "presta_type": "PREST"}
QUERY = f"department=93&sector={CLEANING}&presta_type=PREST"


def _ids(site: Site, params: dict[str, str]) -> set[int]:
    found: set[int] = set()
    page = 1
    while True:
        answer = site.api(
            "GET", "/api/v1/search", params={**params, "per_page": 100, "page": page}
        ).json()
        found |= {hit["id"] for hit in answer["hits"]}
        if page >= answer["total_pages"]:
            return found
        page += 1


def _starts_cleaning_in_93(site: Site, structure: dict[str, Any]) -> None:
    """Its manager claims the structure, staff accepts, the manager declares an activity:
    cleaning offices in the 93. Through the public API, as the supplier's pages would."""
    manager = site.bearer(site.new_account("supplier_manager"))
    site.claim(structure, manager)
    added = site.api(
        "POST",
        f"/api/v1/structures/{structure['id']}/activities",
        json={
            "sector": CLEANING,
            "presta_types": ["PREST"],
            "range": "zones",
            "zones": [{"type": "département", "code": "93"}],
        },
        headers=manager,
    )
    assert added.status_code == 201, added.text
    wait_until(lambda: structure["id"] in _ids(site, SEARCH), timeout_s=30)


def _run_digests(site: Site, monkeypatch: pytest.MonkeyPatch, days: float) -> int:
    """The digest pass of the sourcing service (its own function, on its database, index and
    settings), run as if `days` had gone by; its mail relay, in the running service, sends."""
    for key, value in site.system.sourcing.env.items():
        monkeypatch.setenv(key, value)
    settings = SourcingSettings()
    engine = make_engine(settings.database_url)
    search_engine = SearchEngine(search_only_client(settings), settings.meili_index)
    runner = DigestRunner(
        engine,
        search_engine,
        SearchVocabulary.load(settings.data_dir),
        settings,
        make_mail_relay(engine, settings),
    )

    async def run() -> int:
        try:
            return await runner.send_due(now=utcnow() + timedelta(days=days), deliver=False)
        finally:
            await search_engine.aclose()

    # Playwright's synchronous API holds this thread's event loop: the pass runs beside it.
    try:
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result()
    finally:
        engine.dispose()


def test_a_saved_search_tells_a_newcomer_once_and_its_link_unsubscribes(
    site: Site, page: Page, phone: Page, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = site.new_account("public_buyer")
    baseline = _ids(site, SEARCH)
    assert baseline, "the data must hold cleaners serving the 93"

    response = page.goto(f"/alertes/nouvelle?{QUERY}")
    assert response is not None and "/connexion" in page.url
    log_in(page, buyer)

    # From the results page's « Sauvegarder cette recherche ».
    page.goto(f"/recherche?{QUERY}")
    page.get_by_role("link", name="Sauvegarder cette recherche").click()
    page.wait_for_url("**/alertes/nouvelle?**")
    words = page.locator(".fr-callout .mi-search-words")
    expect(words).to_contain_text("Départements : Seine-Saint-Denis (93)")
    expect(words).to_contain_text("Prestations : Prestation de service")
    expect(words).to_contain_text("Nettoyage")
    saved_query = page.locator("input[name=params]").input_value()
    assert set(saved_query.split("&")) >= set(QUERY.split("&")), saved_query
    assert "page=" not in saved_query
    check_accessibility(page, "alertes-nouvelle")
    page.fill("#champ-name", "Nettoyage 93")
    page.locator("label[for=frequence-daily]").click()
    expect(page.locator("#frequence-daily")).to_be_checked()
    page.get_by_role("button", name="Enregistrer la recherche").click()
    page.wait_for_url("**/alertes")
    row = page.locator("#mes-alertes > li")
    expect(row).to_have_count(1)
    expect(row.first).to_contain_text("Nettoyage 93")
    expect(row.first.locator("select")).to_have_value("daily")
    opened = page.get_by_role("link", name="Ouvrir la recherche « Nettoyage 93 »")
    expect(opened).to_have_attribute("href", f"/recherche?{QUERY}")

    # The same name again: refused beside the field, what was typed kept.
    page.goto(f"/alertes/nouvelle?{QUERY}")
    page.fill("#champ-name", "Nettoyage 93")
    page.get_by_role("button", name="Enregistrer la recherche").click()
    expect(page.locator("#champ-name-messages")).to_contain_text("déjà")
    expect(page.locator("#champ-name")).to_have_value("Nettoyage 93")
    expect(page.locator("#erreurs")).to_be_visible()
    check_accessibility(page, "alertes-nouvelle-erreur")
    # A search the API refuses: the reason, naming the criterion, above the form.
    page.goto("/alertes/nouvelle?kind=ESATT")
    page.fill("#champ-name", "Type inconnu")
    page.get_by_role("button", name="Enregistrer la recherche").click()
    expect(page.locator("#erreurs")).to_contain_text("ESATT")
    expect(page.locator("#champ-name")).to_have_value("Type inconnu")
    check_accessibility(page, "alertes-nouvelle-parametres")

    # The frequency changes from the list.
    page.goto("/alertes")
    page.select_option("#mes-alertes select", "weekly")
    page.get_by_role("button", name="Modifier la fréquence de « Nettoyage 93 »").click()
    expect(page.locator("#mes-alertes select")).to_have_value("weekly")
    page.select_option("#mes-alertes select", "daily")
    page.get_by_role("button", name="Modifier la fréquence de « Nettoyage 93 »").click()
    expect(page.locator("#mes-alertes select")).to_have_value("daily")
    check_accessibility(page, "alertes")

    # Nothing new yet: the baseline is not reported.
    assert _run_digests(site, monkeypatch, days=2) == 0

    # A structure of Paris starts cleaning offices in the 93.
    listed = site.api("GET", "/api/v1/search", params={"department": "75", "per_page": 100})
    newcomer = next(h for h in listed.json()["hits"] if h["id"] not in baseline and h["siret"])
    _starts_cleaning_in_93(site, newcomer)

    assert _run_digests(site, monkeypatch, days=4) == 1
    mail = site.inbox.wait_for(buyer, subject="Nettoyage 93", saying=newcomer["name"])
    text = body(mail)
    assert f"{site.web.url}/structures/{newcomer['id']}" in text
    assert f"{site.web.url}/recherche?" in text
    found = re.search(r"(http://\S+/alertes/desinscription\?token=\S+)", text)
    assert found is not None, text
    link = found.group(1)

    # A later pass tells nothing again: one e-mail, one structure.
    assert _run_digests(site, monkeypatch, days=6) == 0
    time.sleep(2)
    assert len(site.inbox.to(buyer, "Nettoyage 93")) == 1

    # The link, opened by someone not logged in, shows what it stops, then stops it.
    stranger = new_context(browser, site)
    try:
        visitor = stranger.new_page()
        visitor.goto(link)
        expect(visitor.get_by_text("« Nettoyage 93 »")).to_be_visible()
        check_accessibility(visitor, "alertes-desinscription")
        screenshot(visitor, "alertes-desinscription")
        visitor.get_by_role("button", name="Ne plus recevoir ces alertes").click()
        visitor.wait_for_url("**/alertes/desinscription/faite")
        assert "token" not in visitor.url
        expect(visitor.get_by_role("heading", level=1)).to_have_text("Alerte arrêtée")
        check_accessibility(visitor, "alertes-desinscription-faite")
        visitor.goto(link)
        expect(visitor.get_by_text("Vous êtes déjà désinscrit")).to_be_visible()
        forged = link[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
        answer = visitor.goto(forged)
        assert answer is not None and answer.status == 404
        expect(visitor.get_by_text("Ce lien ne fonctionne pas")).to_be_visible()
        check_accessibility(visitor, "alertes-desinscription-refusee")
    finally:
        stranger.close()
    saved = site.api("GET", "/api/v1/saved-searches", headers=site.bearer(buyer)).json()
    assert [s["frequency"] for s in saved] == ["none"]
    assert _run_digests(site, monkeypatch, days=30) == 0
    token = link.split("token=", 1)[1]
    assert token not in site.logs_text()

    page.goto("/alertes")
    expect(page.locator("#mes-alertes select")).to_have_value("none")
    screenshot(page, "alertes")
    log_in(phone, buyer)
    phone.goto("/alertes")
    assert_fits(phone)
    check_accessibility(phone, "alertes-mobile")
    screenshot(phone, "alertes")

    # Deleting asks first.
    page.get_by_role("link", name="Supprimer « Nettoyage 93 »").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Nettoyage 93")
    check_accessibility(page, "alertes-supprimer")
    page.get_by_role("button", name="Oui, supprimer la recherche").click()
    page.wait_for_url("**/alertes")
    expect(page.get_by_text("Vous n'avez pas encore de recherche enregistrée")).to_be_visible()


def test_a_search_in_words() -> None:
    """What the buyer reads of a saved search: labels, not codes; page and sort not saved."""
    params = grouped(search_params("kind=ESAT&kind=EA&department=93&qpv=true&page=4&sort=nom"))
    assert params == {"kind": ["ESAT", "EA"], "department": ["93"], "qpv": ["true"]}
    words = search_in_words(params, {})
    assert words[0].startswith("Types : Établissement et service d'aide par le travail (ESAT)")
    assert "Départements : 93" in words
    assert "Seulement en quartier prioritaire (QPV)" in words
    assert search_in_words({}, {}) == ["Toutes les structures (aucun critère)"]
    named = search_in_words({"sector": [CLEANING]}, {CLEANING: "Nettoyage de locaux"})
    assert named == ["Secteurs : Nettoyage de locaux"]
    places = {"department": place_names([{"code": "93", "name": "Seine-Saint-Denis"}])}
    assert search_in_words({"department": ["93"]}, {}, places) == [
        "Départements : Seine-Saint-Denis (93)"
    ]
