"""The staff back-office in a real browser, on the real stack: a claim decided on its proof
(the proof read back, a refusal without a reason refused beside its field, the acceptance seen
by the claimant), needs moderated (validated, refused with a reason), structures to phone,
import runs and their rejected rows, a structure delisted and relisted; every page refused to
anyone but staff; every page at 375 px and through axe-core."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from services.web import backoffice_view as view
from tests.mail_support import body
from tests.web.conftest import (
    PROOF,
    Site,
    check_accessibility,
    log_in,
    new_context,
    screenshot,
)

CLEANING = "nettoyage-de-locaux-16"
PAGES = (
    "/back-office",
    "/back-office/demandes",
    "/back-office/besoins",
    "/back-office/a-prevenir",
    "/back-office/imports",
    "/back-office/structures",
)

ITEM_PAGES = (
    "/back-office/demandes/1/accepter",
    "/back-office/demandes/1/justificatif",
    "/back-office/besoins/1",
    "/back-office/imports/1",
    "/back-office/structures/1/retirer",
)


@pytest.fixture(scope="module")
def staff_email(site: Site) -> str:
    """A staff account of this module's own (its address is needed to log in)."""
    return site.new_staff()


def assert_fits(page: Page) -> None:
    """Nothing wider than the screen: a table scrolls inside its own frame, not the page."""
    width = page.evaluate("document.documentElement.scrollWidth")
    limit = page.viewport_size["width"] if page.viewport_size else 0
    wider = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
                && !e.closest('.fr-table__container') && e.getClientRects().length)
            .map(e => e.tagName + '.' + e.className).slice(0, 5)"""
    )
    assert width <= limit, " | ".join(map(str, [width, *wider]))


def tab_to(page: Page, selector: str, limit: int = 80) -> None:
    """Moves the focus with the Tab key alone until `selector` holds it."""
    target = page.locator(selector)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    raise AssertionError(f"{selector} never reached with the keyboard")


def _claim_with_proof(site: Site, department: str) -> tuple[dict[str, Any], int, str]:
    """A supplier manager claims a structure nobody manages, one that staff must review, and
    sends a PDF proof. Returns the structure, the claim's id and the claimant's address."""
    email = site.new_account("supplier_manager")
    manager = site.bearer(email)
    hits = site.api(
        "GET", "/api/v1/search", params={"kind": "ACI", "department": department, "per_page": 50}
    ).json()["hits"]
    for structure in reversed(hits):
        if not structure.get("siret"):
            continue
        claim = site.api(
            "POST",
            "/api/v1/claims",
            json={
                "siret": structure["siret"],
                "structure_id": structure["id"],
                "message": "Je dirige l'atelier depuis 2019.",
            },
            headers=manager,
        )
        if claim.status_code != 201 or claim.json()["method"] != "staff_review":
            continue
        claim_id = int(claim.json()["id"])
        sent = site.api(
            "PUT",
            f"/api/v1/claims/{claim_id}/proof",
            content=PROOF,
            headers={**manager, "Content-Type": "application/pdf"},
        )
        assert sent.status_code == 200, sent.text
        return structure, claim_id, email
    raise AssertionError(f"no structure to claim in {department}")


def test_staff_decide_a_claim_on_its_proof(
    site: Site, page: Page, browser: Browser, staff_email: str
) -> None:
    structure, claim_id, claimant = _claim_with_proof(site, "23")
    log_in(page, staff_email)

    # The front page counts the claims waiting and links to them.
    page.goto("/back-office")
    expect(page.locator("#file-demandes")).to_be_visible()
    assert int(page.locator("#file-demandes .mi-staff-count").inner_text().split()[0]) >= 1
    expect(page.locator("nav.fr-sidemenu a[aria-current=page]")).to_have_text("Vue d'ensemble")
    check_accessibility(page, "back-office")
    screenshot(page, "back-office")
    page.locator("#file-demandes a").click()
    page.wait_for_url("**/back-office/demandes")

    # The claim: structure, who, when, how, the message, the proof.
    card = page.locator(f"#demande-{claim_id}")
    expect(card).to_contain_text(structure["name"])
    expect(card).to_contain_text(claimant)
    expect(card).to_contain_text("Je dirige l'atelier depuis 2019.")
    expect(card).to_contain_text("Justificatif examiné par l'équipe")
    expect(card).to_contain_text("PDF")
    check_accessibility(page, "back-office-demandes")
    screenshot(page, "back-office-demandes")

    # The proof comes back as it was sent, shown in the browser, kept by no shared cache.
    href = card.get_by_role("link", name="Voir le justificatif").get_attribute("href")
    assert href == f"/back-office/demandes/{claim_id}/justificatif"
    proof = page.request.get(href)
    assert proof.status == 200
    assert proof.headers["content-type"].startswith("application/pdf")
    assert proof.headers["content-disposition"].startswith("inline")
    assert "no-store" in proof.headers["cache-control"]
    assert "public" not in proof.headers["cache-control"]
    assert proof.body() == PROOF

    # A refusal needs a reason: said beside the field, with the keyboard alone.
    card.get_by_role("link", name=f"Refuser la demande pour {structure['name']}").click()
    page.wait_for_url(f"**/back-office/demandes/{claim_id}/refuser")
    check_accessibility(page, "back-office-refus")
    tab_to(page, "button:has-text('Confirmer le refus')")
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.locator("#champ-reason-messages")).to_contain_text("Indiquez le motif")
    expect(page.locator("#erreurs")).to_be_visible()
    check_accessibility(page, "back-office-refus-erreur")
    screenshot(page, "back-office-refus-erreur")
    page.get_by_role("link", name="Annuler, revenir aux demandes").click()
    expect(page.locator(f"#demande-{claim_id}")).to_be_visible()

    # Accepted without JavaScript: the claimant manages it and is told by e-mail.
    plain = browser.new_context(
        base_url=site.web.url, java_script_enabled=False, viewport={"width": 1280, "height": 900}
    )
    try:
        no_js = plain.new_page()
        log_in(no_js, staff_email)
        no_js.goto(f"/back-office/demandes/{claim_id}/accepter")
        no_js.fill("#champ-reason", "Justificatif conforme.")
        no_js.get_by_role("button", name="Confirmer l'acceptation").click()
        no_js.wait_for_url("**/back-office/demandes?decision=acceptee*")
        expect(no_js.locator(".fr-alert--success")).to_contain_text("Demande acceptée")
        expect(no_js.locator(f"#demande-{claim_id}")).to_have_count(0)
    finally:
        plain.close()
    check_accessibility(page, "back-office-demandes-apres")
    me = site.api("GET", "/api/v1/me", headers=site.bearer(claimant)).json()
    assert structure["id"] in {s["id"] for s in me["structures"]}
    told = site.inbox.wait_for(claimant, saying="a été acceptée")
    assert f"n° {claim_id}" in body(told) and "Motif : Justificatif conforme." in body(told)

    # Decided: its decision page now says so.
    gone = page.goto(f"/back-office/demandes/{claim_id}/refuser")
    assert gone is not None and gone.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Demande introuvable")


@pytest.fixture
def moderation(site: Site) -> Iterator[None]:
    """Sourcing restarted with moderation on (a setting of the service), then as it was."""
    sourcing = site.system.sourcing
    before = sourcing.env
    sourcing.stop()
    sourcing.env = {**before, "SOURCING_MODERATION": "true"}
    sourcing.start()
    try:
        yield
    finally:
        sourcing.stop()
        sourcing.env = before
        sourcing.start()


def _need(site: Site, buyer: dict[str, str], title: str) -> dict[str, Any]:
    created = site.api(
        "POST",
        "/api/v1/needs",
        json={
            "kind": "appel_offres",
            "title": title,
            "description": "Entretien quotidien de 2 000 m² de bureaux,\nmarché de 3 ans.",
            "sectors": [CLEANING],
            "place": {"level": "departement", "code": "93"},
            "presta_types": ["PREST"],
            "questions": ["Pouvez-vous intervenir le samedi ?"],
            "deadline": (date.today() + timedelta(days=60)).isoformat(),
            "publish": True,
        },
        headers=buyer,
    )
    assert created.status_code == 201, created.text
    need: dict[str, Any] = created.json()
    return need


def test_staff_moderate_needs(site: Site, page: Page, staff_email: str, moderation: None) -> None:
    buyer_email = site.new_account("public_buyer")
    buyer = site.bearer(buyer_email)
    kept = _need(site, buyer, f"Nettoyage de la médiathèque {secrets.token_hex(3)}")
    sent_back = _need(site, buyer, f"Nettoyage du gymnase {secrets.token_hex(3)}")
    assert kept["status"] == sent_back["status"] == "moderation"
    log_in(page, staff_email)

    page.goto("/back-office/besoins")
    table = page.locator("#besoins-a-moderer")
    expect(table).to_contain_text(kept["title"])
    expect(table).to_contain_text(sent_back["title"])
    expect(table).to_contain_text(buyer_email)
    check_accessibility(page, "back-office-besoins")
    screenshot(page, "back-office-besoins")

    # Read in full, then refused: a reason is required, then sent to the buyer.
    page.get_by_role("link", name=sent_back["title"]).click()
    details = page.locator("#besoin-complet")
    expect(details).to_contain_text("marché de 3 ans.")
    expect(details).to_contain_text("Pouvez-vous intervenir le samedi ?")
    expect(details).to_contain_text("Nettoyage de locaux")
    expect(details).to_contain_text("Seine-Saint-Denis")
    expect(details).to_contain_text(buyer_email)
    check_accessibility(page, "back-office-besoin")
    screenshot(page, "back-office-besoin")
    page.get_by_role("button", name="Refuser le besoin").click()
    expect(page.locator("#champ-reason-messages")).to_contain_text("Indiquez le motif")
    check_accessibility(page, "back-office-besoin-erreur")
    page.fill("#champ-reason", "Précisez la surface de chaque bâtiment.")
    page.get_by_role("button", name="Refuser le besoin").click()
    page.wait_for_url("**/back-office/besoins?decision=refuse*")
    expect(page.locator(".fr-alert--success")).to_contain_text("renvoyé à l'acheteur")
    expect(page.locator("#besoins-a-moderer")).not_to_contain_text(sent_back["title"])
    back = site.api("GET", f"/api/v1/needs/{sent_back['id']}", headers=buyer).json()
    assert back["status"] == "draft"
    assert back["moderation_reason"] == "Précisez la surface de chaque bâtiment."

    # Validated: published.
    page.get_by_role("link", name=kept["title"]).click()
    page.get_by_role("button", name="Valider et publier le besoin").click()
    page.wait_for_url("**/back-office/besoins?decision=publie*")
    expect(page.locator(".fr-alert--success")).to_contain_text("publié")
    published = site.api("GET", f"/api/v1/needs/{kept['id']}", headers=buyer).json()
    assert published["status"] == "published"


def test_structures_to_phone(site: Site, page: Page, staff_email: str) -> None:
    buyer = site.bearer(site.new_account("public_buyer"))
    need = _need(site, buyer, f"Nettoyage des écoles {secrets.token_hex(3)}")
    assert need["status"] == "published"
    expected = site.api(
        "GET", "/api/v1/staff/untold", params={"limit": 1000}, headers=site.staff()
    ).json()
    mine = [row for row in expected if row["need_id"] == need["id"]]
    assert mine, "the need matched no structure without a manager"
    log_in(page, staff_email)
    page.goto("/back-office/a-prevenir")
    # The oldest come first: this need's structures may be on a later page.
    for _ in range(30):
        if page.locator(f"#besoin-{need['id']}").count():
            break
        page.get_by_role("link", name="Page suivante").click()
    section = page.locator(f"#besoin-{need['id']}").locator("xpath=..")
    expect(section).to_contain_text(need["title"])
    first = mine[0]
    link = section.get_by_role("link", name=first["structure_name"], exact=True).first
    expect(link).to_have_attribute("href", f"/structures/{first['structure_id']}")
    expect(section).to_contain_text("Adresse :")
    check_accessibility(page, "back-office-a-prevenir")
    screenshot(page, "back-office-a-prevenir")


def test_import_runs_and_their_rejected_rows(site: Site, page: Page, staff_email: str) -> None:
    log_in(page, staff_email)
    page.goto("/back-office/imports")
    rows = page.locator("#imports tbody tr")
    expect(rows.first).to_be_visible()
    check_accessibility(page, "back-office-imports")
    screenshot(page, "back-office-imports")
    runs = site.api("GET", "/api/v1/staff/imports", headers=site.staff()).json()
    rejected = next(r for r in runs if r["rejected"])
    page.goto(f"/back-office/imports/{rejected['id']}")
    lines = page.locator("#lignes-rejetees tbody tr")
    expect(lines).to_have_count(min(rejected["rejected"], 50))
    detail = site.api("GET", f"/api/v1/staff/imports/{rejected['id']}", headers=site.staff()).json()
    first = detail["rejections"][0]
    expect(lines.first).to_contain_text(str(first["line"]))
    expect(lines.first).to_contain_text(first["reason"])
    check_accessibility(page, "back-office-import")


def test_a_structure_delisted_then_relisted(site: Site, page: Page, staff_email: str) -> None:
    hits = site.api(
        "GET", "/api/v1/search", params={"kind": "ESAT", "department": "35", "per_page": 50}
    ).json()["hits"]
    structure = next(h for h in reversed(hits) if h.get("siret"))
    siret = structure["siret"]
    log_in(page, staff_email)

    # Found by SIRET; an empty search says what to type, beside the field.
    page.goto("/back-office/structures?q=")
    expect(page.locator("#champ-q-messages")).to_contain_text("au moins 2 caractères")
    check_accessibility(page, "back-office-structures-erreur")
    page.goto("/back-office/structures?q=esat&department=999x")
    expect(page.locator("#champ-department-messages")).to_contain_text("numéro de département")
    expect(page.locator("#champ-q")).to_have_value("esat")
    # By its name in its département, then by its SIRET.
    page.fill("#champ-q", structure["name"])
    page.fill("#champ-department", "35")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.locator(f"#structure-{structure['id']}")).to_be_visible()
    page.fill("#champ-q", siret)
    page.fill("#champ-department", "")
    page.get_by_role("button", name="Rechercher").click()
    card = page.locator(f"#structure-{structure['id']}")
    expect(card).to_contain_text("En ligne")
    expect(
        card.get_by_role("link", name=f"Modifier la fiche de {structure['name']}")
    ).to_have_attribute("href", f"/espace-structure/{structure['id']}/fiche")
    check_accessibility(page, "back-office-structures")
    screenshot(page, "back-office-structures")

    # Delisted after a confirmation: gone from the search.
    card.get_by_role("link", name=f"Retirer du catalogue {structure['name']}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Retirer du catalogue")
    check_accessibility(page, "back-office-retirer")
    page.get_by_role("button", name="Oui, retirer du catalogue").click()
    page.wait_for_url("**fait=retiree*")
    expect(page.locator(".fr-alert--success")).to_contain_text("retirée du catalogue")
    expect(page.locator(f"#structure-{structure['id']}")).to_contain_text("Retirée du catalogue")
    search = page.context.new_page()
    for _ in range(40):
        search.goto(f"/recherche?q={siret}")
        if not search.locator(f"a[href='/structures/{structure['id']}']").count():
            break
        search.wait_for_timeout(500)
    expect(search.locator(f"a[href='/structures/{structure['id']}']")).to_have_count(0)

    # Relisted: back in the search.
    page.locator(f"#structure-{structure['id']}").get_by_role(
        "link", name=f"Remettre en ligne {structure['name']}"
    ).click()
    page.get_by_role("button", name="Oui, remettre en ligne").click()
    page.wait_for_url("**fait=remise*")
    expect(page.locator(f"#structure-{structure['id']}")).to_contain_text("En ligne")
    for _ in range(40):
        search.goto(f"/recherche?q={siret}")
        if search.locator(f"a[href='/structures/{structure['id']}']").count():
            break
        search.wait_for_timeout(500)
    expect(search.locator(f"a[href='/structures/{structure['id']}']").first).to_be_visible()
    history = site.api(
        "GET", f"/api/v1/structures/{structure['id']}/audit", headers=site.staff()
    ).json()
    assert any("is_active" in entry["changes"] for entry in history["items"])


def test_anyone_but_staff_is_refused(site: Site, page: Page) -> None:
    for role in ("supplier_manager", "public_buyer"):
        email = site.new_account(role)
        page.context.clear_cookies()
        log_in(page, email)
        for path in (*PAGES, *ITEM_PAGES):
            response = page.goto(path)
            assert response is not None and response.status == 403, (role, path)
            expect(page.get_by_role("heading", level=1)).to_have_text("Accès refusé")
            expect(page.locator("nav.fr-sidemenu")).to_have_count(0)
        # Their own form token does not open the back-office's forms either.
        token = page.locator("input[name=csrf_token]").first.get_attribute("value")
        assert token
        for path in (
            "/back-office/structures/1/retirer",
            "/back-office/demandes/1/accepter",
            "/back-office/besoins/1/valider",
            "/back-office/besoins/1/refuser",
        ):
            posted = page.request.post(
                path, form={"csrf_token": token, "reason": "x"}, max_redirects=0
            )
            assert posted.status == 403, (role, path)
            assert "Accès refusé" in posted.text()
        assert "Back-office" not in page.locator("#navigation-principale").inner_text()
        check_accessibility(page, f"back-office-refuse-{role}")
        # The API refuses them too.
        bearer = site.bearer(email)
        for path in ("/api/v1/staff/claims", "/api/v1/staff/untold"):
            assert site.api("GET", path, headers=bearer).status_code == 403
    assert site.api("GET", "/api/v1/structures/1").json()["is_active"] is True
    # Anonymous: asked to log in, and brought back.
    page.context.clear_cookies()
    page.goto("/back-office/demandes")
    assert "/connexion?suite=%2Fback-office%2Fdemandes" in page.url


def test_every_page_on_a_phone(site: Site, browser: Browser, staff_email: str) -> None:
    _, claim_id, _ = _claim_with_proof(site, "87")
    context = new_context(browser, site, width=375)
    try:
        phone = context.new_page()
        log_in(phone, staff_email)
        for path in (
            *PAGES,
            "/back-office/structures?q=ESAT",
            f"/back-office/demandes/{claim_id}/refuser",
        ):
            response = phone.goto(path)
            assert response is not None and response.status == 200, path
            name = "back-office" + path.removeprefix("/back-office").split("?")[0]
            name = name.replace("/", "-").replace(f"-{claim_id}", "")
            check_accessibility(phone, f"{name}-mobile")
            assert_fits(phone)
            screenshot(phone, name)
        # The side menu opens from its button, with the keyboard.
        phone.goto("/back-office")
        tab_to(phone, "button.fr-sidemenu__btn")
        phone.keyboard.press("Enter")
        expect(phone.locator("#menu-back-office a[href='/back-office/imports']")).to_be_visible()
    finally:
        context.close()


def test_what_the_pages_compute() -> None:
    assert view.page_window(1, 1) == [1]
    assert view.page_window(6, 12) == [1, None, 4, 5, 6, 7, 8, None, 12]
    assert view.pages(0, 50) == 1 and view.pages(101, 50) == 3
    assert view.reason_errors("", required=True)["reason"].startswith("Indiquez le motif")
    assert view.reason_errors("", required=False) == {}
    assert "1000" in view.reason_errors("x" * 1001, required=False)["reason"]
    assert view.proof_label({"media_type": "application/pdf", "size": 120}) == "PDF, 120 octets"
    assert view.proof_label({"media_type": "image/png", "size": 3 * 1048576}) == "image PNG, 3,0 Mo"
    assert view.french_time("2026-07-01T10:05:00Z") == "12 h 05"
    assert view.french_time("2026-12-01T10:05:00+00:00") == "11 h 05"
    assert view.french_time("pas une date") == ""
    assert view.public_contact(
        {
            "website": "https://exemple.fr",
            "address": "1 rue A",
            "postcode": "23000",
            "city": "Guéret",
        }
    ) == {"website": "https://exemple.fr", "address": "1 rue A 23000 Guéret"}
    assert view.total_of({"total": 7, "items": []}) == 7 and view.total_of([1, 2]) == 2
    grouped = view.untold_by_need(
        [
            {"need_id": 2, "need_title": "B", "structure_id": 1},
            {"need_id": 1, "need_title": "A", "structure_id": 2},
            {"need_id": 2, "need_title": "B", "structure_id": 3},
        ]
    )
    assert [(n["title"], [r["structure_id"] for r in rows]) for n, rows in grouped] == [
        ("B", [1, 3]),
        ("A", [2]),
    ]
    runs = [
        {"source": "esat", "rejected": 0, "started_at": "2026-11-30T10:00:00Z"},
        {"source": "siae", "rejected": 13, "started_at": "2026-11-30T09:00:00Z"},
        {"source": "siae", "rejected": 20, "started_at": "2026-11-01T09:00:00Z"},
    ]
    assert [r["rejected"] for r in view.latest_runs(runs)] == [0, 13]
    assert view.latest_imports_hint(view.latest_runs(runs)).endswith(
        "esat : 0 (30 novembre 2026) ; siae : 13 (30 novembre 2026)."
    )
    assert view.buyer_of({"buyer": {"organisation": "Mairie"}, "buyer_email": "a@b.fr"}) == {
        "organisation": "Mairie",
        "email": "a@b.fr",
    }
