"""The account in a real browser: register, confirm from the e-mail, log in and out, a wrong
password, the throttle, a new password from the e-mail, a session that outlives the process."""

from __future__ import annotations

import secrets
from urllib.parse import quote

from playwright.sync_api import Page, expect

from services.web.pages.account import local_path
from tests.mail_support import links
from tests.web.conftest import (
    PASSWORD,
    Site,
    check_accessibility,
    log_in,
    screenshot,
)


def _address(label: str) -> str:
    return f"{label}-{secrets.token_hex(4)}@exemple.fr"


def _link_to(site: Site, address: str, subject: str, path: str) -> str:
    message = site.inbox.wait_for(address, subject)
    (link,) = [link for link in links(message) if path in link]
    assert link.startswith(site.url(path) + "?token=")
    return link


def test_register_confirm_log_in_and_out(site: Site, page: Page, phone: Page) -> None:
    phone.goto("/inscription")
    check_accessibility(phone, "inscription-375")
    screenshot(phone, "inscription")
    page.goto("/inscription")
    expect(page.get_by_role("heading", level=1)).to_have_text("Créer un compte")
    expect(page.get_by_text("Au moins 12 caractères")).to_be_visible()
    check_accessibility(page, "inscription")
    screenshot(page, "inscription")

    # Nothing filled: each field says what it needs, and nothing typed is lost.
    page.fill("#champ-email", "acheteuse@exemple.fr")
    page.fill("#champ-password", "court")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator("#champ-password-messages")).to_contain_text("12 caractères au moins")
    expect(page.locator("#groupe-role-messages")).to_contain_text("Indiquez votre profil")
    expect(page.locator("#erreurs")).to_be_visible()
    expect(page.locator("#champ-email")).to_have_value("acheteuse@exemple.fr")
    check_accessibility(page, "inscription-erreurs")

    address = _address("rse")
    page.fill("#champ-email", address)
    page.fill("#champ-password", PASSWORD)
    page.locator("label", has_text="Acheteur privé (entreprise").click()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(site.url("/inscription/envoyee"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifiez votre messagerie")
    check_accessibility(page, "inscription-envoyee")

    link = _link_to(site, address, "confirmez", "/compte/confirmation")
    visited: list[str] = []
    page.on("framenavigated", lambda frame: visited.append(frame.url))
    page.goto(link)
    # Confirmed, and the token left the address bar at once.
    expect(page).to_have_url(site.url("/connexion?confirme=1"))
    assert not any("token" in url for url in visited[1:]), visited
    expect(page.get_by_text("Votre adresse est confirmée")).to_be_visible()
    check_accessibility(page, "connexion-confirmee")

    log_in(page, address)
    expect(page).to_have_url(site.url("/compte"))
    main = page.locator("main")
    expect(main).to_contain_text(address)
    expect(main).to_contain_text("Acheteur privé (RSE)")
    expect(main.get_by_role("link", name="Mes clés d'API", exact=True)).to_be_visible()
    check_accessibility(page, "compte")

    page.get_by_role("button", name="Se déconnecter").first.click()
    expect(page.get_by_role("link", name="Se connecter")).to_be_visible()
    page.goto("/compte")
    expect(page).to_have_url(site.url("/connexion?suite=%2Fcompte"))

    # The link served once: opened again, it says why and what to do.
    page.goto(link)
    expect(page).to_have_url(site.url("/compte/confirmation/echec"))
    expect(page.get_by_role("link", name="inscrivez-vous de nouveau")).to_be_visible()
    check_accessibility(page, "confirmation-echec")


def test_wrong_password_is_told_beside_the_field_then_throttled(
    site: Site, page: Page, phone: Page
) -> None:
    address = site.new_account("public_buyer")
    for shown in (page, phone):
        shown.goto("/connexion")
        check_accessibility(shown, "connexion")
        screenshot(shown, "connexion")

    page.fill("#champ-email", address)
    page.fill("#champ-password", "pas-le-bon-mot-de-passe")
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#champ-password-messages")).to_contain_text(
        "Adresse ou mot de passe incorrect"
    )
    expect(page.locator("#champ-email")).to_have_value(address)
    check_accessibility(page, "connexion-erreur")

    # Four more failures, and the API refuses to check passwords for this address a while.
    for _ in range(5):
        page.fill("#champ-password", "pas-le-bon-mot-de-passe")
        page.get_by_role("button", name="Se connecter").click()
        page.wait_for_load_state()
    expect(page.locator("#champ-password-messages")).to_contain_text("Trop d'échecs")
    expect(page.locator("#erreurs")).to_contain_text("Trop de tentatives")
    check_accessibility(page, "connexion-trop-de-tentatives")


def test_unconfirmed_address_is_told_beside_the_address(site: Site, page: Page) -> None:
    address = site.new_account("public_buyer", verified=False)
    page.goto("/connexion")
    page.fill("#champ-email", address)
    page.fill("#champ-password", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator("#champ-email-messages")).to_contain_text("Confirmez d'abord")


def test_next_page_is_honoured_for_local_paths_only(site: Site, page: Page) -> None:
    address = site.new_account("public_buyer")

    def log_in_from(url: str) -> None:
        page.goto(url)
        page.fill("#champ-email", address)
        page.fill("#champ-password", PASSWORD)
        page.get_by_role("button", name="Se connecter").click()

    for target in ("https://ailleurs.exemple.org/piege", "//ailleurs.exemple.org/piege"):
        log_in_from("/connexion?suite=" + quote(target, safe=""))
        expect(page).to_have_url(site.url("/compte"))
        page.get_by_role("button", name="Se déconnecter").first.click()
        page.wait_for_load_state()
    page.goto("/compte/cles")  # asks for the log-in, then comes back
    expect(page).to_have_url(site.url("/connexion?suite=%2Fcompte%2Fcles"))
    log_in_from(page.url)
    expect(page).to_have_url(site.url("/compte/cles"))


def test_new_password_through_the_email(site: Site, page: Page) -> None:
    address = site.new_account("supplier_manager")
    page.goto("/mot-de-passe-oublie")
    check_accessibility(page, "mot-de-passe-oublie")
    page.get_by_role("button", name="Recevoir un lien").click()
    expect(page.locator("#champ-email-messages")).to_contain_text("Indiquez votre adresse")
    check_accessibility(page, "mot-de-passe-oublie-erreur")

    # The same answer for an address without an account.
    page.fill("#champ-email", _address("inconnu"))
    page.get_by_role("button", name="Recevoir un lien").click()
    unknown = page.locator("main").inner_text()
    page.goto("/mot-de-passe-oublie")
    page.fill("#champ-email", address)
    page.get_by_role("button", name="Recevoir un lien").click()
    expect(page).to_have_url(site.url("/mot-de-passe-oublie?envoye=1"))
    assert page.locator("main").inner_text() == unknown
    check_accessibility(page, "mot-de-passe-oublie-envoye")

    link = _link_to(site, address, "nouveau mot de passe", "/compte/nouveau-mot-de-passe")
    token = link.split("token=", 1)[1]
    page.goto(link)
    # Checked, and the browser is at an address without the token; the form does not hold it.
    assert "token=" not in page.url and token not in page.url
    assert token not in page.content()
    check_accessibility(page, "nouveau-mot-de-passe")

    new_password = PASSWORD + "-renouvele"
    page.fill("#champ-password", new_password)
    page.fill("#champ-password_confirmation", new_password + "x")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page.locator("#champ-password_confirmation-messages")).to_contain_text("diffèrent")
    check_accessibility(page, "nouveau-mot-de-passe-erreur")

    page.fill("#champ-password", new_password)
    page.fill("#champ-password_confirmation", new_password)
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page).to_have_url(site.url("/connexion?nouveau=1"))
    expect(page.get_by_text("Votre nouveau mot de passe est enregistré")).to_be_visible()
    log_in(page, address, new_password)
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.wait_for_load_state()

    # The link served once.
    page.goto(link)
    expect(page.get_by_role("heading", name="Ce lien ne fonctionne plus")).to_be_visible()
    check_accessibility(page, "nouveau-mot-de-passe-lien-perime")


def test_a_restart_of_the_website_keeps_the_session(site: Site, page: Page) -> None:
    address = site.new_account("public_buyer")
    log_in(page, address)
    site.web.stop()
    try:
        site.web.start()
        page.reload()
        expect(page.get_by_role("button", name="Se déconnecter").first).to_be_visible()
        page.goto("/compte")
        expect(page).to_have_url(site.url("/compte"))
        expect(page.locator("main")).to_contain_text(address)
    finally:
        if site.web.process is None or site.web.process.poll() is not None:
            site.web.start()


def test_only_paths_of_the_site_are_followed_after_log_in() -> None:
    for kept in ("/compte", "/recherche?q=nettoyage&page=2", "/besoins/12"):
        assert local_path(kept) == kept
    for refused in (
        "",
        "https://ailleurs.exemple.org/",
        "//ailleurs.exemple.org/",
        "/\\ailleurs.exemple.org/",
        "javascript:alert(1)",
        "compte",
        "/\tailleurs",
        "/x\r\nSet-Cookie: a=b",
    ):
        assert local_path(refused) is None, refused
