"""Saved searches and their digests on real backends: the catalog and the index of this test,
a real Meilisearch, sourcing's own database, and mail over a real SMTP server (aiosmtpd).

A baseline is never reported; a structure that gains a fitting activity (written through the
catalog, relayed to the index by its outbox) is reported once; the unsubscribe link stops the
digests without logging in; a forged link is refused."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select

from services.catalog.app import create_app as create_catalog_app
from services.common.db import make_engine, utcnow
from services.common.identity import Principal, Role
from services.common.state import state_of
from services.sourcing.alerts.digest import DigestRunner
from services.sourcing.alerts.models import SavedSearchStructure
from services.sourcing.app import create_app as create_sourcing_app
from services.sourcing.state import SourcingState
from tests.catalog.api_support import (
    SignedIdentity,
    catalog_settings,
    identity,
    start_cleaning_in_93,
)
from tests.conftest import _postgres_database, drain, rebuild
from tests.support import (
    IDENTITY_SECRET,
    Meili,
    copy_sqlite,
    free_port,
    migrate,
    sourcing_settings,
)

BUYER = identity("acheteur-alertes", Role.PUBLIC_BUYER)
OTHER = identity("autre-acheteur", Role.PRIVATE_BUYER)
NO_MAIL = SignedIdentity(Principal("sans-adresse", Role.PUBLIC_BUYER, None), IDENTITY_SECRET)
CLEANING = "nettoyage-de-locaux-16"
PARAMS = {"department": ["93"], "sector": [CLEANING], "presta_type": "PREST"}
WEBSITE = "https://marche.example"


class Inbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))  # type: ignore[arg-type]
        return "250 OK"


def text_of(message: EmailMessage) -> str:
    return str(message.get_content())  # type: ignore[attr-defined]


@dataclass
class Alerts:
    sourcing: TestClient
    catalog: TestClient
    inbox: Inbox
    catalog_engine: Engine
    meili: Meili
    index: str

    @property
    def state(self) -> SourcingState:
        return state_of(self.sourcing.app, SourcingState)  # type: ignore[arg-type]

    def digests(self) -> DigestRunner:
        state = self.state
        return DigestRunner(
            state.engine, state.search_engine, state.vocabulary, state.settings, state.mail_relay
        )

    def send_due(self, **kwargs: Any) -> int:
        return int(self.sourcing.portal.call(lambda: self.digests().send_due(**kwargs)))  # type: ignore[union-attr]

    def ids(self, **params: Any) -> set[int]:
        found: set[int] = set()
        page = 1
        while True:
            answer = self.sourcing.get(
                "/v1/search", params={**params, "per_page": 100, "page": page}
            ).json()
            found |= {hit["id"] for hit in answer["hits"]}
            if page >= answer["total_pages"]:
                return found
            page += 1

    def give_cleaning_in_93(self, structure: dict[str, Any]) -> None:
        """A structure elsewhere starts cleaning offices in the 93, through the catalog's API
        (its manager claimed it, staff accepted); the outbox is relayed to the index."""
        start_cleaning_in_93(self.catalog, structure, CLEANING)
        asyncio.run(drain(self.catalog_engine, self.meili, self.index))


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def alerts(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    loaded_sqlite_catalog: Engine,
    meili: Meili,
    run_id: str,
) -> Iterator[Alerts]:
    """Sourcing's database on each backend in turn; the catalog's is a copy of the real data."""
    backend = str(request.param)
    database: dict[str, object] = {}
    databases: Iterator[str] = iter(())
    if backend == "postgres":
        request.applymarker(pytest.mark.postgres)
        databases = _postgres_database(request.getfixturevalue("postgres_server"))
        database["database_url"] = next(databases)
        migrate(str(database["database_url"]), "sourcing")
    folder = tmp_path_factory.mktemp(f"alerts_{backend}")
    url = copy_sqlite(loaded_sqlite_catalog, folder / "catalog.db")
    engine = make_engine(url)
    index = f"test_{run_id}_alerts_{backend}"
    asyncio.run(rebuild(engine, meili, index))
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
        web_url=WEBSITE,
        # Every daily search is due at each pass; weekly ones keep their week.
        digest_daily_after_s=0.001,
        **database,
    )
    with catalog, TestClient(create_sourcing_app(settings)) as sourcing:  # type: ignore[arg-type]
        yield Alerts(sourcing, catalog, inbox, engine, meili, index)
    smtp.stop()
    engine.dispose()
    for _ in databases:  # drops the PostgreSQL database
        pass


def _newcomer(alerts: Alerts, known: set[int]) -> dict[str, Any]:
    """A structure of Paris with a SIRET that the saved search does not find."""
    hits = alerts.sourcing.get("/v1/search", params={"department": "75", "per_page": 100}).json()
    return next(h for h in hits["hits"] if h["id"] not in known and h["siret"])


def _reported(alerts: Alerts, saved_search_id: int) -> int:
    with Session(alerts.state.engine) as session:
        return session.exec(
            select(func.count())
            .select_from(SavedSearchStructure)
            .where(
                SavedSearchStructure.saved_search_id == saved_search_id,
                SavedSearchStructure.reported_at.is_not(None),  # type: ignore[union-attr]
            )
        ).one()


def test_digest_reports_newcomers_once_and_the_link_unsubscribes(alerts: Alerts) -> None:
    baseline = alerts.ids(department="93", sector=CLEANING, presta_type="PREST")
    assert baseline, "the data must hold cleaners serving the 93"
    created = alerts.sourcing.post(
        "/v1/saved-searches",
        json={"name": "Nettoyage 93", "params": PARAMS, "frequency": "daily"},
        headers=BUYER,
    )
    assert created.status_code == 201, created.text
    saved = created.json()
    assert saved["params"] == {"department": ["93"], "sector": [CLEANING], "presta_type": ["PREST"]}
    assert saved["email"] == "acheteur-alertes@exemple.fr"
    assert saved["search_url"] == f"{WEBSITE}/recherche?{saved['query']}"

    # The baseline is not news: nothing is mailed.
    assert alerts.send_due() == 0
    assert alerts.inbox.messages == []

    newcomer = _newcomer(alerts, baseline)
    alerts.give_cleaning_in_93(newcomer)
    assert newcomer["id"] in alerts.ids(department="93", sector=CLEANING, presta_type="PREST")
    assert alerts.send_due() == 1
    assert len(alerts.inbox.messages) == 1
    mail = alerts.inbox.messages[0]
    assert mail["To"] == "acheteur-alertes@exemple.fr"
    assert "Nettoyage 93" in str(mail["Subject"])
    body = text_of(mail)
    assert newcomer["name"] in body
    assert f"{WEBSITE}/structures/{newcomer['id']}" in body
    assert f"{WEBSITE}/recherche?{saved['query']}" in body
    # Only the newcomer: no structure of the baseline is named.
    assert re.findall(r"/structures/(\d+)", body) == [str(newcomer["id"])]

    # A second run finds the newcomer again, and says nothing.
    assert alerts.send_due() == 0
    assert len(alerts.inbox.messages) == 1
    assert _reported(alerts, saved["id"]) == 1

    link = re.search(r"(https://\S+/alertes/desinscription\?token=\S+)", body)
    assert link is not None
    token = parse_qs(urlsplit(link.group(1)).query)["token"][0]
    # Without logging in: no identity header at all.
    described = alerts.sourcing.get("/v1/alerts/unsubscribe", params={"token": token})
    assert described.status_code == 200, described.text
    assert described.json()["subscribed"] is True
    assert "Nettoyage 93" in described.json()["message"]
    assert described.json()["email"] == "a***@exemple.fr"
    # Describing changes nothing.
    assert (
        alerts.sourcing.get(f"/v1/saved-searches/{saved['id']}", headers=BUYER).json()["frequency"]
        == "daily"
    )
    for _ in range(2):  # idempotent
        stopped = alerts.sourcing.post("/v1/alerts/unsubscribe", json={"token": token})
        assert stopped.status_code == 200, stopped.text
        assert stopped.json()["subscribed"] is False and stopped.json()["frequency"] == "none"

    later = _newcomer(alerts, alerts.ids(department="93", sector=CLEANING, presta_type="PREST"))
    alerts.give_cleaning_in_93(later)
    assert alerts.send_due() == 0
    assert len(alerts.inbox.messages) == 1
    assert (
        alerts.sourcing.get(f"/v1/saved-searches/{saved['id']}", headers=BUYER).json()["frequency"]
        == "none"
    )


def test_forged_and_foreign_tokens_are_refused(alerts: Alerts) -> None:
    saved = alerts.sourcing.post(
        "/v1/saved-searches",
        json={"name": "Traiteurs", "params": "q=traiteur&department=69", "frequency": "weekly"},
        headers=BUYER,
    ).json()
    forged = [
        f"{saved['id']}.{'A' * 43}",
        "not-a-token-at-all",
        f"{saved['id'] + 1000}.{'B' * 43}",
    ]
    for token in forged:
        for answer in (
            alerts.sourcing.get("/v1/alerts/unsubscribe", params={"token": token}),
            alerts.sourcing.post("/v1/alerts/unsubscribe", json={"token": token}),
        ):
            assert answer.status_code == 401, answer.text
            assert answer.headers["content-type"].startswith("application/problem+json")
            assert "désinscription" in answer.json()["detail"]
    assert (
        alerts.sourcing.get(f"/v1/saved-searches/{saved['id']}", headers=BUYER).json()["frequency"]
        == "weekly"
    )


def test_weekly_digests_wait_their_week(alerts: Alerts) -> None:
    saved = alerts.sourcing.post(
        "/v1/saved-searches",
        json={"name": "Espaces verts 13", "params": {"department": "13"}, "frequency": "weekly"},
        headers=BUYER,
    ).json()
    runner = alerts.digests()
    soon = {row.id for row in runner.due(utcnow() + timedelta(days=6))}
    later = {row.id for row in runner.due(utcnow() + timedelta(days=8))}
    assert saved["id"] not in soon and saved["id"] in later


def test_bad_parameters_are_422_naming_the_field(alerts: Alerts) -> None:
    cases = [
        ({"department": "999"}, "params.department"),
        ({"radius_km": 0, "lat": 48.8, "lng": 2.3}, "params.radius_km"),
        ({"colour": "bleu"}, "params.colour"),
        ("sector=pas-un-secteur", "params.sector"),
        ({"page": 2}, "params.page"),
        ({"lat": 48.8}, "params.lng"),
        ({"q": "x" * 201}, "params.q"),
        ({"label": [f"label-{n}-" + "x" * 90 for n in range(50)]}, "params"),
    ]
    for params, field in cases:
        answer = alerts.sourcing.post(
            "/v1/saved-searches", json={"name": "Mauvaise", "params": params}, headers=BUYER
        )
        assert answer.status_code == 422, (params, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
        fields = [e["field"] for e in answer.json()["errors"]]
        assert fields == [field], (params, answer.json())
    long_name = alerts.sourcing.post(
        "/v1/saved-searches", json={"name": "n" * 101, "params": {}}, headers=BUYER
    )
    assert long_name.status_code == 422 and long_name.json()["errors"][0]["field"] == "name"
    frequency = alerts.sourcing.post(
        "/v1/saved-searches",
        json={"name": "Sans adresse", "params": {"department": "93"}, "frequency": "daily"},
        headers=NO_MAIL,
    )
    assert frequency.status_code == 422 and frequency.json()["errors"][0]["field"] == "frequency"
    assert "e-mail" in frequency.json()["errors"][0]["detail"]


def test_saved_searches_belong_to_their_owner(alerts: Alerts) -> None:
    body = {"name": "Mienne", "params": {"department": "75", "kind": "EA"}, "frequency": "none"}
    mine = alerts.sourcing.post("/v1/saved-searches", json=body, headers=BUYER)
    assert mine.status_code == 201, mine.text
    again = alerts.sourcing.post(
        "/v1/saved-searches", json={**body, "name": " MIENNE "}, headers=BUYER
    )
    assert again.status_code == 409 and "Mienne" in again.json()["detail"]
    # Another account may use the same name, and does not see mine.
    assert alerts.sourcing.post("/v1/saved-searches", json=body, headers=OTHER).status_code == 201
    saved_id = mine.json()["id"]
    for method in ("GET", "DELETE"):
        answer = alerts.sourcing.request(method, f"/v1/saved-searches/{saved_id}", headers=OTHER)
        assert answer.status_code == 404, answer.text
    patched = alerts.sourcing.patch(
        f"/v1/saved-searches/{saved_id}", json={"frequency": "weekly"}, headers=OTHER
    )
    assert patched.status_code == 404
    assert saved_id not in {
        s["id"] for s in alerts.sourcing.get("/v1/saved-searches", headers=OTHER).json()
    }
    renamed = alerts.sourcing.patch(
        f"/v1/saved-searches/{saved_id}",
        json={"name": "Entreprises adaptées de Paris", "params": "department=75&kind=EA,ESAT"},
        headers=BUYER,
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["params"]["kind"] == ["EA,ESAT"]
    assert renamed.json()["frequency"] == "none"
    cleared = alerts.sourcing.patch(
        f"/v1/saved-searches/{saved_id}", json={"name": None}, headers=BUYER
    )
    assert cleared.status_code == 422 and cleared.json()["errors"][0]["field"] == "name"
    assert (
        alerts.sourcing.delete(f"/v1/saved-searches/{saved_id}", headers=BUYER).status_code == 204
    )
    assert alerts.sourcing.get(f"/v1/saved-searches/{saved_id}", headers=BUYER).status_code == 404
    assert alerts.sourcing.get("/v1/saved-searches").status_code == 401
