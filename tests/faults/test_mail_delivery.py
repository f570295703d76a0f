"""Notifications of a published need while the SMTP server is down, then back, then dropping
mid-batch: every mail stays queued until a server accepts it, and each goes out exactly once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from services.catalog.app import create_app as create_catalog_app
from services.common.db import make_engine
from services.common.identity import Role
from services.common.mail import MAX_ATTEMPTS, OutgoingMail
from services.common.state import state_of
from services.sourcing.app import create_app as create_sourcing_app
from services.sourcing.needs.directory import CatalogDirectory
from services.sourcing.state import SourcingState
from tests.catalog.api_support import STAFF, catalog_settings, identity
from tests.conftest import IndexedCatalog
from tests.support import IDENTITY_SECRET, copy_sqlite, free_port, sourcing_settings, wait_until

MANAGED = 6
BUYER = identity("acheteur-smtp", Role.PUBLIC_BUYER)
CLEANING = "nettoyage-de-locaux-16"
NEED = {
    "kind": "demande_devis",
    "title": "Nettoyage de la médiathèque",
    "description": "Entretien de 600 m², deux passages par semaine.",
    "sectors": [CLEANING],
    "place": {"level": "region", "code": "11"},
    "publish": True,
}


@dataclass
class Mailbox:
    """An SMTP server's handler that can accept some messages, then drop the connection on the
    next one (no reply: the sender cannot know it was received) and refuse until told."""

    received: list[Any] = field(default_factory=list)
    accept_before_drop: int | None = None
    dropped: int = 0

    async def handle_DATA(self, server: Any, session: object, envelope: Any) -> str:
        if self.accept_before_drop is not None and self.accept_before_drop <= 0:
            if not self.dropped:
                self.dropped += 1
                server.transport.close()
                return "421 4.3.0 connexion perdue"
            return "421 4.3.2 service indisponible"
        if self.accept_before_drop is not None:
            self.accept_before_drop -= 1
        self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def per_mail(self) -> Counter[str]:
        return Counter(str(m["X-Mail-Id"]) for m in self.received)

    def per_recipient(self) -> Counter[str]:
        return Counter(str(m["To"]) for m in self.received)


@dataclass
class Notifying:
    sourcing: TestClient
    engine: Engine
    smtp_port: int
    managers: set[str]

    def deliver(self) -> int:
        return int(state_of(self.sourcing.app, SourcingState).mail_relay.deliver_pending())  # type: ignore[arg-type]

    def deliver_until(self, count: int) -> None:
        """Passes of the mail relay until `count` mails went out (retries wait their turn)."""
        sent = [0]

        def delivered() -> bool:
            sent[0] += self.deliver()
            assert sent[0] <= count
            return sent[0] == count

        wait_until(delivered, timeout_s=20, interval_s=0.2)

    def cycle(self) -> None:
        """What the background loop does each turn: match, notify, remind, deliver."""
        runner = state_of(self.sourcing.app, SourcingState).runner  # type: ignore[arg-type]
        self.sourcing.portal.call(runner.cycle)  # type: ignore[union-attr]

    def publish(self) -> int:
        response = self.sourcing.post("/v1/needs", json=NEED, headers=BUYER)
        assert response.status_code == 201, response.text
        return int(response.json()["id"])

    def queued(self) -> list[OutgoingMail]:
        with Session(self.engine) as session:
            return list(session.exec(select(OutgoingMail).order_by(col(OutgoingMail.id))))


@pytest.fixture(scope="module")
def notifying(
    indexed_catalog: IndexedCatalog, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Notifying]:
    """A catalog (on a copy of the real data, its relay off: the shared index is only read)
    whose managers are told by a sourcing service sending over SMTP to a port where, for now,
    nothing listens."""
    folder = tmp_path_factory.mktemp("smtp_down")
    url = copy_sqlite(indexed_catalog.engine, folder / "catalog.db")
    meili = indexed_catalog.meili
    smtp_port = free_port()
    settings = sourcing_settings(
        meili.url,
        meili.key,
        indexed_catalog.index,
        folder,
        mail_backend="smtp",
        smtp_port=smtp_port,
    )
    catalog_app = create_catalog_app(
        catalog_settings(url, folder / "mail", meili.url, meili.key, indexed_catalog.index)
    )
    with TestClient(catalog_app) as catalog, TestClient(create_sourcing_app(settings)) as sourcing:  # type: ignore[arg-type]
        state_of(sourcing.app, SourcingState).runner.directory = CatalogDirectory(  # type: ignore[arg-type]
            httpx.AsyncClient(transport=httpx.ASGITransport(app=catalog_app), base_url="http://c"),
            IDENTITY_SECRET,
        )
        found = sourcing.get(
            "/v1/search", params={"sector": CLEANING, "region": "11", "per_page": MANAGED}
        ).json()["hits"]
        assert len(found) == MANAGED
        managers = set()
        for hit in found:
            manager = identity(f"resp-{hit['id']}")
            claim = catalog.post(
                "/v1/claims",
                json={"siret": hit["siret"], "structure_id": hit["id"]},
                headers=manager,
            )
            assert claim.status_code == 201, claim.text
            accepted = catalog.post(f"/v1/claims/{claim.json()['id']}/accept", headers=STAFF)
            assert accepted.status_code == 200, accepted.text
            managers.add(f"resp-{hit['id']}@exemple.fr")
        engine = make_engine(settings.database_url)  # type: ignore[attr-defined]
        yield Notifying(sourcing, engine, smtp_port, managers)
        engine.dispose()


@contextmanager
def smtp_server(handler: Mailbox, port: int) -> Iterator[Mailbox]:
    server = Controller(handler, hostname="127.0.0.1", port=port)
    server.start()
    try:
        yield handler
    finally:
        server.stop()


def test_mails_wait_for_the_smtp_server_then_go_exactly_once(notifying: Notifying) -> None:
    notifying.publish()
    queued = notifying.queued()
    assert sorted(m.recipient for m in queued) == sorted(notifying.managers)
    # More passes of the mail relay than it has tries for a mail (the catalog's and the
    # gateway's relays pass every second): an outage delays mail, it must not use up its tries.
    for _ in range(MAX_ATTEMPTS + 5):
        assert notifying.deliver() == 0  # nobody listens
    for mail in notifying.queued():
        assert mail.sent_at is None and 1 <= mail.attempts < MAX_ATTEMPTS
        assert "ConnectionRefused" in str(mail.last_error)

    with smtp_server(Mailbox(), notifying.smtp_port) as mailbox:
        notifying.deliver_until(len(queued))
        for _ in range(3):  # later turns of the background loop send nothing again
            notifying.cycle()
            assert notifying.deliver() == 0
    print(f"\nqueued while down {len(queued)}, received {len(mailbox.received)}")
    assert set(mailbox.per_mail().values()) == {1}
    assert mailbox.per_recipient() == dict.fromkeys(notifying.managers, 1)
    assert all(m.sent_at is not None for m in notifying.queued())


def test_a_server_dropping_mid_batch_sends_each_mail_once(notifying: Notifying) -> None:
    already = {m.id for m in notifying.queued()}
    mailbox = Mailbox(accept_before_drop=2)
    with smtp_server(mailbox, notifying.smtp_port):
        notifying.publish()
        batch = [m for m in notifying.queued() if m.id not in already]
        assert len(batch) == len(notifying.managers)
        assert notifying.deliver() == 2  # two accepted, then the connection drops
        assert mailbox.dropped == 1
        unsent = [m for m in notifying.queued() if m.sent_at is None]
        assert len(unsent) == len(batch) - 2 and all(m.attempts == 1 for m in unsent)

        mailbox.accept_before_drop = None  # the server is healthy again
        notifying.deliver_until(len(batch) - 2)
        for _ in range(3):
            notifying.cycle()
            assert notifying.deliver() == 0
    print(f"\nbatch {len(batch)}, accepted before the drop 2, received {len(mailbox.received)}")
    assert mailbox.per_mail() == {str(m.id): 1 for m in batch}
    assert mailbox.per_recipient() == dict.fromkeys(notifying.managers, 1)
