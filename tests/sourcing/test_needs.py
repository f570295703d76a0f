"""Buyers' needs end to end: matching with scores and reasons, notifications over a real SMTP
server (exactly once), signed answer links (expired, tampered), answers read back and exported."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services.catalog.app import create_app as create_catalog_app
from services.common.db import make_engine
from services.common.errors import Conflict, Forbidden
from services.common.identity import Principal, Role
from services.common.state import state_of
from services.sourcing.app import create_app as create_sourcing_app
from services.sourcing.needs import service
from services.sourcing.needs.directory import CatalogDirectory
from services.sourcing.needs.links import make_token
from services.sourcing.needs.models import NeedStatus
from services.sourcing.needs.schemas import NeedCreate
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.state import SourcingState
from tests.catalog.api_support import STAFF, SignedIdentity, catalog_settings, identity
from tests.conftest import drain
from tests.support import (
    DATA,
    IDENTITY_SECRET,
    Meili,
    free_port,
    load_catalog,
    migrate,
    sourcing_settings,
)

BUYER = identity("buyer-1", Role.PUBLIC_BUYER)
OTHER_BUYER = identity("buyer-2", Role.PUBLIC_BUYER)
CLEANING = "nettoyage-de-locaux-16"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[attr-defined,arg-type]
        return "250 OK"


@dataclass
class Market:
    sourcing: TestClient
    catalog: TestClient
    inbox: Inbox
    managed: dict[int, SignedIdentity]
    engine: Engine
    index: str

    def deliver(self) -> int:
        relay = state_of(self.sourcing.app, SourcingState).mail_relay  # type: ignore[arg-type]
        return int(relay.deliver_pending())

    def run(self, reminders: bool = False) -> int:
        runner = state_of(self.sourcing.app, SourcingState).runner  # type: ignore[arg-type]
        return int(self.sourcing.portal.call(runner.notify_pending, reminders))  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def market(tmp_path_factory: pytest.TempPathFactory, meili: Meili, run_id: str) -> Iterator[Market]:
    folder = tmp_path_factory.mktemp("needs")
    url = f"sqlite:///{folder / 'catalog.db'}"
    engine = load_catalog(url)
    index = f"test_{run_id}_needs"
    asyncio.run(drain(engine, meili, index))
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    catalog = TestClient(
        create_catalog_app(catalog_settings(url, folder / "mail", meili.url, meili.key, index))
    )
    settings = sourcing_settings(
        meili.url,
        meili.key,
        index,
        folder,
        mail_backend="smtp",
        smtp_port=smtp.port,
        reminder_after_hours=1e-7,
    )
    with catalog, TestClient(create_sourcing_app(settings)) as sourcing:  # type: ignore[arg-type]
        # The catalog in-process, reached over HTTP semantics through its ASGI app.
        transport = httpx.ASGITransport(app=catalog.app)
        directory = CatalogDirectory(
            httpx.AsyncClient(transport=transport, base_url="http://catalog"), IDENTITY_SECRET
        )
        state_of(sourcing.app, SourcingState).runner.directory = directory  # type: ignore[arg-type]
        hits = sourcing.get(
            "/v1/search", params={"sector": CLEANING, "department": "93", "per_page": 2}
        ).json()["hits"]
        managed = {}
        for hit in hits:
            manager = identity(f"gerant-{hit['id']}")
            claim = catalog.post(
                "/v1/claims",
                json={"siret": hit["siret"], "structure_id": hit["id"]},
                headers=manager,
            )
            assert claim.status_code == 201, claim.text
            assert (
                catalog.post(f"/v1/claims/{claim.json()['id']}/accept", headers=STAFF).status_code
                == 200
            )
            managed[hit["id"]] = manager
        yield Market(sourcing, catalog, inbox, managed, engine, index)
    smtp.stop()
    engine.dispose()


NEED = {
    "kind": "appel_offres",
    "title": "Nettoyage des locaux de la mairie",
    "description": "Entretien quotidien de 2 000 m² de bureaux, marché de 3 ans.",
    "sectors": [CLEANING],
    "place": {"level": "departement", "code": "93"},
    "presta_types": ["PREST"],
    "questions": ["Pouvez-vous intervenir le samedi ?"],
    "deadline": "2027-01-31",
    "publish": True,
}


@pytest.fixture(scope="module")
def need(market: Market) -> dict[str, object]:
    response = market.sourcing.post("/v1/needs", json=NEED, headers=BUYER)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _links(market: Market) -> dict[str, str]:
    found = {}
    for message in market.inbox.messages:
        match = re.search(r"/api/v1/answers/(\S+)", message.get_content())
        if match:
            found[str(message["To"])] = match.group(1)
    return found


def test_publication_matches_at_once_with_scores_and_reasons(
    market: Market, need: dict[str, object]
) -> None:
    assert need["status"] == "published" and need["matches"] > 0
    matches = market.sourcing.get(f"/v1/needs/{need['id']}/matches", headers=BUYER).json()
    scores = [m["score"] for m in matches]
    assert scores == sorted(scores, reverse=True)
    assert set(market.managed) <= {m["structure_id"] for m in matches}
    for match in matches:
        kinds = {r["kind"] for r in match["reasons"]}
        assert "score" in kinds and ({"activity", "located"} & kinds)
        parts = next(r["parts"] for r in match["reasons"] if r["kind"] == "score")
        assert abs(sum(parts.values()) - match["score"]) < 0.2


def test_managers_are_told_once_over_smtp(market: Market, need: dict[str, object]) -> None:
    market.deliver()
    told = {str(m["To"]) for m in market.inbox.messages}
    assert {f"gerant-{sid}@exemple.fr" for sid in market.managed} <= told
    before = len(market.inbox.messages)
    assert market.run() == 0  # nothing left to notify
    market.deliver()
    assert len(market.inbox.messages) == before


def _join(market: Market, structure_id: int) -> SignedIdentity:
    """A manager claims the structure and staff accept."""
    siret = market.catalog.get(f"/v1/structures/{structure_id}").json()["siret"]
    manager = identity(f"gerant-{structure_id}")
    claim = market.catalog.post(
        "/v1/claims", json={"siret": siret, "structure_id": structure_id}, headers=manager
    )
    assert claim.status_code == 201, claim.text
    accepted = market.catalog.post(f"/v1/claims/{claim.json()['id']}/accept", headers=STAFF)
    assert accepted.status_code == 200, accepted.text
    return manager


def test_a_manager_who_joins_later_is_told_once(market: Market) -> None:
    """A matched structure without managers is not marked told: staff see it *to tell*, and the
    first runner pass after a manager joins mails that manager, once."""
    facets = market.sourcing.get("/v1/search", params={"department": "93", "per_page": 1}).json()
    sector = max(
        (s for s in facets["facets"]["sector"] if s != CLEANING),
        key=lambda s: facets["facets"]["sector"][s],
    )
    published = market.sourcing.post(
        "/v1/needs",
        json={**NEED, "sectors": [sector], "presta_types": [], "title": "Besoin sans gérant"},
        headers=BUYER,
    )
    assert published.status_code == 201, published.text
    need = published.json()
    market.deliver()
    matches = market.sourcing.get(f"/v1/needs/{need['id']}/matches", headers=BUYER).json()
    orphans = [m for m in matches if m["structure_id"] not in market.managed]
    assert orphans and not any(m["notified"] for m in orphans)
    untold = market.sourcing.get("/v1/staff/untold", params={"limit": 1000}, headers=STAFF)
    assert untold.status_code == 200, untold.text
    listed = {(u["need_id"], u["structure_id"]) for u in untold.json()}
    assert {(need["id"], m["structure_id"]) for m in orphans} <= listed
    assert market.sourcing.get("/v1/staff/untold", headers=BUYER).status_code == 403

    joiner = next(
        m["structure_id"]
        for m in orphans
        if market.catalog.get(f"/v1/structures/{m['structure_id']}").json()["siret"]
    )
    address = f"gerant-{joiner}@exemple.fr"
    _join(market, joiner)
    before = len(market.inbox.messages)
    assert market.run() == 1
    assert market.run() == 0
    market.deliver()
    told = [m for m in market.inbox.messages[before:] if str(m["To"]) == address]
    assert len(told) == 1 and "Besoin sans gérant" in str(told[0]["Subject"])
    content = told[0].get_content()
    assert re.search(r"^http://127\.0\.0\.1:8000/api/v1/answers/[\w.-]{20,}\s", content, re.M)
    assert f"/api/v1/structures/{joiner}/needs/{need['id']}" in content
    still = market.sourcing.get("/v1/staff/untold", params={"limit": 1000}, headers=STAFF).json()
    assert (need["id"], joiner) not in {(u["need_id"], u["structure_id"]) for u in still}
    closed = market.sourcing.post(f"/v1/needs/{need['id']}/close", headers=BUYER)
    assert closed.status_code == 200


def test_answer_through_the_signed_link(market: Market, need: dict[str, object]) -> None:
    structure_id = next(iter(market.managed))
    token = _links(market)[f"gerant-{structure_id}@exemple.fr"]
    seen = market.sourcing.get(f"/v1/answers/{token}")
    assert seen.status_code == 200 and seen.json()["questions"] == NEED["questions"]
    assert "buyer" not in seen.text  # no buyer contact through the link
    bad = market.sourcing.post(f"/v1/answers/{token}", json={"status": "not_interested"})
    assert bad.status_code == 422
    ok = market.sourcing.post(
        f"/v1/answers/{token}",
        json={
            "status": "interested",
            "answers": {"0": "Oui"},
            "contact_email": "=contact@structure.fr",
        },
    )
    assert ok.status_code == 200, ok.text
    answers = market.sourcing.get(f"/v1/needs/{need['id']}/answers", headers=BUYER).json()
    assert [a["status"] for a in answers] == ["interested"]
    exported = market.sourcing.get(
        f"/v1/needs/{need['id']}/answers", params={"format": "csv"}, headers=BUYER
    )
    assert "Pouvez-vous intervenir le samedi ?" in exported.text and "intéressée" in exported.text
    assert "'=contact@structure.fr" in exported.text  # formula injection escaped
    assert market.sourcing.get(f"/v1/needs/{need['id']}", headers=BUYER).json()["answers"] == {
        "interested": 1
    }


def test_expired_and_tampered_links(market: Market, need: dict[str, object]) -> None:
    structure_id = next(iter(market.managed))
    expired = make_token(IDENTITY_SECRET, int(need["id"]), structure_id, -10)  # type: ignore[arg-type]
    assert market.sourcing.get(f"/v1/answers/{expired}").status_code == 410
    token = _links(market)[f"gerant-{structure_id}@exemple.fr"]
    need_id, sid, expires, mac = token.split(".")
    forged = f"{need_id}.{int(sid) + 1}.{expires}.{mac}"
    assert market.sourcing.get(f"/v1/answers/{forged}").status_code == 401
    other_secret = make_token("another-secret", int(need_id), int(sid), 3600)
    assert (
        market.sourcing.post(
            f"/v1/answers/{other_secret}", json={"status": "interested"}
        ).status_code
        == 401
    )
    assert market.sourcing.get("/v1/answers/not-a-token-at-all").status_code == 401


def test_reminders_go_to_the_unopened_with_a_cap(market: Market, need: dict[str, object]) -> None:
    opened = next(iter(market.managed))  # answered in an earlier test
    silent = [sid for sid in market.managed if sid != opened]
    before = len(market.inbox.messages)
    market.run(reminders=True)
    market.run(reminders=True)
    market.run(reminders=True)  # the cap is 2
    market.deliver()
    reminders = [
        m for m in market.inbox.messages[before:] if str(m["Subject"]).startswith("Rappel")
    ]
    recipients = [str(m["To"]) for m in reminders]
    assert f"gerant-{opened}@exemple.fr" not in recipients
    for sid in silent:
        assert recipients.count(f"gerant-{sid}@exemple.fr") == 2


def test_needs_belong_to_their_buyer(market: Market, need: dict[str, object]) -> None:
    assert market.sourcing.get(f"/v1/needs/{need['id']}", headers=OTHER_BUYER).status_code == 404
    assert (
        market.sourcing.get(f"/v1/needs/{need['id']}/answers", headers=OTHER_BUYER).status_code
        == 404
    )
    supplier = identity("gerant-x")
    assert market.sourcing.post("/v1/needs", json=NEED, headers=supplier).status_code == 403
    assert market.sourcing.post("/v1/needs", json=NEED).status_code == 401


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"sectors": ["inconnu"]}, "/body/sectors/0"),
        ({"cpv_codes": ["99999999"]}, "/body/cpv_codes/0"),
        ({"place": {"level": "departement", "code": "00"}}, "/body/place/code"),
        ({"sectors": [], "cpv_codes": []}, "/body/sectors"),
        ({"amount_min_eur": 10, "amount_max_eur": 5}, "/body/amount_min_eur"),
        ({"kind": "autre"}, "/body/kind"),
        ({"colour": "red"}, "/body/colour"),
    ],
)
def test_invalid_needs_name_the_field(
    market: Market, change: dict[str, object], pointer: str
) -> None:
    response = market.sourcing.post(
        "/v1/needs", json={**NEED, **change, "publish": False}, headers=BUYER
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["pointer"] == pointer


def test_cpv_need_and_closing(market: Market) -> None:
    created = market.sourcing.post(
        "/v1/needs",
        json={
            **NEED,
            "sectors": [],
            "cpv_codes": ["90911200"],
            "title": f"Vitrerie {secrets.token_hex(2)}",
        },
        headers=BUYER,
    ).json()
    assert created["matches"] > 0
    closed = market.sourcing.post(f"/v1/needs/{created['id']}/close", headers=BUYER)
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert (
        market.sourcing.post(f"/v1/needs/{created['id']}/close", headers=BUYER).status_code == 409
    )


def test_later_catalog_changes_are_matched_and_told(
    market: Market, need: dict[str, object], meili: Meili
) -> None:
    """A structure that declares a fitting activity after publication is matched by the next cycle."""
    known = {
        m["structure_id"]
        for m in market.sourcing.get(f"/v1/needs/{need['id']}/matches", headers=BUYER).json()
    }
    newcomer = next(
        h
        for h in market.sourcing.get(
            "/v1/search", params={"department": "93", "per_page": 100}
        ).json()["hits"]
        if h["id"] not in known and h["siret"]
    )
    manager = identity(f"gerant-{newcomer['id']}")
    claim = market.catalog.post(
        "/v1/claims",
        json={"siret": newcomer["siret"], "structure_id": newcomer["id"]},
        headers=manager,
    )
    market.catalog.post(f"/v1/claims/{claim.json()['id']}/accept", headers=STAFF)
    added = market.catalog.post(
        f"/v1/structures/{newcomer['id']}/activities",
        json={
            "sector": CLEANING,
            "presta_types": ["PREST"],
            "range": "zones",
            "zones": [{"type": "departement", "code": "93"}],
        },
        headers=manager,
    )
    assert added.status_code == 201, added.text
    asyncio.run(drain(market.engine, meili, market.index))
    runner = state_of(market.sourcing.app, SourcingState).runner  # type: ignore[arg-type]
    market.sourcing.portal.call(runner.cycle)  # type: ignore[union-attr]
    matched = {
        m["structure_id"]
        for m in market.sourcing.get(f"/v1/needs/{need['id']}/matches", headers=BUYER).json()
    }
    assert newcomer["id"] in matched
    assert f"gerant-{newcomer['id']}@exemple.fr" in {str(m["To"]) for m in market.inbox.messages}


def test_staff_moderation_before_publication(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'sourcing.db'}"
    migrate(url, "sourcing")
    engine = make_engine(url)
    vocabulary = SearchVocabulary.load(DATA)
    buyer = Principal("buyer-9", Role.PRIVATE_BUYER, "achats@entreprise.fr")
    staff = Principal("staff-9", Role.STAFF)
    with Session(engine) as session:
        need = service.create_need(
            session, buyer, NeedCreate.model_validate(NEED), vocabulary, moderation=True
        )
        assert need.status == NeedStatus.MODERATION and need.published_at is None
        with pytest.raises(Forbidden):
            service.publish(session, buyer, need, moderation=True)
        service.publish(session, staff, need, moderation=True)
        assert need.status == NeedStatus.PUBLISHED and need.published_at is not None
        service.change_status(session, need, NeedStatus.CANCELLED)
        with pytest.raises(Conflict):
            service.publish(session, staff, need, moderation=True)
    engine.dispose()


def _published(market: Market, **changes: object) -> tuple[dict[str, object], str]:
    response = market.sourcing.post("/v1/needs", json={**NEED, **changes}, headers=BUYER)
    assert response.status_code == 201, response.text
    return response.json(), response.headers["etag"]


def test_editing_a_need_needs_the_etag_and_its_owner(market: Market) -> None:
    created, etag = _published(market, title="Besoin à modifier", publish=False)
    path = f"/v1/needs/{created['id']}"
    assert etag == f'"v{created["version"]}"'
    assert market.sourcing.get(path, headers=BUYER).headers["etag"] == etag
    missing = market.sourcing.patch(path, json={"title": "Nouveau titre"}, headers=BUYER)
    assert missing.status_code == 428
    foreign = market.sourcing.patch(
        path, json={"title": "Nouveau titre"}, headers={**OTHER_BUYER, "if-match": etag}
    )
    assert foreign.status_code == 404
    changed = market.sourcing.patch(
        path, json={"title": "Nouveau titre", "deadline": None}, headers={**BUYER, "if-match": etag}
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Nouveau titre" and changed.json()["deadline"] is None
    assert changed.headers["etag"] != etag
    same = market.sourcing.patch(
        path,
        json={"title": "Nouveau titre"},
        headers={**BUYER, "if-match": changed.headers["etag"]},
    )
    assert same.status_code == 200 and same.headers["etag"] == changed.headers["etag"]
    stale = market.sourcing.patch(
        path, json={"title": "Encore"}, headers={**BUYER, "if-match": etag}
    )
    assert stale.status_code == 412
    by_staff = market.sourcing.patch(
        path, json={"title": "Par l'équipe"}, headers={**STAFF, "if-match": changed.headers["etag"]}
    )
    assert by_staff.status_code == 200, by_staff.text
    cancelled = market.sourcing.post(f"{path}/cancel", headers=BUYER)
    refused = market.sourcing.patch(
        path,
        json={"title": "Trop tard"},
        headers={**BUYER, "if-match": f'"v{cancelled.json()["version"]}"'},
    )
    assert refused.status_code == 409


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"deadline": "2020-01-31"}, "/body/deadline"),
        ({"details": {"contact_email": "pas-une-adresse"}}, "/body/details/contact_email"),
        ({"title": None}, "/body/title"),
        ({"amount_min_eur": 9, "amount_max_eur": 5}, "/body/amount_min_eur"),
        ({"sectors": ["inconnu"]}, "/body/sectors/0"),
    ],
)
def test_bad_edits_and_deposits_name_the_field(
    market: Market, change: dict[str, object], pointer: str
) -> None:
    created, etag = _published(market, title="Besoin à corriger", publish=False)
    edited = market.sourcing.patch(
        f"/v1/needs/{created['id']}", json=change, headers={**BUYER, "if-match": etag}
    )
    assert edited.status_code == 422, edited.text
    assert edited.json()["errors"][0]["pointer"] == pointer
    if "title" not in change and "amount_min_eur" not in change:
        deposited = market.sourcing.post(
            "/v1/needs", json={**NEED, **change, "publish": False}, headers=BUYER
        )
        assert deposited.status_code == 422, deposited.text
        assert deposited.json()["errors"][0]["pointer"] == pointer


def test_a_published_need_moved_elsewhere_is_matched_again(market: Market) -> None:
    """New matches appear; the told ones that no longer fit stay, marked; the untold ones go."""
    created, etag = _published(market, title="Besoin qui déménage")
    market.deliver()
    path = f"/v1/needs/{created['id']}"
    before = {
        m["structure_id"]: m for m in market.sourcing.get(f"{path}/matches", headers=BUYER).json()
    }
    assert set(market.managed) <= {sid for sid, m in before.items() if m["notified"]}

    def suppliers(department: str) -> set[int]:
        found = market.sourcing.get(
            "/v1/search",
            params={
                "sector": CLEANING,
                "department": department,
                "presta_type": "PREST",
                "per_page": 100,
            },
        ).json()
        assert found["total"] <= 100
        return {h["id"] for h in found["hits"]}

    department, expected = next(
        (d, ids)
        for d in ("13", "69", "75", "59", "33", "31")
        if (ids := suppliers(d)) and not set(market.managed) <= ids
    )
    moved = market.sourcing.patch(
        path,
        json={"place": {"level": "departement", "code": department}},
        headers={**BUYER, "if-match": etag},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["place_code"] == department
    after = {
        m["structure_id"]: m for m in market.sourcing.get(f"{path}/matches", headers=BUYER).json()
    }
    assert {sid for sid, m in after.items() if m["fits"]} == expected
    assert moved.json()["matches"] == len(after)
    for sid, match in before.items():
        if sid in expected:
            continue
        if match["notified"]:
            assert after[sid]["fits"] is False
        else:
            assert sid not in after
    assert any(not m["fits"] for m in after.values())


def test_managers_read_and_answer_their_needs_while_logged_in(
    market: Market, need: dict[str, object]
) -> None:
    """The structure's space: its open needs, each one's content and the answer form, with the
    manager's own identity instead of the e-mailed link; another manager is refused."""
    structure_id, manager = list(market.managed.items())[-1]
    other_id, other = next(iter(market.managed.items()))
    assert other_id != structure_id
    listed = market.sourcing.get(f"/v1/structures/{structure_id}/needs", headers=manager)
    assert listed.status_code == 200, listed.text
    assert need["id"] in {n["need_id"] for n in listed.json()}
    path = f"/v1/structures/{structure_id}/needs/{need['id']}"
    read = market.sourcing.get(path, headers=manager)
    assert read.status_code == 200, read.text
    assert read.json()["description"] == NEED["description"]
    assert read.json()["questions"] == NEED["questions"]
    for who in (other, BUYER, identity("gerant-inconnu")):
        assert market.sourcing.get(path, headers=who).status_code == 403
        assert (
            market.sourcing.get(f"/v1/structures/{structure_id}/needs", headers=who).status_code
            == 403
        )
    assert market.sourcing.get(path).status_code == 401
    refused = market.sourcing.post(
        f"{path}/answer", json={"status": "not_interested"}, headers=manager
    )
    assert refused.status_code == 422
    answered = market.sourcing.post(
        f"{path}/answer",
        json={"status": "groupement", "answers": {"0": "Oui, avec un partenaire"}},
        headers=manager,
    )
    assert answered.status_code == 200, answered.text
    answers = market.sourcing.get(f"/v1/needs/{need['id']}/answers", headers=BUYER).json()
    assert {a["structure_id"]: a["status"] for a in answers}[structure_id] == "groupement"
    after = market.sourcing.get(f"/v1/structures/{structure_id}/needs", headers=manager).json()
    assert next(n for n in after if n["need_id"] == need["id"])["answer"] == "groupement"
    unmatched = market.sourcing.get(f"/v1/structures/{structure_id}/needs/999999", headers=manager)
    assert unmatched.status_code == 404


def test_matches_export_as_csv(market: Market, need: dict[str, object]) -> None:
    """One row per matched structure with score, reasons, answer status and answer; the
    answers a structure typed cannot run as spreadsheet formulas."""
    path = f"/v1/needs/{need['id']}/matches"
    listed = market.sourcing.get(path, headers=BUYER).json()
    exported = market.sourcing.get(path, params={"format": "csv"}, headers=BUYER)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff")), delimiter=";"))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Structure", "Identifiant", "Score"]
    assert "Pouvez-vous intervenir le samedi ?" in header and "Réponse" in header
    assert [int(r[1]) for r in body] == [m["structure_id"] for m in listed]
    by_id = {int(r[1]): dict(zip(header, r, strict=True)) for r in body}
    answered = next(iter(market.managed))  # answered through its link in an earlier test
    assert by_id[answered]["Réponse"] == "intéressée"
    assert by_id[answered]["Contact"] == "'=contact@structure.fr"
    assert by_id[answered]["Raisons"] and by_id[answered]["Prévenue"] == "oui"
    by_accept = market.sourcing.get(path, headers={**BUYER, "accept": "text/csv"})
    assert by_accept.text == exported.text
    assert (
        market.sourcing.get(path, params={"format": "csv"}, headers=OTHER_BUYER).status_code == 404
    )
    assert market.sourcing.get(path, params={"format": "pdf"}, headers=BUYER).status_code == 422


class CountingDirectory(CatalogDirectory):
    """The real directory, recording which structures' managers it was asked for."""

    def __init__(self, inner: CatalogDirectory) -> None:
        super().__init__(inner.client, inner.secret)
        self.asked: list[int] = []

    async def manager_emails(self, structure_id: int) -> list[str]:
        self.asked.append(structure_id)
        return await super().manager_emails(structure_id)


def test_publishing_asks_only_for_its_own_structures(market: Market) -> None:
    """The buyer's request tells its own need's structures; it does not wait on every structure
    without managers matched by earlier needs (the background pass retries those)."""
    state = state_of(market.sourcing.app, SourcingState)  # type: ignore[arg-type]
    real = state.runner.directory
    counting = CountingDirectory(real)
    state.runner.directory = counting
    try:
        created, _ = _published(market, title="Besoin qui ne regarde que lui")
    finally:
        state.runner.directory = real
    matches = market.sourcing.get(f"/v1/needs/{created['id']}/matches", headers=BUYER).json()
    assert counting.asked and set(counting.asked) <= {m["structure_id"] for m in matches}
    assert len(counting.asked) == len(set(counting.asked))  # once per structure


def test_a_manager_lists_the_needs_of_every_structure_they_manage(
    market: Market, need: dict[str, object]
) -> None:
    """`/v1/me/needs`: the catalog says which structures the account manages; each open need
    comes with the structure it was sent to. Nobody else's structures show."""
    structure_id, manager = next(iter(market.managed.items()))
    mine = market.sourcing.get("/v1/me/needs", headers=manager)
    assert mine.status_code == 200, mine.text
    rows = mine.json()
    assert rows and {r["structure_id"] for r in rows} == {structure_id}
    assert need["id"] in {r["need_id"] for r in rows}
    own = market.sourcing.get(f"/v1/structures/{structure_id}/needs", headers=manager).json()
    assert sorted(r["need_id"] for r in rows) == sorted(r["need_id"] for r in own)
    assert all(r["structure_name"] for r in rows)
    deadlines = [r["deadline"] or "9999" for r in rows]
    assert deadlines == sorted(deadlines)
    nobody = market.sourcing.get("/v1/me/needs", headers=identity("gerant-de-rien"))
    assert nobody.status_code == 200 and nobody.json() == []
    assert market.sourcing.get("/v1/me/needs").status_code == 401
