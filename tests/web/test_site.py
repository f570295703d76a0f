"""The website's frame: every page's headers, static files cached for good, error pages, CSRF."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page

from tests.web.conftest import Site, check_accessibility


def test_home_answers_with_a_strict_policy(site: Site) -> None:
    response = httpx.get(site.url("/"), timeout=10)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # served over plain HTTP on loopback


def test_static_files_have_immutable_urls(site: Site) -> None:
    html = httpx.get(site.url("/"), timeout=10).text
    stylesheet = re.search(r'href="(/static/[0-9a-f]{12}/dsfr/dsfr\.min\.css)"', html)
    assert stylesheet is not None
    response = httpx.get(site.url(stylesheet.group(1)), timeout=10)
    assert response.status_code == 200
    assert "immutable" in response.headers["cache-control"]
    assert httpx.get(site.url("/static/000000000000/dsfr/dsfr.min.css")).status_code == 404


def test_unknown_page_is_a_french_404(site: Site, page: Page) -> None:
    response = page.goto("/nulle-part")
    assert response is not None and response.status == 404
    assert page.get_by_role("heading", level=1).inner_text() == "Page non trouvée"
    check_accessibility(page, "404")


def test_form_without_its_csrf_token_is_refused(site: Site) -> None:
    with httpx.Client(base_url=site.web.url) as client:
        client.get("/")
        refused = client.post("/deconnexion", data={})
        assert refused.status_code == 403
        assert "Formulaire expiré" in refused.text
        forged = client.post("/deconnexion", data={"csrf_token": "0" * 64})
        assert forged.status_code == 403
