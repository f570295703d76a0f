"""The website in a real browser: the whole system as processes (catalog, sourcing, gateway,
web; mail through a real SMTP server), Debian's Chromium driven by Playwright, axe-core on
every page, screenshots under var/ for reviewers."""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.conftest import IndexedCatalog
from tests.e2e.test_services import System, running_system
from tests.mail_support import Inbox, body
from tests.support import ROOT, ServiceProcess, free_port

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "un-mot-de-passe-assez-long"
# Access tokens live 15 minutes; the staff bearer is renewed well before.
STAFF_TOKEN_REUSE_S = 300
# The smallest document a PDF reader opens: what a claimant scans and sends.
PROOF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)
ARTEFACTS = ROOT / "var" / "web-tests"
# Tiles from a port nothing listens on: the pages must work when the map cannot load.
DEAD_TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


@dataclass
class Site:
    system: System
    web: ServiceProcess
    inbox: Inbox
    logs: Path
    _staff: dict[str, str] | None = None
    _staff_bearer: dict[str, str] = field(default_factory=dict)
    _staff_at: float = -math.inf

    def url(self, path: str = "/") -> str:
        return self.web.url + path

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The public API, as the website (or any client) calls it."""
        return httpx.request(method, self.system.gateway.url + path, timeout=30, **kwargs)

    def new_account(self, role: str = "public_buyer", verified: bool = True) -> str:
        """A registered account (its address confirmed through the e-mailed token)."""
        email = f"{role.replace('_', '-')}-{secrets.token_hex(4)}@exemple.fr"
        response = self.api(
            "POST",
            "/api/v1/auth/register",
            json={"email": email, "password": PASSWORD, "role": role},
        )
        assert response.status_code == 201, response.text
        if verified:
            message = self.inbox.wait_for(email)
            token = re.search(r"token=([A-Za-z0-9_\-.%]+)", body(message))
            assert token is not None, body(message)
            confirmed = self.api("POST", "/api/v1/auth/verify", json={"token": token.group(1)})
            assert confirmed.status_code == 200, confirmed.text
        return email

    def bearer(self, email: str) -> dict[str, str]:
        tokens = self.api("POST", "/api/v1/auth/login", json={"email": email, "password": PASSWORD})
        assert tokens.status_code == 200, tokens.text
        return {"Authorization": f"Bearer {tokens.json()['access_token']}"}

    def new_staff(self) -> str:
        """A staff account's address, made as an operator makes one: the gateway's command,
        against the gateway's database."""
        address = f"equipe-{secrets.token_hex(4)}@marche-inclusif.example"
        made = subprocess.run(
            [
                *(sys.executable, "-m", "services.gateway.cli", "staff", "create"),
                *("--email", address, "--password-stdin"),
            ],
            input=PASSWORD + "\n",
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, **self.system.gateway.env},
            timeout=60,
            check=False,
        )
        assert made.returncode == 0, made.stderr
        return address

    def staff(self) -> dict[str, str]:
        """The bearer of one staff account (made once per run, logged in again before its
        access token expires: a module's tests can outlast it on a loaded machine)."""
        if self._staff is None:
            self._staff = {"email": self.new_staff()}
        if time.monotonic() - self._staff_at > STAFF_TOKEN_REUSE_S:
            self._staff_bearer = self.bearer(self._staff["email"])
            self._staff_at = time.monotonic()
        return self._staff_bearer

    def claim(self, structure: dict[str, Any], manager: dict[str, str]) -> None:
        """The manager claims the structure (with a proof when staff must review it) and staff
        accept: the manager then manages it."""
        claim = self.api(
            "POST",
            "/api/v1/claims",
            json={"siret": structure["siret"], "structure_id": structure["id"]},
            headers=manager,
        )
        assert claim.status_code == 201, claim.text
        claim_id = claim.json()["id"]
        if claim.json()["method"] == "staff_review":
            sent = self.api(
                "PUT",
                f"/api/v1/claims/{claim_id}/proof",
                content=PROOF,
                headers={**manager, "Content-Type": "application/pdf"},
            )
            assert sent.status_code == 200, sent.text
        accepted = self.api(
            "POST",
            f"/api/v1/claims/{claim_id}/accept",
            json={"reason": "Conforme"},
            headers=self.staff(),
        )
        assert accepted.status_code == 200, accepted.text

    def logs_text(self) -> str:
        return "\n".join(p.read_text(errors="replace") for p in self.logs.glob("*.log"))


@pytest.fixture(scope="session")
def site(
    indexed_catalog: IndexedCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Site]:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    logs = tmp_path_factory.mktemp("web")
    web_port, gateway_port = free_port(), free_port()
    web_url = f"http://127.0.0.1:{web_port}"
    mail = {
        f"{prefix}_{name}": value
        for prefix in ("CATALOG", "SOURCING", "GATEWAY")
        for name, value in (
            ("MAIL_BACKEND", "smtp"),
            ("SMTP_HOST", "127.0.0.1"),
            ("SMTP_PORT", str(smtp.port)),
            ("PUBLIC_URL", f"http://127.0.0.1:{gateway_port}"),
            ("WEB_URL", web_url),
        )
    }
    try:
        with running_system(
            indexed_catalog,
            logs,
            "_web",
            every_service_env={
                **mail,
                "CATALOG_PROOF_DIR": str(logs / "proofs"),
                "CATALOG_MEDIA_DIR": str(logs / "media"),
            },
            gateway_env={"GATEWAY_TRUSTED_PROXIES": '["127.0.0.1"]'},
            gateway_port=gateway_port,
        ) as system:
            web = ServiceProcess(
                "web",
                {
                    "MI_ENVIRONMENT": "test",
                    "WEB_GATEWAY_URL": system.gateway.url,
                    "WEB_API_PUBLIC_URL": system.gateway.url,
                    "WEB_PUBLIC_URL": web_url,
                    "WEB_SESSION_SECRET": "web-session-secret-0123456789",
                    "WEB_SESSION_DATABASE_URL": f"sqlite:///{logs / 'web.db'}",
                    "WEB_TILE_URL": DEAD_TILES,
                },
                logs,
                port=web_port,
            ).start()
            try:
                yield Site(system, web, inbox, logs)
            finally:
                web.stop()
    finally:
        smtp.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One browser per module: the driver runs an event loop in this thread while it is open,
    which the other test directories' `asyncio.run` must not meet."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is required at {CHROMIUM} (make test installs Debian's package)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


def new_context(browser: Browser, site: Site, width: int = 1280) -> BrowserContext:
    context = browser.new_context(
        base_url=site.web.url,
        viewport={"width": width, "height": 900},
        locale="fr-FR",
        accept_downloads=True,
    )
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def page(browser: Browser, site: Site) -> Iterator[Page]:
    context = new_context(browser, site)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def phone(browser: Browser, site: Site) -> Iterator[Page]:
    """The same site on a 375 px wide screen."""
    context = new_context(browser, site, width=375)
    opened = context.new_page()
    yield opened
    context.close()


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Logs in through the login page, as a person does."""
    page.goto("/connexion")
    page.fill("#champ-email", email)
    page.fill("#champ-password", password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()
    # Logged in: the page holds the log-out button (folded into the menu on a phone).
    assert "/connexion" not in page.url, page.url
    assert page.locator("form[action='/deconnexion']").count() >= 1


_axe = Axe()


def check_accessibility(page: Page, name: str) -> dict[str, int]:
    """axe-core on the page as it is: no serious or critical violation. The counts by impact
    are written under var/web-tests/axe/ for the record."""
    results = _axe.run(page)
    violations = results.response["violations"]
    counts: dict[str, int] = {}
    for violation in violations:
        impact = violation.get("impact") or "unknown"
        counts[impact] = counts.get(impact, 0) + len(violation.get("nodes", []))
    folder = ARTEFACTS / "axe"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(
        json.dumps(
            {
                "url": page.url,
                "counts": counts,
                "violations": [
                    {
                        "id": v["id"],
                        "impact": v.get("impact"),
                        "help": v.get("help"),
                        "targets": [n.get("target") for n in v.get("nodes", [])][:5],
                    }
                    for v in violations
                ],
            },
            ensure_ascii=False,
            indent=1,
        )
    )
    serious = [v for v in violations if v.get("impact") in ("serious", "critical")]
    assert not serious, json.dumps(
        [
            {
                "id": v["id"],
                "help": v.get("help"),
                "nodes": [n.get("target") for n in v["nodes"]][:5],
            }
            for v in serious
        ],
        ensure_ascii=False,
    )
    return counts


def screenshot(page: Page, name: str) -> Path:
    """A full-page screenshot under var/web-tests/screenshots/, named with the viewport width."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    folder = ARTEFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{width}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def assert_fits(page: Page) -> None:
    """Nothing wider than the screen (at 375 px, no sideways scrolling)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    limit = page.viewport_size["width"] if page.viewport_size else 0
    assert width <= limit, width


def tick(page: Page, label: str) -> None:
    """A DSFR checkbox or radio (its label lies over it) checked from the keyboard: focus, Space."""
    box = page.get_by_label(label)
    box.focus()
    page.keyboard.press("Space")
    expect(box).to_be_checked()
