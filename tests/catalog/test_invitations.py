"""Invitations to manage a structure: sent by its admins through a real SMTP server, read and
accepted once by the invited address, refused when revoked, expired, used or misaddressed."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterator, Mapping
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import update
from sqlmodel import Session, col, select

from services.catalog.invitations.models import Invitation
from services.catalog.state import CatalogState
from services.catalog.structures.models import Structure
from services.common.db import utcnow
from services.common.identity import Role
from services.common.state import state_of
from tests.catalog.api_support import STAFF, CatalogApi, catalog_settings, identity, make_client
from tests.mail_support import Inbox, body
from tests.support import Meili, free_port, load_catalog

WEB = "https://site.marche.example"
_used: set[int] = set()
_counter = iter(range(1, 10_000))


@pytest.fixture(scope="module")
def smtp_api(
    tmp_path_factory: pytest.TempPathFactory, meili: Meili, run_id: str
) -> Iterator[tuple[CatalogApi, Inbox]]:
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    folder = tmp_path_factory.mktemp("invitations")
    url = f"sqlite:///{folder / 'catalog.db'}"
    engine = load_catalog(url)
    settings = catalog_settings(
        url, folder / "mail", meili.url, meili.key, f"test_{run_id}_inv_{secrets.token_hex(3)}"
    ).model_copy(update={"mail_backend": "smtp", "smtp_port": smtp.port, "web_url": WEB})
    try:
        with make_client(settings) as client:
            yield CatalogApi(client, engine, folder / "mail"), inbox
    finally:
        smtp.stop()
        engine.dispose()


def deliver(api: CatalogApi) -> None:
    state_of(api.client.app, CatalogState).mail_relay.deliver_pending()  # type: ignore[arg-type]


def person() -> str:
    return f"invite-{next(_counter)}"


def structure_with_admin(api: CatalogApi) -> tuple[int, Mapping[str, str]]:
    """An active structure nobody manages yet, claimed by a new admin whom staff accept."""
    with Session(api.engine) as session:
        structure = next(
            s
            for s in session.exec(
                select(Structure)
                .where(col(Structure.is_active), col(Structure.siret).is_not(None))
                .order_by(col(Structure.id).desc())
            )
            if s.id not in _used
        )
    assert structure.id is not None
    _used.add(structure.id)
    admin = identity(person())
    claim = api.client.post(
        "/v1/claims", json={"siret": structure.siret, "structure_id": structure.id}, headers=admin
    )
    assert claim.status_code == 201, claim.text
    accepted = api.client.post(f"/v1/claims/{claim.json()['id']}/accept", headers=STAFF)
    assert accepted.status_code == 200, accepted.text
    return structure.id, admin


def invite(
    api: CatalogApi,
    inbox: Inbox,
    structure_id: int,
    admin: Mapping[str, str],
    email: str,
    role: str,
) -> tuple[dict[str, object], str]:
    """Sends an invitation; answers it and the token read from the e-mail's link."""
    sent = api.client.post(
        f"/v1/structures/{structure_id}/invitations",
        json={"email": email, "role": role},
        headers=admin,
    )
    assert sent.status_code == 201, sent.text
    deliver(api)
    message = inbox.wait_for(email, "invitation")
    match = re.search(re.escape(WEB) + r"/invitations/([A-Za-z0-9_-]+)", body(message))
    assert match, body(message)
    return sent.json(), match.group(1)


def test_an_invited_colleague_becomes_editor_once(smtp_api: tuple[CatalogApi, Inbox]) -> None:
    api, inbox = smtp_api
    structure_id, admin = structure_with_admin(api)
    name = person()
    invited, colleague = f"{name}@exemple.fr", identity(name)
    sent, token = invite(api, inbox, structure_id, admin, invited, "editor")
    assert sent["email"] == invited and sent["role"] == "editor"
    assert sent["invited_by"] == f"{admin.principal.email}"  # type: ignore[attr-defined]
    message = inbox.to(invited, "invitation")[-1]
    assert "comme éditeur" in body(message) and "14 jours" in body(message)

    # The token is stored hashed only.
    with Session(api.engine) as session:
        stored = session.get(Invitation, sent["id"])
        assert stored is not None and token not in stored.model_dump_json()
        assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()

    pending = api.client.get(f"/v1/structures/{structure_id}/invitations", headers=admin)
    assert [i["email"] for i in pending.json()] == [invited]

    read = api.client.get(f"/v1/invitations/{token}", headers=colleague)
    assert read.status_code == 200, read.text
    assert read.json()["status"] == "pending" and read.json()["role"] == "editor"
    assert read.json()["structure_id"] == structure_id and invited not in read.text

    accepted = api.client.post(f"/v1/invitations/{token}/accept", headers=colleague)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["role"] == "editor" and accepted.json()["email"] == invited
    members = api.client.get(f"/v1/structures/{structure_id}/members", headers=colleague).json()
    assert {(m["email"], m["role"]) for m in members} >= {(invited, "editor")}
    # Used once: a second acceptance is refused, by anyone.
    again = api.client.post(f"/v1/invitations/{token}/accept", headers=colleague)
    assert again.status_code == 410 and "déjà été utilisée" in again.json()["detail"]
    assert api.client.get(f"/v1/invitations/{token}", headers=colleague).json()["status"] == (
        "accepted"
    )
    assert api.client.get(f"/v1/structures/{structure_id}/invitations", headers=admin).json() == []

    # The inviter is told, and the trail says it in words.
    deliver(api)
    told = inbox.wait_for(admin.principal.email, "acceptée")  # type: ignore[attr-defined]
    assert invited in body(told)
    trail = api.client.get(f"/v1/structures/{structure_id}/audit", headers=admin).json()["items"]
    summaries = [e["changes"].get("summary", [None, None])[1] for e in trail]
    assert f"{admin.principal.email} a invité {invited} comme éditeur" in summaries  # type: ignore[attr-defined]
    assert f"{invited} a accepté l'invitation comme éditeur" in summaries


def test_an_invited_admin_may_invite_in_turn(smtp_api: tuple[CatalogApi, Inbox]) -> None:
    api, inbox = smtp_api
    structure_id, admin = structure_with_admin(api)
    name = person()
    _, token = invite(api, inbox, structure_id, admin, f"{name}@exemple.fr", "admin")
    newcomer = identity(name)
    assert api.client.post(f"/v1/invitations/{token}/accept", headers=newcomer).json()["role"] == (
        "admin"
    )
    invite(api, inbox, structure_id, newcomer, f"{person()}@exemple.fr", "editor")


def test_only_admins_invite(smtp_api: tuple[CatalogApi, Inbox]) -> None:
    api, inbox = smtp_api
    structure_id, admin = structure_with_admin(api)
    other_structure, other_admin = structure_with_admin(api)
    editor_name = person()
    _, token = invite(api, inbox, structure_id, admin, f"{editor_name}@exemple.fr", "editor")
    editor = identity(editor_name)
    assert api.client.post(f"/v1/invitations/{token}/accept", headers=editor).status_code == 200
    path = f"/v1/structures/{structure_id}/invitations"
    for who in (editor, other_admin, identity(person(), Role.PUBLIC_BUYER), identity(person())):
        sent = api.client.post(path, json={"email": "x@exemple.fr", "role": "admin"}, headers=who)
        assert sent.status_code == 403, sent.text
        assert sent.headers["content-type"] == "application/problem+json"
        assert api.client.get(path, headers=who).status_code == 403
    assert api.client.post(path, json={"email": "x@exemple.fr", "role": "admin"}).status_code == 401
    # Staff may.
    staff_sent = api.client.post(
        path, json={"email": f"{person()}@exemple.fr", "role": "editor"}, headers=STAFF
    )
    assert staff_sent.status_code == 201, staff_sent.text
    # Another admin cannot revoke it through their own structure (it is not one of its
    # invitations) nor through this one.
    invitation_id = staff_sent.json()["id"]
    for who in (other_admin, STAFF):
        through_other = api.client.delete(
            f"/v1/structures/{other_structure}/invitations/{invitation_id}", headers=who
        )
        assert through_other.status_code == 404
    assert api.client.delete(f"{path}/{invitation_id}", headers=other_admin).status_code == 403
    assert [i["id"] for i in api.client.get(path, headers=admin).json()] == [invitation_id]


def test_bad_invitations_name_the_field(smtp_api: tuple[CatalogApi, Inbox]) -> None:
    api, _ = smtp_api
    structure_id, admin = structure_with_admin(api)
    path = f"/v1/structures/{structure_id}/invitations"
    for payload, field in (
        ({"email": "pas-une-adresse", "role": "editor"}, "email"),
        ({"email": "a@exemple.fr", "role": "owner"}, "role"),
        ({"role": "editor"}, "email"),
    ):
        refused = api.client.post(path, json=payload, headers=admin)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert field in refused.text
    # An address that already manages the structure: 409, whatever its case.
    member = admin.principal.email.upper()  # type: ignore[attr-defined]
    conflict = api.client.post(path, json={"email": member, "role": "editor"}, headers=admin)
    assert conflict.status_code == 409 and "gère déjà" in conflict.json()["detail"]


def test_wrong_account_cannot_accept(smtp_api: tuple[CatalogApi, Inbox]) -> None:
    api, inbox = smtp_api
    structure_id, admin = structure_with_admin(api)
    name = person()
    _, token = invite(api, inbox, structure_id, admin, f"{name}@exemple.fr", "admin")
    intruder = identity(person())
    refused = api.client.post(f"/v1/invitations/{token}/accept", headers=intruder)
    assert refused.status_code == 403
    assert f"{name[0]}***@exemple.fr" in refused.json()["detail"]
    assert f"{name}@exemple.fr" not in refused.text
    members = api.client.get(f"/v1/structures/{structure_id}/members", headers=admin).json()
    assert len(members) == 1
    # The right account still can.
    assert api.client.post(f"/v1/invitations/{token}/accept", headers=identity(name)).is_success
    # An unknown or malformed token.
    unknown = api.client.get(f"/v1/invitations/{secrets.token_urlsafe(32)}", headers=intruder)
    assert unknown.status_code == 404 and "n'existe pas" in unknown.json()["detail"]
    assert api.client.get("/v1/invitations/court", headers=intruder).status_code == 422
    assert api.client.get(f"/v1/invitations/{token}").status_code == 401


def test_revoked_and_expired_invitations_are_gone(smtp_api: tuple[CatalogApi, Inbox]) -> None:
    api, inbox = smtp_api
    structure_id, admin = structure_with_admin(api)
    path = f"/v1/structures/{structure_id}/invitations"
    revoked_name, expired_name = person(), person()
    revoked, revoked_token = invite(
        api, inbox, structure_id, admin, f"{revoked_name}@exemple.fr", "editor"
    )
    expired, expired_token = invite(
        api, inbox, structure_id, admin, f"{expired_name}@exemple.fr", "editor"
    )
    assert api.client.delete(f"{path}/{revoked['id']}", headers=admin).status_code == 204
    read = api.client.get(f"/v1/invitations/{revoked_token}", headers=identity(revoked_name))
    assert read.json()["status"] == "revoked"
    gone = api.client.post(
        f"/v1/invitations/{revoked_token}/accept", headers=identity(revoked_name)
    )
    assert gone.status_code == 410 and "annulée" in gone.json()["detail"]
    assert gone.headers["content-type"] == "application/problem+json"

    with Session(api.engine) as session:
        session.execute(
            update(Invitation)
            .where(col(Invitation.id) == expired["id"])
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
        session.commit()
    assert (
        api.client.get(f"/v1/invitations/{expired_token}", headers=identity(expired_name)).json()[
            "status"
        ]
        == "expired"
    )
    late = api.client.post(
        f"/v1/invitations/{expired_token}/accept", headers=identity(expired_name)
    )
    assert late.status_code == 410 and "expiré" in late.json()["detail"]
    assert api.client.get(path, headers=admin).json() == []
    members = api.client.get(f"/v1/structures/{structure_id}/members", headers=admin).json()
    assert len(members) == 1
    assert api.client.delete(f"{path}/999999", headers=admin).status_code == 404


def test_inviting_again_replaces_the_link(smtp_api: tuple[CatalogApi, Inbox]) -> None:
    api, inbox = smtp_api
    structure_id, admin = structure_with_admin(api)
    name = person()
    _, first = invite(api, inbox, structure_id, admin, f"{name}@exemple.fr", "editor")
    second_sent = api.client.post(
        f"/v1/structures/{structure_id}/invitations",
        json={"email": f"{name}@exemple.fr", "role": "admin"},
        headers=admin,
    )
    assert second_sent.status_code == 201
    deliver(api)
    links = [
        m.group(1)
        for message in inbox.to(f"{name}@exemple.fr", "invitation")
        if (m := re.search(r"/invitations/([A-Za-z0-9_-]+)", body(message)))
    ]
    assert len(links) == 2 and links[0] == first
    old = api.client.post(f"/v1/invitations/{first}/accept", headers=identity(name))
    assert old.status_code == 410
    new = api.client.post(f"/v1/invitations/{links[1]}/accept", headers=identity(name))
    assert new.status_code == 200 and new.json()["role"] == "admin"
