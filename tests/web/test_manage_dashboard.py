"""A supplier manager's home and a structure's dashboard in a real browser, on the real stack:
a manager with nothing sees how to start; once their claim is accepted, the card of their
structure with its completion score; the dashboard lists what the listing lacks, each item a
link that opens the field to fill; another manager is refused and sees nothing of it; at
1280 and 375 px, axe on each state. Also the completion rules themselves."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from services.web.completion import completion
from services.web.dashboard_view import need_status, needs_by_status, views_summary
from tests.web.conftest import (
    Site,
    assert_fits,
    check_accessibility,
    log_in,
    new_context,
    screenshot,
)


def managed_structure(site: Site, department: str = "59") -> tuple[dict[str, Any], str]:
    """A supplier manager claims a structure of the département (staff accept): the structure,
    and the manager's address."""
    email = site.new_account("supplier_manager")
    hits = site.api(
        "GET",
        "/api/v1/search",
        params={"kind": "ACI", "department": department, "per_page": 50},
    ).json()["hits"]
    structure = next(h for h in reversed(hits) if h.get("siret") and not h.get("website"))
    site.claim(structure, site.bearer(email))
    return structure, email


def log_in_on_phone(phone: Page, email: str) -> None:
    """Logs in at desktop width (the log-out button, which the login check looks for, is in the
    folded menu at 375 px), then back to the phone's width."""
    phone.set_viewport_size({"width": 1280, "height": 900})
    log_in(phone, email)
    phone.set_viewport_size({"width": 375, "height": 900})


def test_completion_rules() -> None:
    base = "/espace-structure/7"
    empty = completion({"activities": []}, [], base)
    assert empty.score == 0 and empty.level == "warning"
    assert {i.key for i in empty.missing} >= {"description", "logo", "photos", "offer", "zone"}
    links = {i.key: i.href for i in empty.items}
    assert links["description"] == f"{base}/fiche#champ-description"
    assert links["logo"] == f"{base}/fiche#logo" and links["offer"] == f"{base}/offres"
    assert links["activity"] == f"{base}/activites"

    inferred = {
        "sector": "x",
        "range": "zones",
        "zones": [{"type": "departement"}],
        "inferred": True,
    }
    some = completion({"activities": [inferred], "description": "court"}, None, base)
    keys = {i.key for i in some.missing}
    # An inferred activity is not a confirmed one: it is an item to confirm.
    assert {"activity", "zone", "inferred", "description"} <= keys
    assert "offer" not in {i.key for i in some.items}  # offers unknown: not counted
    assert next(i for i in some.items if i.key == "inferred").label.startswith("1 activité")

    full = completion(
        {
            "description": "x" * 120,
            "logo": {"id": "a"},
            "photos": [{"id": "b"}],
            "website": "https://exemple.fr",
            "address": "1 rue de la Paix",
            "postcode": "59000",
            "headcount_insertion": 12,
            "turnover_eur": 300000,
            "client_references": [{"name": "Ville de Lille"}],
            "activities": [{"sector": "x", "range": "radius", "radius_km": 30, "inferred": False}],
        },
        [{"id": 1}],
        base,
    )
    assert full.score == 100 and not full.missing and full.level == "success"
    half = completion({"description": "x" * 120, "website": "https://a.fr"}, [], base)
    assert 0 < half.score < 50


def test_need_statuses_and_views() -> None:
    needs = [
        {"need_id": 1, "opened": False, "answer": None},
        {"need_id": 2, "opened": True, "answer": None},
        {"need_id": 3, "opened": True, "answer": "interested"},
        {"need_id": 4, "opened": False, "answer": None},
    ]
    assert [need_status(n) for n in needs] == ["new", "opened", "answered", "new"]
    grouped = needs_by_status(needs)
    assert (grouped.count("new"), grouped.count("opened"), grouped.count("answered")) == (2, 1, 1)
    assert views_summary(None) is None and views_summary({"detail": "x"}) is None
    shown = views_summary(
        {
            "method": "Une visite par jour et par visiteur.",
            "total": 40,
            "months": [{"month": "2026-09", "views": 3}, {"month": "2026-10", "views": 5}],
        }
    )
    assert shown is not None and shown["total"] == 8
    assert shown["months"][0]["label"] == "septembre 2026"


def test_a_manager_starts_then_sees_their_structure(
    site: Site, page: Page, phone: Page, browser: Browser
) -> None:
    # A supplier manager with nothing yet: how to start, and the call to claim.
    newcomer = site.new_account("supplier_manager")
    other_context = new_context(browser, site)
    other = other_context.new_page()
    log_in(other, newcomer)
    other.goto("/espace-structure")
    expect(other.locator("#pour-commencer")).to_contain_text(
        "Vous ne gérez encore aucune structure"
    )
    claim_link = other.get_by_role("link", name="Revendiquer une structure")
    expect(claim_link).to_have_attribute("href", "/espace-structure/revendiquer")
    expect(other.get_by_text("Aucune demande en cours.")).to_be_visible()
    expect(other.get_by_role("link", name="Aller au back-office")).to_have_count(0)
    check_accessibility(other, "espace-structure-vide")
    screenshot(other, "espace-structure-vide")

    structure, manager = managed_structure(site)
    log_in(page, manager)
    page.goto("/espace-structure")
    card = page.locator(f"#structure-{structure['id']}")
    expect(card).to_contain_text("Administrateur")
    expect(card.locator(".mi-score")).to_contain_text("Fiche complète à")
    expect(card.locator(".mi-new-needs")).to_be_visible()
    check_accessibility(page, "espace-structure")
    screenshot(page, "espace-structure")
    card.get_by_role("link").click()
    page.wait_for_url(f"**/espace-structure/{structure['id']}")

    # The dashboard: the score, what is missing, each a link to the field that fills it.
    expect(page.locator("h1")).to_contain_text(structure["name"][:20])
    missing = page.locator("#a-completer")
    expect(missing.get_by_role("link", name="Une présentation de la structure")).to_have_attribute(
        "href", f"/espace-structure/{structure['id']}/fiche#champ-description"
    )
    expect(missing.get_by_role("link", name="Un logo")).to_have_attribute(
        "href", f"/espace-structure/{structure['id']}/fiche#logo"
    )
    expect(missing.get_by_role("link", name="Au moins une offre")).to_have_attribute(
        "href", f"/espace-structure/{structure['id']}/offres"
    )
    expect(page.locator("#besoins-new-nombre")).to_be_visible()
    expect(page.get_by_role("link", name="Voir ma fiche publique")).to_have_attribute(
        "href", f"/structures/{structure['id']}"
    )
    check_accessibility(page, "tableau-de-bord")
    screenshot(page, "tableau-de-bord")
    missing.get_by_role("link", name="Une présentation de la structure").click()
    page.wait_for_url("**/fiche#champ-description")
    expect(page.locator("#champ-description")).to_be_visible()

    # At 375 px, with the keyboard: the page fits, the item links are reachable.
    log_in_on_phone(phone, manager)
    phone.goto(f"/espace-structure/{structure['id']}")
    assert_fits(phone)
    check_accessibility(phone, "tableau-de-bord-375")
    screenshot(phone, "tableau-de-bord")
    phone.goto("/espace-structure")
    assert_fits(phone)
    screenshot(phone, "espace-structure")

    # Another manager: refused, nothing of the structure shown.
    for path in ("", "/fiche", "/indexation"):
        answer = other.goto(f"/espace-structure/{structure['id']}{path}")
        assert answer is not None and answer.status == 403
        expect(other.locator("h1")).to_have_text("Accès refusé")
        assert structure["name"] not in other.content()
    check_accessibility(other, "tableau-de-bord-refuse")
    other_context.close()


def test_staff_see_the_back_office_link(site: Site, page: Page) -> None:
    staff = site.staff()
    email = site.api("GET", "/api/v1/me", headers=staff).json()["account"]["email"]
    log_in(page, email)
    page.goto("/espace-structure")
    expect(page.get_by_role("link", name="Aller au back-office")).to_have_attribute(
        "href", "/back-office"
    )
    check_accessibility(page, "espace-structure-equipe")
