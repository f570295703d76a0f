"""A supplier manager's received needs in a real browser on the real stack: a buyer publishes a
need that matches the manager's structure; the manager sees it as new, opens it (the buyer sees
it opened), answers « Intéressé » with the buyer's questions answered (a wrong address refused
beside its field first, nothing typed lost), and the buyer reads the answer; another need is
declined with a reason; a groupement is answered without scripts and with the keyboard alone;
anyone else gets a 403 showing nothing; every state at 1280 and 375 px, checked by axe."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.mail_support import links
from tests.web.conftest import Site, check_accessibility, log_in, new_context, screenshot

SECTOR = "nettoyage-de-locaux-16"
QUESTIONS = ["Pouvez-vous intervenir le samedi ?", "Combien de personnes affectez-vous ?"]


@pytest.fixture(scope="module")
def managers(site: Site) -> Iterator[dict[str, Any]]:
    """Two managers of two cleaning structures of one département (claimed, accepted by staff),
    away from the départements the other pages' tests claim in, and a buyer."""
    hits = site.api(
        "GET",
        "/api/v1/search",
        params={"sector": SECTOR, "presta_type": "PREST", "per_page": 100},
    ).json()["hits"]
    by_department: dict[str, list[dict[str, Any]]] = {}
    for hit in hits:
        if hit.get("siret") and not hit.get("website") and hit.get("department_code"):
            by_department.setdefault(hit["department_code"], []).append(hit)
    department, candidates = max(
        ((d, found) for d, found in by_department.items() if d not in ("93", "75", "69")),
        key=lambda pair: len(pair[1]),
    )
    made: dict[str, Any] = {"buyer": site.new_account("public_buyer"), "department": department}
    for key in ("ours", "theirs"):
        email = site.new_account("supplier_manager")
        while "id" not in made.get(key, {}):
            structure = candidates.pop()
            try:
                site.claim(structure, site.bearer(email))
            except AssertionError:
                continue  # claimed meanwhile by another page's test: the next one
            made[key] = {
                "email": email,
                "id": int(structure["id"]),
                "sectors": structure["sectors"],
            }
    yield made


def publish_need(
    site: Site, managers: dict[str, Any], title: str, days: int, questions: list[str]
) -> int:
    """A buyer publishes, through the API, a need that matches the structures above."""
    deadline = datetime.now(ZoneInfo("Europe/Paris")).date() + timedelta(days=days)
    created = site.api(
        "POST",
        "/api/v1/needs",
        json={
            "kind": "demande_devis",
            "title": title,
            "description": "Entretien de 1 200 m² de bureaux, trois passages par semaine.",
            "sectors": [SECTOR],
            "place": {"level": "departement", "code": managers["department"]},
            "amount_min_eur": 20000,
            "amount_max_eur": 40000,
            "deadline": deadline.isoformat(),
            "questions": questions,
            "publish": True,
        },
        headers=site.bearer(managers["buyer"]),
    )
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def match_of(site: Site, buyer: str, need_id: int, structure_id: int) -> dict[str, Any]:
    matches = site.api("GET", f"/api/v1/needs/{need_id}/matches", headers=site.bearer(buyer)).json()
    found: dict[str, Any] = next(m for m in matches if m["structure_id"] == structure_id)
    return found


def answers_of(site: Site, buyer: str, need_id: int) -> list[dict[str, Any]]:
    response = site.api("GET", f"/api/v1/needs/{need_id}/answers", headers=site.bearer(buyer))
    assert response.status_code == 200, response.text
    answers: list[dict[str, Any]] = response.json()
    return answers


def error_of(page: Page, field: str) -> str:
    return page.locator(f"#champ-{field}-messages").inner_text()


def card(page: Page, title: str) -> Any:
    return page.locator("#besoins-recus > li").filter(has_text=title)


def test_a_manager_reads_answers_and_declines_received_needs(
    site: Site, browser: Browser, page: Page, phone: Page, managers: dict[str, Any]
) -> None:
    buyer, ours = managers["buyer"], managers["ours"]
    structure_id = ours["id"]
    word = secrets.token_hex(3)
    title = f"Nettoyage des locaux de la mairie {word}"
    need_id = publish_need(site, managers, title, 3, QUESTIONS)
    declined_title = f"Nettoyage des vitres du gymnase {word}"
    declined_id = publish_need(site, managers, declined_title, 20, [])
    assert not match_of(site, buyer, need_id, structure_id)["opened"]

    # The list: the need is new, with its kind, deadline, amount and why it was received.
    log_in(page, ours["email"])
    page.goto(f"/espace-structure/{structure_id}/besoins")
    expect(page.locator(".fr-sidemenu__link[aria-current='page']")).to_have_text(
        "Besoins d'acheteurs"
    )
    new = card(page, title)
    expect(new).to_contain_text("Nouveau")
    expect(new).to_contain_text("Demande de devis")
    expect(new).to_contain_text("plus que 3 jours")
    expect(new).to_contain_text("Pourquoi vous")
    # Where and how much, in words.
    expect(new).to_contain_text("Montant")
    # The newest first.
    titles = page.locator("#besoins-recus .fr-card__title").all_inner_texts()
    assert titles.index(declined_title) < titles.index(title)
    check_accessibility(page, "besoins-recus")
    screenshot(page, "besoins-recus")

    # Filters by status, without scripts' help (plain links).
    page.get_by_role("link", name="Répondus (0)").click()
    expect(page.locator("#aucun-besoin")).to_contain_text("répondu")
    page.get_by_role("link", name="Nouveaux (2)").click()
    expect(card(page, title)).to_be_visible()

    # Opened: the buyer sees it opened; the need in full, the buyer's questions included.
    card(page, title).get_by_role("link", name=title).click()
    page.wait_for_url(f"**/espace-structure/{structure_id}/besoins/{need_id}")
    expect(page.locator("#statut-besoin")).to_have_text("Ouvert")
    for question in QUESTIONS:
        expect(page.locator("#besoin-detail")).to_contain_text(question)
    expect(page.locator("#besoin-detail")).to_contain_text("trois passages par semaine")
    assert match_of(site, buyer, need_id, structure_id)["opened"]
    check_accessibility(page, "besoin-recu")
    screenshot(page, "besoin-recu")

    # A wrong address is refused beside its field; nothing typed is lost.
    page.locator("label[for='reponse-interested']").click()
    expect(page.locator("#si-pas-interesse")).to_be_hidden()
    page.fill("#champ-question_0", "Oui, dès 6 h le samedi.")
    page.fill("#champ-question_1", "Deux agents formés.")
    page.fill("#champ-contact_email", "pas-une-adresse")
    page.fill("#champ-contact_phone", "01 23 45 67 89")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    assert "adresse e-mail invalide" in error_of(page, "contact_email")
    expect(page.locator("#erreurs")).to_be_focused()
    expect(page.locator("#champ-question_0")).to_have_value("Oui, dès 6 h le samedi.")
    expect(page.locator("#champ-contact_email")).to_have_value("pas-une-adresse")
    expect(page.locator("#reponse-interested")).to_be_checked()
    assert answers_of(site, buyer, need_id) == []
    check_accessibility(page, "besoin-recu-erreur")
    screenshot(page, "besoin-recu-erreur")

    # Answered: the page shows what the buyer receives.
    address = f"contact-{word}@structure.fr"
    page.fill("#champ-contact_email", address)
    page.get_by_role("button", name="Envoyer ma réponse").click()
    sent = page.locator("#reponse-envoyee")
    expect(sent).to_contain_text("Réponse envoyée")
    expect(sent).to_contain_text("Oui, dès 6 h le samedi.")
    expect(sent).to_contain_text("Téléphone : 01 23 45 67 89")
    expect(page.locator("#statut-besoin")).to_have_text("Répondu")
    check_accessibility(page, "besoin-recu-repondu")
    screenshot(page, "besoin-recu-repondu")

    # The buyer reads it through the API and on the need's page.
    (answer,) = answers_of(site, buyer, need_id)
    assert answer["status"] == "interested" and answer["structure_id"] == structure_id
    assert answer["answers"] == {"0": "Oui, dès 6 h le samedi.", "1": "Deux agents formés."}
    assert answer["contact_email"] == address
    assert "01 23 45 67 89" in answer["reason"]
    buyers_context = new_context(browser, site)
    try:
        buyers_page = buyers_context.new_page()
        log_in(buyers_page, buyer)
        buyers_page.goto(f"/besoins/{need_id}")
        expect(buyers_page.locator("#table-reponses")).to_contain_text("Deux agents formés.")
        expect(buyers_page.locator("#table-reponses")).to_contain_text(address)
    finally:
        buyers_context.close()

    # Later, the answer is shown and can still be changed (until the deadline).
    page.goto(f"/espace-structure/{structure_id}/besoins/{need_id}")
    expect(page.locator("#votre-reponse")).to_contain_text("Intéressé")
    # In full, as the buyer reads it, and the form to change it holds it.
    expect(page.locator("#votre-reponse")).to_contain_text("Deux agents formés.")
    expect(page.locator("#votre-reponse")).to_contain_text(address)
    expect(page.locator("#champ-question_0")).to_have_value("Oui, dès 6 h le samedi.")
    expect(page.get_by_role("button", name="Modifier ma réponse")).to_be_visible()
    page.goto(f"/espace-structure/{structure_id}/besoins?statut=repondu")
    expect(card(page, title)).to_contain_text("Répondu")

    # Declined: a reason is required, then sent.
    page.goto(f"/espace-structure/{structure_id}/besoins/{declined_id}")
    page.locator("label[for='reponse-not_interested']").click()
    expect(page.locator("#si-interesse")).to_be_hidden()
    page.fill("#champ-decline_detail", "Nous reprendrons contact à la rentrée.")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    assert "indiquez la raison" in error_of(page, "decline_reason")
    expect(page.locator("#champ-decline_detail")).to_have_value(
        "Nous reprendrons contact à la rentrée."
    )
    check_accessibility(page, "besoin-recu-refus-erreur")
    page.select_option("#champ-decline_reason", "plan-de-charge")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page.locator("#reponse-envoyee")).to_contain_text("Pas intéressé")
    check_accessibility(page, "besoin-recu-refus")
    (declined,) = answers_of(site, buyer, declined_id)
    assert declined["status"] == "not_interested"
    assert declined["reason"] == (
        "Plan de charge complet sur la période : Nous reprendrons contact à la rentrée."
    )

    # At 375 px: the list, the need, an error.
    log_in(phone, ours["email"])
    phone.goto(f"/espace-structure/{structure_id}/besoins")
    expect(card(phone, title)).to_be_visible()
    check_accessibility(phone, "besoins-recus-375")
    screenshot(phone, "besoins-recus")
    phone.goto(f"/espace-structure/{structure_id}/besoins/{need_id}")
    phone.get_by_role("button", name="Modifier ma réponse").click()
    check_accessibility(phone, "besoin-recu-375")
    screenshot(phone, "besoin-recu")
    phone.locator("label[for='reponse-groupement']").click()
    phone.get_by_role("button", name="Modifier ma réponse").click()
    assert "nommez les structures" in error_of(phone, "partners")
    check_accessibility(phone, "besoin-recu-erreur-375")
    screenshot(phone, "besoin-recu-erreur")


def test_anyone_else_gets_a_403_showing_nothing(
    site: Site, page: Page, phone: Page, managers: dict[str, Any]
) -> None:
    title = f"Nettoyage des escaliers {secrets.token_hex(3)}"
    need_id = publish_need(site, managers, title, 10, QUESTIONS)
    ours = managers["ours"]["id"]
    log_in(page, managers["theirs"]["email"])
    for path in ("/besoins", f"/besoins/{need_id}", "/besoins-ouverts"):
        response = page.goto(f"/espace-structure/{ours}{path}")
        assert response is not None and response.status == 403, path
        expect(page.locator("h1")).to_have_text("Accès refusé")
        content = page.content()
        assert title not in content and QUESTIONS[0] not in content
    # An answer posted with a valid form of their own structure is refused too.
    theirs = managers["theirs"]["id"]
    page.goto(f"/espace-structure/{theirs}/besoins/{need_id}")
    token = page.locator("#formulaire-reponse input[name='csrf_token']").input_value()
    check_accessibility(page, "besoin-recu-autre-structure")
    posted = page.request.post(
        f"/espace-structure/{ours}/besoins/{need_id}",
        form={"status": "interested", "csrf_token": token},
    )
    assert posted.status == 403 and title not in posted.text()
    assert answers_of(site, managers["buyer"], need_id) == []
    # A need the structure did not receive is not found, even for its own manager.
    log_in(phone, managers["ours"]["email"])
    response = phone.goto(f"/espace-structure/{ours}/besoins/{2**31 - 1}")
    assert response is not None and response.status == 404


def test_a_groupement_answered_without_scripts_and_with_the_keyboard(
    site: Site, browser: Browser, page: Page, managers: dict[str, Any]
) -> None:
    buyer, ours = managers["buyer"], managers["ours"]
    title = f"Propreté des écoles {secrets.token_hex(3)}"
    need_id = publish_need(site, managers, title, 15, QUESTIONS[:1])

    # Without JavaScript every part of the form shows; a groupement needs its partners. (axe
    # runs in the page's scripts: these states are checked with scripts on, above.)
    context = browser.new_context(base_url=site.web.url, java_script_enabled=False, locale="fr-FR")
    bare = context.new_page()
    try:
        log_in(bare, ours["email"])
        bare.goto(f"/espace-structure/{ours['id']}/besoins/{need_id}")
        expect(bare.locator("#si-pas-interesse")).to_be_visible()
        bare.locator("label[for='reponse-groupement']").click()
        bare.fill("#champ-question_0", "Oui, avec notre partenaire.")
        bare.get_by_role("button", name="Envoyer ma réponse").click()
        assert "nommez les structures" in error_of(bare, "partners")
        expect(bare.locator("#champ-question_0")).to_have_value("Oui, avec notre partenaire.")
        expect(bare.locator("#reponse-groupement")).to_be_checked()
        bare.fill("#champ-partners", "ESAT des Lilas, Régie de quartier")
        bare.get_by_role("button", name="Envoyer ma réponse").click()
        expect(bare.locator("#reponse-envoyee")).to_contain_text("Intéressé, en groupement")
    finally:
        context.close()
    (answer,) = answers_of(site, buyer, need_id)
    assert answer["status"] == "groupement"
    assert "Groupement avec : ESAT des Lilas, Régie de quartier" in answer["reason"]

    # With the keyboard alone: from the list to a changed answer.
    log_in(page, ours["email"])
    page.goto(f"/espace-structure/{ours['id']}/besoins")
    link = card(page, title).get_by_role("link", name=title)
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/besoins/{need_id}")
    page.locator("#reponse-groupement").focus()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#reponse-interested")).to_be_checked()
    expect(page.locator("#si-pas-interesse")).to_be_hidden()
    page.keyboard.press("Tab")
    expect(page.locator("#champ-question_0")).to_be_focused()
    page.keyboard.type("Oui, seuls finalement.")
    page.get_by_role("button", name="Modifier ma réponse").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#reponse-envoyee")).to_contain_text("Oui, seuls finalement.")
    (answer,) = answers_of(site, buyer, need_id)
    assert answer["status"] == "interested"


def test_open_needs_the_structure_did_not_receive(
    site: Site, page: Page, phone: Page, managers: dict[str, Any]
) -> None:
    """A need on the structure's territory in a sector it did not declare: listed with why, and
    a link to the activities to add the sector."""
    ours = managers["ours"]
    groups = site.api("GET", "/api/v1/reference/sectors").json()
    other = next(
        s["slug"] for g in groups for s in g["sectors"] if s["slug"] not in ours["sectors"]
    )
    title = f"Restauration collective du collège {secrets.token_hex(3)}"
    created = site.api(
        "POST",
        "/api/v1/needs",
        json={
            "kind": "appel_offres",
            "title": title,
            "description": "Repas de midi pour 400 élèves, marché de 3 ans.",
            "sectors": [other],
            "place": {"level": "departement", "code": managers["department"]},
            "amount_max_eur": 90000,
            "publish": True,
        },
        headers=site.bearer(managers["buyer"]),
    )
    assert created.status_code == 201, created.text

    log_in(page, ours["email"])
    page.goto(f"/espace-structure/{ours['id']}/besoins")
    page.get_by_role("link", name="Besoins ouverts non reçus").click()
    page.wait_for_url(f"**/espace-structure/{ours['id']}/besoins-ouverts")
    expect(page.locator("h1")).to_have_text("Besoins ouverts non reçus")
    missed = page.locator("#besoins-ouverts > li").filter(has_text=title)
    expect(missed).to_contain_text("Secteur non déclaré")
    expect(missed).to_contain_text("Ajoutez ce secteur à vos activités")
    expect(missed).to_contain_text("jusqu'à 90\u202f000 € HT")
    fix = missed.get_by_role("link", name=re.compile("Modifier mes activités"))
    expect(fix).to_have_attribute("href", f"/espace-structure/{ours['id']}/activites")
    # What the buyer asked and received never shows: no need it matched is listed here.
    expect(page.locator("#besoins-ouverts")).not_to_contain_text("Nettoyage des locaux")
    check_accessibility(page, "besoins-ouverts")
    screenshot(page, "besoins-ouverts")
    log_in(phone, ours["email"])
    phone.goto(f"/espace-structure/{ours['id']}/besoins-ouverts")
    expect(phone.locator("#besoins-ouverts > li").filter(has_text=title)).to_be_visible()
    check_accessibility(phone, "besoins-ouverts-375")
    screenshot(phone, "besoins-ouverts")


def test_time_left_reads_as_a_phone_shows_it() -> None:
    from services.web.received_needs_view import status_of, time_left

    today = date(2026, 11, 30)
    assert time_left("2026-12-03", today) == "plus que 3 jours"
    assert time_left("2026-12-01", today) == "plus qu'un jour"
    assert time_left("2026-11-30", today) == "dernier jour pour répondre"
    assert time_left("2026-11-29", today) == "date limite passée"
    assert time_left(None, today) == "sans date limite"
    assert status_of({"deadline": "2026-11-29", "answer": "interested"}, today) == "clos"
    assert status_of({"deadline": None, "opened": True}, today) == "ouvert"


def test_the_emailed_link_answers_without_an_account(
    browser: Browser, site: Site, managers: dict[str, Any]
) -> None:
    """The e-mail's first link opens the website's page of the need, for a structure's contact
    who never logs in: the token leaves the address at once (kept in this browser only, never in
    the logs), the answer is the manager's form with the same rules, and it is shown again on a
    later visit; an altered link says it cannot serve."""
    ours = managers
    title = f"Nettoyage de la médiathèque {secrets.token_hex(3)}"
    need_id = publish_need(site, ours, title, 12, QUESTIONS[:1])
    mail = site.inbox.wait_for(ours["ours"]["email"], saying=title)
    (link,) = [u for u in links(mail) if "/repondre/" in u]
    space = [u for u in links(mail) if "/espace-structure/" in u]
    assert space == [site.url(f"/espace-structure/{ours['ours']['id']}/besoins/{need_id}")]
    token = link.rsplit("/", 1)[1]
    for width in (1280, 375):
        context = new_context(browser, site, width)  # nobody logged in
        try:
            page = context.new_page()
            page.goto(link)
            assert page.url == site.url("/repondre")
            expect(page.get_by_role("heading", level=1)).to_have_text(title)
            if width == 375:
                check_accessibility(page, "besoin-lien-375")
                screenshot(page, "besoin-lien")
                continue
            page.locator("label[for=reponse-interested]").click()
            page.fill("#champ-question_0", "Oui, le samedi matin.")
            page.fill("#champ-contact_email", "pas-une-adresse")
            page.get_by_role("button", name="Envoyer ma réponse").click()
            assert "adresse e-mail invalide" in error_of(page, "contact_email")
            expect(page.locator("#champ-question_0")).to_have_value("Oui, le samedi matin.")
            page.fill("#champ-contact_email", "accueil@structure.fr")
            page.get_by_role("button", name="Envoyer ma réponse").click()
            expect(page.locator("#reponse-envoyee")).to_contain_text("Oui, le samedi matin.")
            check_accessibility(page, "besoin-lien-repondu")
            page.goto(site.url("/repondre"))
            expect(page.locator("#votre-reponse")).to_contain_text("accueil@structure.fr")
        finally:
            context.close()
    (answer,) = answers_of(site, ours["buyer"], need_id)
    assert answer["answers"] == {"0": "Oui, le samedi matin."}
    assert answer["contact_email"] == "accueil@structure.fr"

    context = new_context(browser, site)
    try:
        page = context.new_page()
        page.goto(site.url("/repondre/" + token[:-4] + "AAAA"))
        assert page.url == site.url("/repondre")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Ce lien de réponse ne peut plus servir"
        )
        bare = context.new_page()
        bare.context.clear_cookies()
        response = bare.goto(site.url("/repondre"))
        assert response is not None and response.status == 404
    finally:
        context.close()
    assert token not in site.logs_text()
