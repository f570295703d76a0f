"""Buyers' organisations and purchase projects in a real browser on the real stack: the issue's
journey (organisation, a 500 000 € services project in the 93, its options, « aucune » refused
then justified, the sourcing note, the report, the award, the need), members and strangers, the
decision without scripts, a stale edit."""

from __future__ import annotations

import re
import secrets
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from starlette.datastructures import FormData

from services.domain.identifiers import luhn_ok
from services.web import organisations_view
from services.web import projects_view as view
from services.web.templating import number
from tests.web.conftest import (
    PASSWORD,
    Site,
    assert_fits,
    check_accessibility,
    log_in,
    new_context,
    screenshot,
    tick,
)

SECTOR = "nettoyage-de-locaux-16"
JUSTIFICATION = (
    "Aucune structure inclusive n'a répondu au sourcing mené en septembre auprès de 12 SIAE."
)


def new_siret() -> str:
    """A SIRET that passes Luhn, of a SIREN no other test uses."""
    base = f"3{secrets.randbelow(10**8):08d}0001"
    return next(base + str(d) for d in range(10) if luhn_ok(base + str(d)))


def error_of(page: Page, field: str) -> str:
    return page.locator(f"#champ-{field}-messages").inner_text()


def api_json(site: Site, method: str, path: str, email: str, **kwargs: Any) -> Any:
    answer = site.api(method, "/api/v1" + path, headers=site.bearer(email), **kwargs)
    assert answer.status_code < 300, answer.text
    return answer.json() if answer.content else None


def pdf_text(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return " ".join(done.stdout.split())


@pytest.fixture
def buyer(site: Site) -> str:
    return site.new_account("public_buyer")


def organisation_with_project(site: Site, email: str) -> tuple[int, int]:
    """An organisation and its 500 000 € cleaning project in the 93, made through the API."""
    organisation = api_json(
        site,
        "POST",
        "/organisations",
        email,
        json={"name": "Ville de Bobigny", "siret": new_siret(), "buyer_kind": "collectivite"},
    )
    project = api_json(
        site,
        "POST",
        f"/organisations/{organisation['id']}/projects",
        email,
        json={
            "title": "Entretien des écoles",
            "object": "Nettoyage quotidien de 9 écoles pendant 3 ans.",
            "sectors": [SECTOR],
            "department": "93",
            "contract_kind": "services",
            "estimated_amount_eur": 500_000,
            "duration_months": 36,
            "procedure": "appel_offres_ouvert",
            "lots": [
                {"title": "Écoles maternelles", "estimated_amount_eur": 200_000},
                {"title": "Écoles élémentaires", "estimated_amount_eur": 300_000},
            ],
        },
    )
    return int(organisation["id"]), int(project["id"])


def test_the_issue_journey(site: Site, page: Page, phone: Page, buyer: str) -> None:
    log_in(page, buyer)

    # Without an organisation, the projects lead to its creation; a wrong SIRET is refused
    # beside its field, what was typed kept.
    page.get_by_role("link", name="Mes projets d'achat").first.click()
    page.wait_for_url("**/organisation")
    check_accessibility(page, "organisation-creation")
    screenshot(page, "organisation-creation")
    # Each kind of buyer says its European threshold, as the API's vocabulary gives it.
    vocabulary = site.api("GET", "/api/v1/projects/vocabulary").json()
    thresholds = {
        t["buyer_kind"]: t["threshold_eur"]
        for t in vocabulary["climate_thresholds"]["by_buyer_kind"]
    }
    town = number(thresholds["collectivite"]["services"])
    expect(page.locator("label[for='type-collectivite'] .fr-hint-text")).to_have_text(
        f"Seuil européen : {town} € HT pour les fournitures et services."
    )
    expect(page.locator("label[for='type-entreprise'] .fr-hint-text")).to_contain_text(
        "Non soumise"
    )
    works = number(thresholds["collectivite"]["travaux"])
    expect(page.locator("main")).to_contain_text(f"le seuil est de {works} € HT")
    page.fill("#champ-name", "Ville de Montreuil")
    page.fill("#champ-identifier", "1234567890")
    tick(page, "Collectivité territoriale")
    page.get_by_role("button", name="Créer l'organisation").click()
    assert "14 chiffres" in error_of(page, "identifier")
    expect(page.locator("#champ-name")).to_have_value("Ville de Montreuil")
    expect(page.locator("#champ-identifier")).to_have_value("1234567890")
    check_accessibility(page, "organisation-creation-erreur")
    siret = new_siret()
    page.fill("#champ-identifier", siret)
    page.get_by_role("button", name="Créer l'organisation").click()
    page.wait_for_url(re.compile(r"/organisation/\d+\?fait=creee"))
    organisation_id = int(page.url.split("/organisation/")[1].split("?")[0])
    expect(page.locator("#liste-membres")).to_contain_text(buyer)
    # A SIRET the public procurement data does not know yet: said plainly, no link.
    expect(page.locator("#donnees-publiques-inconnu")).to_contain_text(
        f"ne connaissent pas encore le SIRET {siret}"
    )
    expect(page.locator("#lien-fiche-publique")).to_have_count(0)

    # The project form: a lot row added without scripts' help keeps what was typed.
    page.goto(f"/projets?organisation={organisation_id}")
    page.get_by_role("link", name="Nouveau projet").click()
    page.wait_for_url("**/projets/nouveau?organisation=*")
    title = f"Nettoyage des bâtiments communaux {secrets.token_hex(3)}"
    page.fill("#champ-title", title)
    page.fill("#champ-object", "Nettoyage quotidien de 12 bâtiments municipaux pendant 4 ans.")
    page.select_option("#champ-sector", SECTOR)
    page.select_option("#champ-department", "93")
    page.fill("#champ-amount", "500 000")
    page.fill("#champ-duration_months", "48")
    expect(page.locator("#champ-labour_share_percent")).to_have_value("50")
    expect(page.locator("#champ-hourly_cost_eur")).to_have_value("30")
    page.get_by_role("button", name="Ajouter un lot").click()
    expect(page.locator("#champ-lot_2_title")).to_be_visible()
    expect(page.locator("#champ-title")).to_have_value(title)
    expect(page.locator("#champ-amount")).to_have_value("500 000")
    check_accessibility(page, "projet-formulaire")
    screenshot(page, "projet-formulaire")
    page.fill("#champ-title", "Ne")
    page.get_by_role("button", name="Enregistrer et évaluer").click()
    assert "Intitulé" in error_of(page, "title")
    expect(page.locator("#champ-title")).to_have_value("Ne")
    expect(page.locator("#champ-amount")).to_have_value("500 000")
    expect(page.locator("#champ-department")).to_have_value("93")
    check_accessibility(page, "projet-formulaire-erreur")
    page.fill("#champ-title", title)
    page.get_by_role("button", name="Enregistrer et évaluer").click()
    page.wait_for_url(re.compile(r"/projets/\d+\?fait=cree"))
    project_id = int(page.url.split("/projets/")[1].split("?")[0])

    # The evaluation as the API gives it: L2113-13 open with 3 eligible SIAE or more, the
    # Climat et Résilience flag, the hours.
    view = api_json(site, "GET", f"/projects/{project_id}", buyer)
    evaluation = view["evaluation"]
    insertion = next(o for o in evaluation["options"] if o["code"] == "reserve_L2113_13")
    assert insertion["available"] == (insertion["eligible_suppliers"] >= 3)
    card = page.locator("#option-reserve_L2113_13")
    expect(card).to_contain_text("Disponible" if insertion["available"] else "Non disponible")
    expect(card).to_contain_text(f"{insertion['eligible_suppliers']} structure(s) éligible(s)")
    assert evaluation["climate_law"]["applies"] is True
    expect(page.locator("#badge-climat")).to_be_visible()
    expect(page.locator("#attendu")).to_contain_text("Oui")
    expect(page.locator("#heures")).to_have_text(number(evaluation["insertion_hours"]["hours"], 1))
    expect(page.locator("#chiffre-eligibles")).to_have_text(
        number(evaluation["market"]["eligible_suppliers"])
    )
    assert page.locator("#voir-fournisseurs").get_attribute("href") == (
        f"/recherche?sector={SECTOR}&department=93"
    )
    check_accessibility(page, "projet")
    screenshot(page, "projet")

    # « Aucune » without justification: refused (a social consideration is expected); then a
    # text too short: refused beside it, what was typed kept.
    tick(page, "Aucune considération sociale")
    expect(page.locator("#justification")).to_be_visible()
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert "considération sociale est attendue" in error_of(page, "justification_reason")
    expect(page.locator("#option-aucune")).to_be_checked()
    check_accessibility(page, "projet-decision-sans-justification")
    page.select_option("#champ-justification_reason", "absence_offre_inclusive")
    page.fill("#champ-justification_text", "Pas d'offre")
    page.get_by_role("button", name="Enregistrer la décision").click()
    assert "20 caractères" in error_of(page, "justification_text")
    expect(page.locator("#champ-justification_text")).to_have_value("Pas d'offre")
    expect(page.locator("#champ-justification_reason")).to_have_value("absence_offre_inclusive")
    expect(page.locator("#option-aucune")).to_be_checked()
    check_accessibility(page, "projet-decision-erreur")
    screenshot(page, "projet-decision-erreur")

    # With a reason and a text: recorded, shown as the decision in force.
    page.fill("#champ-justification_text", JUSTIFICATION)
    page.get_by_role("button", name="Enregistrer la décision").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/projets/{project_id}?fait=decision*")
    expect(page.locator("#decision-actuelle")).to_contain_text(JUSTIFICATION)
    expect(page.locator("#historique li")).to_have_count(1)
    check_accessibility(page, "projet-decide")

    # The sourcing note: a PDF carrying the justification.
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger la note de sourcing (PDF)").click()
    assert download.value.suggested_filename == f"note-de-sourcing-{project_id}.pdf"
    path = Path(download.value.path())
    assert path.read_bytes().startswith(b"%PDF")
    assert "12 SIAE" in pdf_text(path) and "Aucune structure inclusive" in pdf_text(path)

    # The organisation's report: the project with its decision, the justification in full.
    page.goto(f"/organisation/{organisation_id}")
    expect(page.locator("#rapport-projets")).to_contain_text(title)
    expect(page.locator("#justifications")).to_contain_text(JUSTIFICATION)
    check_accessibility(page, "organisation")
    screenshot(page, "organisation")

    # Awarded: the decision is frozen. Then the need, in one step, and its link.
    page.goto(f"/projets/{project_id}")
    page.get_by_role("button", name="Marquer comme attribué").click()
    page.wait_for_url(f"**/projets/{project_id}?fait=attribue*")
    expect(page.locator("#etat-projet")).to_have_text("Attribué")
    expect(page.locator("#formulaire-decision")).to_have_count(0)
    page.get_by_role("button", name="Déposer le besoin correspondant").click()
    page.wait_for_url(f"**/projets/{project_id}?fait=besoin*")
    need_id = api_json(site, "GET", f"/projects/{project_id}", buyer)["need_id"]
    assert need_id
    check_accessibility(page, "projet-attribue")
    screenshot(page, "projet-attribue")
    page.locator("#lien-besoin").click()
    page.wait_for_url(f"**/besoins/{need_id}")
    expect(page.locator("h1")).to_contain_text(title)

    # The list shows it awarded; the same pages fit a phone.
    page.goto("/projets")
    expect(page.locator("#projets")).to_contain_text("Attribué")
    page.select_option("#champ-statut", "draft")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#projets")).to_have_count(0)
    page.select_option("#champ-statut", "awarded")
    page.select_option("#champ-annee", str(date.today().year))
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator("#projets")).to_contain_text(title)
    check_accessibility(page, "projets")
    screenshot(page, "projets")
    log_in(phone, buyer)
    for path_name, name in (
        ("/projets", "projets"),
        (f"/projets/{project_id}", "projet-attribue"),
        (f"/projets/nouveau?organisation={organisation_id}", "projet-formulaire"),
        (f"/organisation/{organisation_id}", "organisation"),
    ):
        phone.goto(path_name)
        assert_fits(phone)
        screenshot(phone, name)
    check_accessibility(phone, "projet-375")


def test_members_strangers_and_the_decision_without_scripts(
    site: Site, browser: Browser, page: Page, buyer: str
) -> None:
    organisation_id, project_id = organisation_with_project(site, buyer)
    colleague = site.new_account("public_buyer")

    # The admin adds a colleague by e-mail; the last admin cannot be removed.
    log_in(page, buyer)
    page.goto(f"/organisation/{organisation_id}")
    page.fill("#champ-email", colleague.upper())
    page.get_by_role("button", name="Ajouter le membre").click()
    page.wait_for_url(f"**/organisation/{organisation_id}?fait=membre*")
    expect(page.locator("#liste-membres")).to_contain_text(colleague)
    page.get_by_role("button", name=f"Retirer {buyer}").click()
    expect(page.locator("#erreurs")).to_contain_text("dernier administrateur")
    check_accessibility(page, "organisation-dernier-admin")

    # A stranger is refused the project and the organisation.
    stranger = site.new_account("public_buyer")
    context = new_context(browser, site)
    other = context.new_page()
    log_in(other, stranger)
    for path in (f"/projets/{project_id}", f"/organisation/{organisation_id}"):
        answer = other.goto(path)
        assert answer is not None and answer.status in (403, 404), path
        expect(other.locator("main")).not_to_contain_text("Entretien des écoles")
    context.close()

    # The colleague, without scripts, sees the project and decides « aucune » with reasons.
    context = browser.new_context(base_url=site.web.url, java_script_enabled=False, locale="fr-FR")
    plain = context.new_page()
    log_in(plain, colleague)
    plain.goto("/projets")
    plain.get_by_role("link", name="Entretien des écoles").click()
    plain.wait_for_url(f"**/projets/{project_id}")
    expect(plain.locator("#justification")).to_be_visible()
    # A clause on lot 1 with « aucune »: refused beside the options, both kept ticked.
    clause_lot_1 = plain.locator("input[value='clause_L2112_2@1']")
    plain.locator(f"label[for='{clause_lot_1.get_attribute('id')}']").click()
    plain.locator("label[for='option-aucune']").click()
    plain.get_by_role("button", name="Enregistrer la décision").click()
    assert "ne se combine" in error_of(plain, "options")
    expect(clause_lot_1).to_be_checked()
    plain.locator(f"label[for='{clause_lot_1.get_attribute('id')}']").click()
    plain.select_option("#champ-justification_reason", "urgence")
    plain.fill("#champ-justification_text", "Reprise en urgence après la défaillance du titulaire.")
    plain.get_by_role("button", name="Enregistrer la décision").click()
    plain.wait_for_url(f"**/projets/{project_id}?fait=decision*")
    expect(plain.locator("#decision-actuelle")).to_contain_text("défaillance du titulaire")
    context.close()
    decided = api_json(site, "GET", f"/projects/{project_id}", buyer)["decision"]
    assert decided["justification"]["reason"] == "urgence"
    assert decided["decided_by"] == colleague


def test_a_stale_edit_keeps_what_was_typed(site: Site, page: Page, buyer: str) -> None:
    _, project_id = organisation_with_project(site, buyer)
    log_in(page, buyer)
    page.goto(f"/projets/{project_id}/modifier")
    expect(page.locator("#champ-amount")).to_have_value("500000")
    expect(page.locator("#champ-lot_2_title")).to_have_value("Écoles élémentaires")
    check_accessibility(page, "projet-modification")
    screenshot(page, "projet-modification")

    # Another tab changes the project meanwhile: this form's version is stale.
    bearer = site.bearer(buyer)
    current = site.api("GET", f"/api/v1/projects/{project_id}", headers=bearer)
    changed = site.api(
        "PATCH",
        f"/api/v1/projects/{project_id}",
        json={"duration_months": 24},
        headers={**bearer, "If-Match": current.headers["etag"]},
    )
    assert changed.status_code == 200, changed.text
    page.fill("#champ-amount", "650 000")
    page.get_by_role("button", name="Enregistrer et réévaluer").click()
    expect(page.locator("#conflit")).to_contain_text("modifié entre-temps")
    expect(page.locator("#champ-amount")).to_have_value("650 000")
    check_accessibility(page, "projet-conflit")

    # Saved again: applied over the current version.
    page.get_by_role("button", name="Enregistrer et réévaluer").click()
    page.wait_for_url(f"**/projets/{project_id}?fait=modifie")
    saved = api_json(site, "GET", f"/projects/{project_id}", buyer)
    assert saved["estimated_amount_eur"] == 650_000
    assert [(lot["title"], lot["estimated_amount_eur"]) for lot in saved["lots"]] == [
        ("Écoles maternelles", 200_000),
        ("Écoles élémentaires", 300_000),
    ]


def test_codes_by_words_without_scripts_and_the_hours_threshold(
    site: Site, browser: Browser, page: Page, buyer: str
) -> None:
    """The organisation's hours threshold set (a wrong number refused and kept); then, without
    scripts, a project whose CPV code is picked among the words' suggestions and whose commune
    is typed by name; its hours reach the threshold, so a social consideration is expected."""
    organisation_id, _ = organisation_with_project(site, buyer)
    log_in(page, buyer)
    page.goto(f"/organisation/{organisation_id}")
    page.fill("#champ-hours_threshold", "cent heures")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    assert "nombre d'heures entier" in error_of(page, "hours_threshold")
    expect(page.locator("#champ-hours_threshold")).to_have_value("cent heures")
    check_accessibility(page, "organisation-reglages-erreur")
    page.fill("#champ-hours_threshold", "100")
    page.get_by_role("button", name="Enregistrer les réglages").click()
    page.wait_for_url(f"**/organisation/{organisation_id}?fait=reglages*")
    expect(page.locator("h1 + p")).to_contain_text("seuil d'heures d'insertion : 100 h")

    # axe needs scripts: this context has none, the checks run on the page above.
    context = browser.new_context(base_url=site.web.url, java_script_enabled=False, locale="fr-FR")
    plain = context.new_page()
    try:
        log_in(plain, buyer)
        plain.goto(f"/projets/nouveau?organisation={organisation_id}")
        plain.fill("#champ-title", "Nettoyage de la médiathèque")
        plain.fill("#champ-cpv_q", "nettoyage")
        plain.get_by_role("button", name="Chercher les codes").click()
        plain.locator('label[for="cpv-90900000"]').click()
        plain.fill("#champ-commune", "Rennes")
        plain.fill("#champ-amount", "150 000")
        plain.fill("#champ-duration_months", "24")
        plain.get_by_role("button", name="Enregistrer et évaluer").click()
        plain.wait_for_url(re.compile(r"/projets/\d+\?fait=cree"))
        project_id = int(plain.url.split("/projets/")[1].split("?")[0])
    finally:
        context.close()
    view = api_json(site, "GET", f"/projects/{project_id}", buyer)
    assert view["cpv"] == ["90900000"]
    assert view["place"]["level"] == "commune" and view["place"]["code"] == "35238"
    assert view["evaluation"]["insertion_hours"]["hours"] == 125
    page.goto(f"/projets/{project_id}")
    expect(page.locator("#attendu")).to_contain_text("Oui")
    expect(page.locator("#climat")).to_contain_text("seuil de 100 heures")
    expect(page.locator("#badge-climat")).to_have_count(0)
    check_accessibility(page, "projet-seuil-heures")


def test_the_need_links_back_to_its_project_while_its_viewer_may_see_it(
    site: Site, page: Page, buyer: str
) -> None:
    """A member deposits the need of a project: its page says where it comes from, with a
    link; once out of the organisation, the need stays theirs but the link goes."""
    organisation_id, project_id = organisation_with_project(site, buyer)
    colleague = site.new_account("public_buyer")
    api_json(
        site,
        "POST",
        f"/organisations/{organisation_id}/members",
        buyer,
        json={"email": colleague, "role": "member"},
    )
    need_id = api_json(site, "POST", f"/projects/{project_id}/need", colleague, json={})["need_id"]
    log_in(page, colleague)
    page.goto(f"/besoins/{need_id}")
    source = page.locator("#projet-source")
    expect(source).to_contain_text("Issu du projet d'achat « Entretien des écoles »")
    expect(source).to_contain_text("Ville de Bobigny")
    check_accessibility(page, "besoin-issu-du-projet")
    source.get_by_role("link").click()
    page.wait_for_url(f"**/projets/{project_id}")
    expect(page.locator("h1")).to_contain_text("Entretien des écoles")

    members = api_json(site, "GET", f"/organisations/{organisation_id}", buyer)["members"]
    member_id = next(m["id"] for m in members if m["email"] == colleague)
    api_json(site, "DELETE", f"/organisations/{organisation_id}/members/{member_id}", buyer)
    answer = page.goto(f"/besoins/{need_id}")
    assert answer is not None and answer.status == 200
    expect(page.locator("h1")).to_have_text("Entretien des écoles")
    expect(page.locator("#projet-source")).to_have_count(0)
    expect(page.locator(f"a[href='/projets/{project_id}']")).to_have_count(0)


def test_kind_hints_read_the_thresholds_of_the_vocabulary() -> None:
    """The hints copy no amount: other thresholds in the vocabulary give other hints."""
    vocabulary = {
        "buyer_kinds": [
            {"code": "etat", "label": "État"},
            {"code": "entreprise", "label": "Entreprise"},
        ],
        "climate_thresholds": {
            "by_buyer_kind": [
                {
                    "buyer_kind": "etat",
                    "subject": True,
                    "threshold_eur": {"services": 150_000, "fournitures": 150_000, "travaux": 6e6},
                },
                {
                    "buyer_kind": "entreprise",
                    "subject": False,
                    "threshold_eur": {"services": None, "fournitures": None, "travaux": None},
                },
            ]
        },
    }
    kinds = organisations_view.buyer_kinds(vocabulary)
    assert kinds == [
        (
            "etat",
            "État",
            f"Seuil européen : {number(150_000)} € HT pour les fournitures et services.",
        ),
        ("entreprise", "Entreprise", "Non soumise à la loi Climat et Résilience pour ses achats."),
    ]
    assert number(6e6) in organisations_view.works_hint(vocabulary)
    assert organisations_view.buyer_kinds({"buyer_kinds": [{"code": "x", "label": "X"}]}) == [
        ("x", "X", "")
    ]


def test_decision_checkboxes_become_the_api_options() -> None:
    """The form's values (« code » for the whole contract, « code@lot » per lot) are the API's
    options; a justification travels only with « aucune », and a text without reason is named."""
    vocabulary = {
        "option_codes": [
            {"code": "reserve_L2113_13", "article": "L2113-13", "label": "Réservé aux SIAE"},
            {"code": "none", "article": "", "label": "Aucune considération sociale"},
        ]
    }
    rows = view.option_rows(
        {"lots": [{"number": 1, "title": "A"}, {"number": 2, "title": "B"}]}, vocabulary
    )
    assert [scope for scope, _, _ in rows] == ["marche", "lot-1", "lot-2"]
    assert rows[2][2] == [("reserve_L2113_13@2", "Réservé aux SIAE (L2113-13)")]
    chosen = view.read_decision(
        FormData([("option", "reserve_L2113_13@2"), ("option", "clause_L2112_2")])
    )
    assert chosen.body() == {
        "options": [
            {"code": "reserve_L2113_13", "lot": 2},
            {"code": "clause_L2112_2", "lot": None},
        ],
        "justification": None,
    }
    unexplained = view.read_decision(
        FormData([("option", "none"), ("justification_text", "Aucune offre reçue.")])
    )
    assert "motif" in unexplained.errors["justification_reason"]
    assert "options" in view.read_decision(FormData([])).errors


def test_every_project_form_refuses_a_post_without_its_token(site: Site, buyer: str) -> None:
    """Each form of these pages, posted without the session's token or with another: refused,
    and nothing changed."""
    organisation_id, project_id = organisation_with_project(site, buyer)
    forms = {
        "/organisation": {"name": "Forgée", "identifier": new_siret(), "buyer_kind": "etat"},
        f"/organisation/{organisation_id}/reglages": {"name": "Forgée", "buyer_kind": "etat"},
        f"/organisation/{organisation_id}/membres": {"email": "x@exemple.fr", "role": "admin"},
        f"/organisation/{organisation_id}/membres/1/retirer": {},
        "/projets/nouveau": {"organisation": str(organisation_id), "title": "Forgé"},
        f"/projets/{project_id}/modifier": {"title": "Forgé", "version": "1"},
        f"/projets/{project_id}/decision": {"option": "clause_L2112_2"},
        f"/projets/{project_id}/reevaluer": {},
        f"/projets/{project_id}/attribution": {},
        f"/projets/{project_id}/besoin": {},
    }
    with httpx.Client(base_url=site.web.url, timeout=30) as client:
        token = re.search(
            r'name="csrf_token" value="([0-9a-f]{64})"', client.get("/connexion").text
        )
        assert token is not None
        signed = client.post(
            "/connexion",
            data={"csrf_token": token.group(1), "email": buyer, "password": PASSWORD},
        )
        assert signed.status_code == 303
        for path, data in forms.items():
            for sent in (data, {**data, "csrf_token": "0" * 64}):
                refused = client.post(path, data=sent)
                assert refused.status_code == 403, (path, refused.status_code)
                assert "Formulaire expiré" in refused.text
    project = api_json(site, "GET", f"/projects/{project_id}", buyer)
    assert project["version"] == 1 and project["decision"] is None and project["need_id"] is None
    organisation = api_json(site, "GET", f"/organisations/{organisation_id}", buyer)
    assert organisation["name"] == "Ville de Bobigny" and len(organisation["members"]) == 1
    assert len(api_json(site, "GET", "/organisations", buyer)["items"]) == 1
