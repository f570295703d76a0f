"""The website's security as a browser sees it: forms refused without their CSRF token; after a
whole account journey, no access token, refresh token, API key secret or e-mailed token in any
HTML received, any address visited or any log line; the session cookie HttpOnly and SameSite=Lax."""

from __future__ import annotations

import asyncio
import re
import secrets
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from playwright.sync_api import Page, Request, Response, expect

from services.web.sessions import SessionStore, SignedIn
from tests.mail_support import links
from tests.web.conftest import PASSWORD, Site, log_in

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def _csrf(client: httpx.Client, path: str) -> str:
    found = CSRF.search(client.get(path).text)
    assert found is not None
    return found.group(1)


def _logged_in_client(site: Site, address: str) -> httpx.Client:
    client = httpx.Client(base_url=site.web.url, timeout=30)
    token = _csrf(client, "/connexion")
    answer = client.post(
        "/connexion", data={"csrf_token": token, "email": address, "password": PASSWORD}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/compte"
    return client


def test_every_account_form_refuses_a_post_without_its_token(site: Site) -> None:
    address = site.new_account("public_buyer")
    created = site.api(
        "POST",
        "/api/v1/keys",
        json={"name": "existante", "scopes": ["search:read"]},
        headers=site.bearer(address),
    ).json()
    key_id = created["id"]
    filled = {
        "/inscription": {"email": "x@exemple.fr", "password": PASSWORD, "role": "public_buyer"},
        "/connexion": {"email": address, "password": PASSWORD},
        "/mot-de-passe-oublie": {"email": address},
        "/compte/nouveau-mot-de-passe": {"lien": "x", "password": PASSWORD},
        "/deconnexion": {},
        "/compte/cles": {"name": "forgée", "scopes": "search:read", "expiry": "30"},
        f"/compte/cles/{key_id}/remplacer": {},
        f"/compte/cles/{key_id}/revoquer": {},
    }
    client = _logged_in_client(site, address)
    try:
        for path, data in filled.items():
            for token in (None, "0" * 64):
                sent = data if token is None else {**data, "csrf_token": token}
                refused = client.post(path, data=sent)
                assert refused.status_code == 403, (path, refused.status_code)
                assert "Formulaire expiré" in refused.text
        # Still logged in, and nothing happened: the key is the only one, and active.
        assert client.get("/compte").status_code == 200
    finally:
        client.close()
    keys = site.api("GET", "/api/v1/keys", headers=site.bearer(address)).json()
    assert [(k["id"], k["revoked_at"]) for k in keys] == [(key_id, None)]
    assert site.api(
        "GET", "/api/v1/me", headers={"Authorization": f"Bearer {created['key']}"}
    ).is_success


@dataclass
class Traffic:
    """What the browser received and where it went."""

    urls: list[str] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    pages: list[tuple[str, str]] = field(default_factory=list)  # (url, HTML)

    def watch(self, page: Page) -> None:
        page.on("request", self._request)
        page.on("response", self._response)

    def _request(self, request: Request) -> None:
        self.urls.append(request.url)

    def _response(self, response: Response) -> None:
        if 300 <= response.status < 400:
            self.locations.append(response.headers.get("location", ""))
        elif "text/html" in response.headers.get("content-type", ""):
            self.pages.append((response.url, response.text()))

    def html_with(self, secret: str) -> list[str]:
        return [url for url, html in self.pages if secret in html]


def _signed_in(site: Site, page: Page) -> SignedIn:
    """The API tokens the website holds for this browser, read as the website reads them."""
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "mi_session"]
    store = SessionStore(
        site.web.env["WEB_SESSION_DATABASE_URL"],
        site.web.env["WEB_SESSION_SECRET"],
        timedelta(days=1),
    )
    try:
        # Playwright's loop runs in this thread: the store is read from another one.
        with ThreadPoolExecutor(1) as worker:
            user = worker.submit(asyncio.run, store.load(cookie["value"])).result()
    finally:
        store.close()
    assert user is not None
    return user


def test_no_secret_leaks_during_an_account_journey(site: Site, page: Page) -> None:
    traffic = Traffic()
    traffic.watch(page)
    address = f"securite-{secrets.token_hex(4)}@exemple.fr"

    # Register and confirm in the browser.
    page.goto("/inscription")
    page.fill("#champ-email", address)
    page.fill("#champ-password", PASSWORD)
    page.locator("label", has_text="Acheteur privé (entreprise").click()
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page).to_have_url(site.url("/inscription/envoyee"))
    (confirm_link,) = [
        link
        for link in links(site.inbox.wait_for(address, "confirmez"))
        if "/compte/confirmation" in link
    ]
    confirm_token = confirm_link.split("token=", 1)[1]
    page.goto(confirm_link)
    expect(page).to_have_url(site.url("/connexion?confirme=1"))

    # Log in, make a key, replace it.
    log_in(page, address)
    cookie = next(c for c in page.context.cookies() if c["name"] == "mi_session")
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Lax"
    page.goto("/compte/cles")
    page.fill("#champ-name", "Intégration")
    page.locator("#groupe-scopes label", has_text="Rechercher des fournisseurs").click()
    page.get_by_role("button", name="Créer la clé").click()
    first_key = page.input_value("#champ-cle")
    page.goto("/compte/cles")
    page.locator("tbody tr", has_text="Active").get_by_role("button", name="Remplacer").click()
    second_key = page.input_value("#champ-cle")
    page.goto("/compte")
    tokens = _signed_in(site, page)

    # Log out, then choose a new password from the e-mail.
    page.get_by_role("button", name="Se déconnecter").first.click()
    page.goto("/mot-de-passe-oublie")
    page.fill("#champ-email", address)
    page.get_by_role("button", name="Recevoir un lien").click()
    (reset_link,) = [
        link
        for link in links(site.inbox.wait_for(address, "nouveau mot de passe"))
        if "/compte/nouveau-mot-de-passe" in link
    ]
    reset_token = reset_link.split("token=", 1)[1]
    page.goto(reset_link)
    page.fill("#champ-password", PASSWORD + "-2")
    page.fill("#champ-password_confirmation", PASSWORD + "-2")
    page.get_by_role("button", name="Enregistrer le mot de passe").click()
    expect(page).to_have_url(site.url("/connexion?nouveau=1"))
    log_in(page, address, PASSWORD + "-2")

    logs = site.logs_text()
    assert traffic.pages, "no page recorded"
    addresses = traffic.urls + traffic.locations
    for name, secret in (
        ("access token", tokens.access_token),
        ("refresh token", tokens.refresh_token),
    ):
        assert not traffic.html_with(secret), name
        assert not [u for u in addresses if secret in u], name
        assert secret not in logs, name
    for name, secret, link in (
        ("confirmation token", confirm_token, confirm_link),
        ("reset token", reset_token, reset_link),
    ):
        assert not traffic.html_with(secret), name
        # Only the e-mail's own link carries it; the website sends the browser away at once.
        assert [u for u in addresses if secret in u] == [link], name
        assert secret not in logs, name
    for name, secret in (("first key", first_key), ("rotated key", second_key)):
        # Shown once, in the answer to the form that made it; in no address, no log.
        assert len(traffic.html_with(secret)) == 1, name
        assert not [u for u in addresses if secret in u], name
        assert secret not in logs, name
