"""A structure's team in a real browser on the real stack: an invitation e-mailed, opened before
logging in and accepted (its token never in an address or a log); a join request accepted, one
refused with a reason; roles, the last admin kept, removal confirmed; the history in words; and
nothing of the structure for a manager of another."""

from __future__ import annotations

import io
import re
import secrets
from typing import Any

import pytest
from PIL import Image
from playwright.sync_api import Browser, Page, expect

from services.web import history_view as history
from tests.mail_support import body
from tests.web.conftest import PASSWORD, Site, check_accessibility, log_in, new_context, screenshot


def error_of(page: Page, field: str) -> str:
    return page.locator(f"#champ-{field}-messages").inner_text()


def claimed(site: Site, department: str) -> tuple[dict[str, Any], str]:
    """A structure of the data claimed by a new manager (its admin), accepted by staff."""
    hits = site.api(
        "GET", "/api/v1/search", params={"kind": "ACI", "department": department, "per_page": 100}
    ).json()["hits"]
    candidates = [h for h in hits if h.get("siret") and not h.get("website")]
    structure = candidates[secrets.randbelow(len(candidates))]
    email = site.new_account("supplier_manager")
    site.claim(structure, site.bearer(email))
    return structure, email


@pytest.fixture(scope="module")
def team(site: Site) -> tuple[dict[str, Any], str]:
    return claimed(site, "13")


def test_an_invitation_is_sent_opened_before_log_in_and_accepted(
    site: Site, page: Page, browser: Browser, team: tuple[dict[str, Any], str]
) -> None:
    structure, admin = team
    invitee = site.new_account("supplier_manager")
    log_in(page, admin)
    page.goto(f"/espace-structure/{structure['id']}/equipe")
    expect(page.locator("#gestionnaires")).to_contain_text(admin)
    expect(page.locator("#gestionnaires li", has_text=admin)).to_contain_text(
        "Administrateur, depuis le"
    )
    check_accessibility(page, "team")

    page.fill("#champ-email", "pas-une-adresse")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    assert "adresse électronique valide" in error_of(page, "email")
    expect(page.locator("#champ-email")).to_have_value("pas-une-adresse")
    check_accessibility(page, "team-invite-error")

    page.fill("#champ-email", invitee)
    page.select_option("#champ-role", "editor")
    page.get_by_role("button", name="Envoyer l'invitation").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("invitation a été envoyée")
    expect(page.locator("#invitations")).to_contain_text(invitee)
    screenshot(page, "team-invited")

    mail = body(site.inbox.wait_for(invitee, saying="/invitations/"))
    link = re.search(r"(https?://\S+/invitations/([A-Za-z0-9_\-.~]+))", mail)
    assert link is not None, mail
    url, token = link.group(1), link.group(2)

    other = new_context(browser, site)
    guest = other.new_page()
    try:
        guest.goto(url)
        # Not logged in: an address without the token, that says to log in and comes back.
        expect(guest).to_have_url(re.compile(r"/invitations$"))
        check_accessibility(guest, "invitation-signed-out")
        guest.locator("main").get_by_role("link", name="Se connecter").click()
        assert "/connexion" in guest.url and token not in guest.url, guest.url
        guest.fill("#champ-email", invitee)
        guest.fill("#champ-password", PASSWORD)
        guest.get_by_role("button", name="Se connecter").click()
        expect(guest).to_have_url(re.compile(r"/invitations$"))
        expect(guest.locator("main")).to_contain_text(structure["name"])
        expect(guest.locator("main")).to_contain_text("éditeur")
        assert token not in guest.content()
        check_accessibility(guest, "invitation")
        guest.get_by_role("button", name="Accepter").click()
        expect(guest).to_have_url(re.compile(rf"/espace-structure/{structure['id']}/equipe"))
        expect(guest.locator(".fr-alert--success")).to_contain_text("rejoint l'équipe")
        expect(guest.locator("#gestionnaires")).to_contain_text(invitee)
        screenshot(guest, "invitation-accepted")
    finally:
        other.close()
    assert token not in site.logs_text()
    page.reload()
    expect(page.locator("#gestionnaires")).to_contain_text(invitee)
    expect(page.locator("#invitations")).to_have_count(0)


def test_an_invitation_for_another_address_is_refused_with_its_reason(
    site: Site, page: Page, browser: Browser, team: tuple[dict[str, Any], str]
) -> None:
    structure, admin = team
    invited = f"invitee-{secrets.token_hex(3)}@exemple.fr"
    made = site.api(
        "POST",
        f"/api/v1/structures/{structure['id']}/invitations",
        json={"email": invited, "role": "admin"},
        headers=site.bearer(admin),
    )
    assert made.status_code == 201, made.text
    mail = body(site.inbox.wait_for(invited, saying="/invitations/"))
    link = re.search(r"(https?://\S+/invitations/[A-Za-z0-9_\-.~]+)", mail)
    assert link is not None
    log_in(page, site.new_account("supplier_manager"))
    page.goto(link.group(1))
    expect(page).to_have_url(re.compile(r"/invitations$"))
    page.get_by_role("button", name="Accepter").click()
    expect(page.locator("#erreurs")).to_contain_text("i***@exemple.fr")
    check_accessibility(page, "invitation-refused")

    # The admin revokes it: its link no longer works.
    page.context.clear_cookies()
    log_in(page, admin)
    page.goto(f"/espace-structure/{structure['id']}/equipe")
    page.locator("#invitations li", has_text=invited).get_by_role(
        "button", name="Retirer l'invitation"
    ).click()
    expect(page.locator(".fr-alert--success")).to_contain_text("invitation a été retirée")
    expect(page.locator("main")).not_to_contain_text(invited)


def test_join_requests_are_accepted_or_refused_with_a_reason(
    site: Site, page: Page, team: tuple[dict[str, Any], str]
) -> None:
    structure, admin = team
    joiner, refused = site.new_account("supplier_manager"), site.new_account("supplier_manager")
    # One asks from the search: the structure is managed, so « Demander à rejoindre ».
    log_in(page, joiner)
    page.goto(f"/espace-structure/revendiquer?q={structure['siret']}")
    card = page.locator(".mi-claim-result", has_text=structure["siret"])
    card.get_by_role("link", name="Demander à rejoindre").click()
    page.fill("#champ-message", "Je suis le comptable.")
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.locator("main")).to_contain_text("en attente de l'administrateur")
    ids = [int(page.url.rsplit("/", 1)[1])]
    made = site.api(
        "POST",
        "/api/v1/claims",
        json={"structure_id": structure["id"], "message": "Je passe par là."},
        headers=site.bearer(refused),
    )
    assert made.status_code == 201 and made.json()["method"] == "join", made.text
    ids.append(made.json()["id"])
    page.context.clear_cookies()
    log_in(page, admin)
    page.goto(f"/espace-structure/{structure['id']}/equipe")
    requests = page.locator("#demandes")
    expect(requests).to_contain_text("Je suis le comptable.")
    page.locator("#demandes li", has_text="Je suis le comptable.").get_by_role(
        "button", name="Accepter"
    ).click()
    expect(page.locator(".fr-alert--success")).to_contain_text("demande a été acceptée")
    expect(page.locator("#gestionnaires")).to_contain_text(joiner)

    page.locator("#demandes li", has_text="Je passe par là.").get_by_role(
        "link", name="Refuser"
    ).click()
    page.get_by_role("button", name="Refuser la demande").click()
    assert "motif" in error_of(page, "reason")
    check_accessibility(page, "team-refuse-error")
    page.fill("#champ-reason", "Vous n'êtes pas salarié de la structure.")
    page.get_by_role("button", name="Refuser la demande").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("refusée")
    mine = site.api("GET", "/api/v1/claims", headers=site.bearer(refused)).json()
    assert next(c for c in mine if c["id"] == ids[1])["reason"] == (
        "Vous n'êtes pas salarié de la structure."
    )

    # The one refused reads why on their claim's page.
    page.context.clear_cookies()
    log_in(page, refused)
    page.goto(f"/espace-structure/demandes/{ids[1]}")
    expect(page.locator("#statut-demande")).to_have_text("refusée")
    expect(page.locator("main")).to_contain_text("Vous n'êtes pas salarié de la structure.")


def test_roles_the_last_admin_and_removal(site: Site, page: Page) -> None:
    structure, admin = claimed(site, "84")
    editor = site.new_account("supplier_manager")
    made = site.api(
        "POST",
        "/api/v1/claims",
        json={"siret": structure["siret"], "structure_id": structure["id"]},
        headers=site.bearer(editor),
    )
    accepted = site.api(
        "POST", f"/api/v1/claims/{made.json()['id']}/accept", json={}, headers=site.bearer(admin)
    )
    assert accepted.status_code == 200, accepted.text
    log_in(page, admin)
    page.goto(f"/espace-structure/{structure['id']}/equipe")
    mine = page.locator("#gestionnaires li", has_text=admin)
    mine.locator("select").select_option("editor")
    mine.get_by_role("button", name="Changer le rôle").click()
    expect(page.locator("#erreurs")).to_contain_text("au moins un administrateur")
    check_accessibility(page, "team-last-admin")
    # Nor may the last admin leave: the confirmation page says why.
    page.locator("#gestionnaires li", has_text=admin).get_by_role(
        "link", name="Quitter l'équipe"
    ).click()
    page.get_by_role("button", name="Oui, quitter l'équipe").click()
    expect(page.locator("#erreurs")).to_contain_text("au moins un administrateur")
    page.goto(f"/espace-structure/{structure['id']}/equipe")

    theirs = page.locator("#gestionnaires li", has_text=editor)
    theirs.locator("select").select_option("admin")
    theirs.get_by_role("button", name="Changer le rôle").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("rôle a été changé")
    expect(page.locator("#gestionnaires li", has_text=editor)).to_contain_text(
        "Administrateur, depuis le"
    )

    page.locator("#gestionnaires li", has_text=editor).get_by_role("link", name="Retirer").click()
    expect(page.locator("h1")).to_have_text("Retirer un gestionnaire")
    check_accessibility(page, "team-remove")
    page.get_by_role("button", name=f"Oui, retirer {editor}").click()
    expect(page.locator(".fr-alert--success")).to_contain_text("retiré")
    expect(page.locator("#gestionnaires")).not_to_contain_text(editor)

    # History in words, after listing edits through the API: more than a page of them.
    path = f"/api/v1/structures/{structure['id']}"
    headers = site.bearer(admin)
    for n in range(50):
        read = site.api("GET", path)
        edited = site.api(
            "PATCH",
            path,
            json={"headcount_insertion": n}
            if n < 49
            else {
                "description": "Maraîchage biologique.",
                "website": "https://jardins.example.org",
            },
            headers={**headers, "If-Match": read.headers["etag"]},
        )
        assert edited.status_code == 200, edited.text
    page.goto(f"/espace-structure/{structure['id']}/historique")
    expect(page.locator(".fr-pagination")).to_contain_text("Page 1 sur 2")
    expect(page.locator("#historique")).to_contain_text("a modifié l'effectif en insertion")
    page.get_by_role("link", name="Plus anciens").click()
    older = page.locator("#historique")
    expect(older).to_contain_text("a demandé à gérer la structure")
    expect(older).to_contain_text("a retiré un gestionnaire de l'équipe")
    expect(older).to_contain_text("a changé le rôle de")
    expect(older).to_contain_text("a accepté la demande n°")
    expect(older).to_contain_text("équipe de la plateforme a accepté la demande")
    check_accessibility(page, "history-page-2")
    page.get_by_role("link", name="Plus récents").click()
    expect(page.locator("#historique li").first).to_contain_text(
        "(administrateur, vous) a modifié la description et le site internet"
    )
    check_accessibility(page, "history")
    screenshot(page, "history")


def test_an_editor_leaves_the_team(site: Site, page: Page) -> None:
    structure, admin = claimed(site, "34")
    editor = site.new_account("supplier_manager")
    made = site.api(
        "POST",
        "/api/v1/claims",
        json={"structure_id": structure["id"]},
        headers=site.bearer(editor),
    )
    accepted = site.api(
        "POST", f"/api/v1/claims/{made.json()['id']}/accept", json={}, headers=site.bearer(admin)
    )
    assert accepted.status_code == 200, accepted.text
    log_in(page, editor)
    page.goto(f"/espace-structure/{structure['id']}/equipe")
    # An editor reads the team, and may only leave it.
    expect(page.locator("#gestionnaires")).to_contain_text(admin)
    expect(page.get_by_role("button", name="Changer le rôle")).to_have_count(0)
    expect(page.locator("#inviter")).to_have_count(0)
    page.get_by_role("link", name="Quitter l'équipe").click()
    expect(page.locator("h1")).to_have_text("Quitter l'équipe")
    check_accessibility(page, "team-leave")
    page.get_by_role("button", name="Oui, quitter l'équipe").click()
    expect(page).to_have_url(re.compile(r"/espace-structure$"))
    members = site.api(
        "GET", f"/api/v1/structures/{structure['id']}/members", headers=site.bearer(admin)
    ).json()
    assert editor not in [m["email"] for m in members]

    # The admin adds a logo; the history says both, in words.
    image = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 0, 145)).save(image, "PNG")
    logo = site.api(
        "PUT",
        f"/api/v1/structures/{structure['id']}/logo",
        content=image.getvalue(),
        headers={**site.bearer(admin), "Content-Type": "image/png"},
    )
    assert logo.status_code == 200, logo.text
    page.context.clear_cookies()
    log_in(page, admin)
    page.goto(f"/espace-structure/{structure['id']}/historique")
    entries = page.locator("#historique li")
    expect(entries.nth(0)).to_contain_text("(administrateur, vous) a ajouté un logo")
    expect(entries.nth(1)).to_contain_text("Un ancien gestionnaire a quitté l'équipe")


def test_a_manager_of_another_structure_sees_nothing_of_it(
    site: Site, page: Page, team: tuple[dict[str, Any], str]
) -> None:
    structure, _ = team
    _, other = claimed(site, "30")
    log_in(page, other)
    for suffix in ("equipe", "historique"):
        response = page.goto(f"/espace-structure/{structure['id']}/{suffix}")
        assert response is not None and response.status == 403, suffix
        expect(page.locator("main")).not_to_contain_text(structure["name"])
    check_accessibility(page, "team-forbidden")


def test_team_and_history_fit_a_phone(
    site: Site, phone: Page, team: tuple[dict[str, Any], str]
) -> None:
    structure, admin = team
    log_in(phone, admin)
    for suffix in ("equipe", "historique"):
        phone.goto(f"/espace-structure/{structure['id']}/{suffix}")
        check_accessibility(phone, f"team-{suffix}-375")
        screenshot(phone, f"team-{suffix}")
    phone.goto(f"/espace-structure/{structure['id']}/equipe")
    phone.focus("#champ-email")
    phone.keyboard.type(f"clavier-{secrets.token_hex(3)}@exemple.fr")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Tab")
    phone.keyboard.press("Enter")
    expect(phone.locator(".fr-alert--success")).to_contain_text("invitation a été envoyée")


# The history's words, entry by entry (no browser needed).

MEMBERS = {
    "a1": history.Actor("a1", "marie.dupont@structure.fr", "admin"),
    "a2": history.Actor("a2", "paul@structure.fr", "editor"),
}
SECTORS = {"nettoyage-de-locaux-16": "Nettoyage de locaux"}


def said(action: str, changes: dict[str, Any], actor: str = "a1", role: str = "x") -> str:
    entry = {
        "actor": actor,
        "actor_role": role,
        "action": action,
        "entity_id": 7,
        "changes": changes,
        "at": "2026-11-12T13:02:00Z",
    }
    day = history.days([entry], MEMBERS, SECTORS, "paul@structure.fr")[0]
    assert day.label == "12 novembre 2026"
    event = day.events[0]
    assert event.at.strftime("%H:%M") == "14:02"  # Paris, in winter
    return f"{event.who} {event.what}"


@pytest.mark.parametrize(
    ("action", "changes", "actor", "role", "words"),
    [
        (
            "structure.update",
            {"description": ["a", "b"], "website": [None, "https://x.fr"]},
            "a1",
            "supplier_manager",
            "Marie D. (administrateur) a modifié la description et le site internet",
        ),
        (
            "structure.update",
            {"is_active": [True, False]},
            "s1",
            "staff",
            "L'équipe de la plateforme a désactivé la fiche",
        ),
        (
            "structure.import",
            {"address": ["1 rue A", "2 rue B"]},
            "import:siae",
            "system",
            "Import des données publiques (ASP) : adresse mise à jour",
        ),
        (
            "structure.import",
            {"postcode": ["1", "2"], "commune_code": ["a", "b"], "city": ["c", "d"]},
            "import:esat",
            "system",
            "Import des données publiques (FINESS) : code postal et commune mis à jour",
        ),
        (
            "structure.delist",
            {"is_active": [True, False]},
            "import:siae",
            "system",
            "fiche désactivée",
        ),
        (
            "activity.create",
            {"sector_slug": [None, "nettoyage-de-locaux-16"]},
            "a2",
            "supplier_manager",
            "paul@structure.fr (éditeur, vous) a déclaré l'activité « Nettoyage de locaux »",
        ),
        (
            "offer.delete",
            {"title": ["Repassage", None]},
            "a1",
            "x",
            "a supprimé l'offre « Repassage »",
        ),
        (
            "claim.refuse",
            {"reason": [None, "Inconnu"]},
            "a1",
            "x",
            "refusé la demande n° 7 (motif : Inconnu)",
        ),
        (
            "claim.accept",
            {},
            "gone",
            "supplier_manager",
            "Un ancien gestionnaire a accepté la demande n° 7",
        ),
        (
            "member.role",
            {"account_id": ["a2", "a2"], "role": ["editor", "admin"]},
            "a1",
            "x",
            "a changé le rôle de paul@structure.fr : éditeur → administrateur",
        ),
        ("invitation.create", {"email": [None, "z@y.fr"]}, "a1", "x", "a invité « z@y.fr »"),
        ("structure.logo", {"logo": [None, "image PNG"]}, "a1", "x", "a ajouté un logo"),
        (
            "member.remove",
            {"account_id": ["a2", None]},
            "a2",
            "x",
            "(éditeur, vous) a quitté l'équipe",
        ),
        ("structure.photos", {"photo": ["image", None]}, "a1", "x", "a retiré une photo"),
        ("offer.photos", {"photo": [None, "image"]}, "a1", "x", "a ajouté une photo d'une offre"),
    ],
)
def test_the_history_says_each_change_in_words(
    action: str, changes: dict[str, Any], actor: str, role: str, words: str
) -> None:
    assert words in said(action, changes, actor, role)
