"""API keys in a real browser: create with scopes and expiry, the secret shown once and working
against the API, rotate, revoke (the modal dialog, and its page without JavaScript)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
from playwright.sync_api import Browser, Page, expect

from services.web.templating import french_date
from tests.web.conftest import (
    PASSWORD,
    Site,
    check_accessibility,
    log_in,
    new_context,
    screenshot,
)

KEY = re.compile(r"^mik[0-9a-f]{72}$")
CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def _works(site: Site, key: str) -> int:
    return site.api("GET", "/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code


def _create(page: Page, name: str, scopes: list[str], expiry: str) -> str:
    page.fill("#champ-name", name)
    for label in scopes:
        page.locator("#groupe-scopes label", has_text=label).click()
    page.select_option("#champ-expiry", label=expiry)
    page.get_by_role("button", name="Créer la clé").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(name)
    return page.input_value("#champ-cle")


def test_create_use_rotate_revoke_a_key(site: Site, page: Page, phone: Page) -> None:
    address = site.new_account("private_buyer")
    log_in(page, address)
    page.goto("/compte/cles")
    expect(page.get_by_text("Vous n'avez pas encore de clé d'API")).to_be_visible()
    check_accessibility(page, "compte-cles-vide")

    # Nothing chosen: the name and the scopes say so; what was chosen stays.
    page.select_option("#champ-expiry", label="90 jours")
    page.get_by_role("button", name="Créer la clé").click()
    expect(page.locator("#champ-name-messages")).to_contain_text("Donnez un nom")
    expect(page.locator("#groupe-scopes-messages")).to_contain_text("Cochez au moins")
    expect(page.locator("#champ-expiry")).to_have_value("90")
    check_accessibility(page, "compte-cles-erreurs")

    secret_answer: list[str] = []
    page.on(
        "response",
        lambda r: (
            secret_answer.append(r.headers.get("cache-control", ""))
            if r.request.method == "POST" and r.url.endswith("/compte/cles")
            else None
        ),
    )
    key = _create(page, "Logiciel achats", ["Rechercher des fournisseurs"], "1 an")
    assert KEY.match(key), key
    assert key not in page.url
    assert secret_answer and "no-store" in secret_answer[-1]
    expect(page.get_by_text("elle ne sera plus jamais affichée")).to_be_visible()
    check_accessibility(page, "compte-cle-creee")
    screenshot(page, "compte-cle-creee")

    # The key works against the API, within its scopes only.
    assert _works(site, key) == 200
    needs = site.api("GET", "/api/v1/needs", headers={"Authorization": f"Bearer {key}"})
    assert needs.status_code == 403, needs.text

    # Never shown again: the list has its name, scopes, dates and status, not the secret.
    page.get_by_role("link", name="revenir à mes clés").click()
    expect(page).to_have_url(site.url("/compte/cles"))
    assert key not in page.content()
    row = page.locator("tbody tr", has_text="Logiciel achats")
    expect(row).to_contain_text("Rechercher des fournisseurs")
    expect(row).to_contain_text("Active")
    expires = french_date(datetime.now(UTC) + timedelta(days=365))
    expect(row).to_contain_text(expires)
    expect(row).to_contain_text(french_date(datetime.now(UTC)))  # created, and used, today
    page.reload()
    assert key not in page.content()
    check_accessibility(page, "compte-cles")
    screenshot(page, "compte-cles")

    # Rotate: a new secret, shown once; the old one is refused.
    row.get_by_role("button", name="Remplacer").click()
    expect(page.get_by_text("L'ancienne clé est révoquée")).to_be_visible()
    rotated = page.input_value("#champ-cle")
    assert KEY.match(rotated) and rotated != key
    assert _works(site, key) == 401
    assert _works(site, rotated) == 200

    # Revoke: the confirmation page (for browsers without JavaScript), then the modal dialog.
    page.goto("/compte/cles")
    active = page.locator("tbody tr", has_text="Active")
    expect(active).to_have_count(1)
    confirmation = active.locator("a[data-mi-modal-fallback]").get_attribute("href")
    assert confirmation is not None
    page.goto(confirmation)
    check_accessibility(page, "compte-cles-revoquer")
    page.get_by_role("link", name="Annuler").click()
    active.get_by_role("button", name="Révoquer").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Révoquer la clé « Logiciel achats » ?")
    # axe reads colours: it waits for the end of the dialog's fade-in.
    expect(page.locator(".fr-modal--opened")).to_have_css("opacity", "1")
    check_accessibility(page, "compte-cles-modale")
    dialog.get_by_role("button", name="Révoquer définitivement").click()
    expect(page).to_have_url(site.url("/compte/cles?fait=revoquee"))
    expect(page.get_by_text("La clé est révoquée")).to_be_visible()
    assert _works(site, rotated) == 401
    expect(page.locator("tbody tr", has_text="Active")).to_have_count(0)
    expect(page.locator("tbody tr", has_text="Révoquée")).to_have_count(2)

    log_in(phone, address)
    phone.goto("/compte/cles")
    check_accessibility(phone, "compte-cles-375")
    screenshot(phone, "compte-cles")


def test_revoke_without_javascript(site: Site, browser: Browser) -> None:
    address = site.new_account("public_buyer")
    context = new_context(browser, site)
    page = context.new_page()
    try:
        log_in(page, address)
        page.goto("/compte/cles")
        key = _create(page, "Tableur", ["Rechercher des fournisseurs"], "30 jours")
        assert _works(site, key) == 200
    finally:
        context.close()
    no_script = browser.new_context(base_url=site.web.url, java_script_enabled=False)
    page = no_script.new_page()
    try:
        log_in(page, address)
        page.goto("/compte/cles")
        # Without JavaScript, « Révoquer » is a link to a confirmation page.
        page.get_by_role("link", name="Révoquer").click()
        expect(page).to_have_url(re.compile(r"/compte/cles/\d+/revoquer$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Tableur")
        page.get_by_role("button", name="Révoquer définitivement").click()
        expect(page).to_have_url(site.url("/compte/cles?fait=revoquee"))
        assert _works(site, key) == 401
    finally:
        no_script.close()


def test_scopes_beyond_the_role_are_not_offered(site: Site, page: Page) -> None:
    log_in(page, site.new_account("public_buyer"))
    page.goto("/compte/cles")
    labels = page.locator("#groupe-scopes label").all_inner_texts()
    assert any("Déposer et modifier mes besoins" in label for label in labels)
    assert not any("Modifier les fiches" in label for label in labels)


def test_a_creation_form_sent_twice_makes_one_key(site: Site) -> None:
    address = site.new_account("public_buyer")
    with httpx.Client(base_url=site.web.url, timeout=30) as client:
        token = CSRF.search(client.get("/connexion").text)
        assert token is not None
        client.post(
            "/connexion",
            data={"csrf_token": token.group(1), "email": address, "password": PASSWORD},
        )
        form = client.get("/compte/cles").text
        fields = dict(re.findall(r'name="(csrf_token|formulaire)" value="([^"]+)"', form))
        sent = {**fields, "name": "Double clic", "scopes": "search:read", "expiry": "30"}
        first = client.post("/compte/cles", data=sent)
        assert first.status_code == 200 and "no-store" in first.headers["cache-control"]
        again = client.post("/compte/cles", data=sent)
        assert again.status_code == 303
        assert again.headers["location"] == "/compte/cles?fait=deja-creee"
        assert "déjà créé sa clé" in client.get(again.headers["location"]).text
    keys = site.api("GET", "/api/v1/keys", headers=site.bearer(address)).json()
    assert [k["name"] for k in keys] == ["Double clic"]
