"""A catalog app on a real database with the real data, and identities signed like the gateway's."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from services.catalog.app import create_app
from services.catalog.settings import CatalogSettings
from services.catalog.state import CatalogState
from services.common.identity import Principal, Role, sign_identity
from services.common.state import state_of

SECRET = "test-identity-secret-0123456789"


class SignedIdentity(Mapping[str, str]):
    """Headers that sign the identity afresh at each use, as the gateway does per request
    (a signature made once would expire during a long test run)."""

    def __init__(self, principal: Principal, secret: str) -> None:
        self.principal, self.secret = principal, secret

    def __getitem__(self, key: str) -> str:
        if key != "x-mi-identity":
            raise KeyError(key)
        return sign_identity(self.principal, self.secret)

    def __iter__(self) -> Iterator[str]:
        return iter(["x-mi-identity"])

    def __len__(self) -> int:
        return 1


def identity(
    account: str, role: Role = Role.SUPPLIER_MANAGER, secret: str = SECRET
) -> SignedIdentity:
    principal = Principal(account_id=account, role=role, email=f"{account}@exemple.fr")
    return SignedIdentity(principal, secret)


STAFF = identity("staff-1", Role.STAFF)


@dataclass
class CatalogApi:
    client: TestClient
    engine: Engine
    mail_dir: Path

    def deliver_mail(self) -> list[email.message.Message]:
        state_of(self.client.app, CatalogState).mail_relay.deliver_pending()  # type: ignore[arg-type]
        return [
            email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
            for p in sorted(self.mail_dir.glob("*.eml"))
        ]

    def code_sent_to(self, address: str) -> str:
        for message in reversed(self.deliver_mail()):
            if message["To"] == address:
                match = re.search(r"ce code : (\d{6})", message.get_content())  # type: ignore[attr-defined]
                if match:
                    return match.group(1)
        raise AssertionError(f"no code sent to {address}")

    def etag(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, response.text
        return response.headers["etag"]

    def patch(
        self, path: str, body: dict[str, object], who: dict[str, str], etag: str | None = None
    ):  # type: ignore[no-untyped-def]
        headers = dict(who)
        headers["If-Match"] = etag or self.etag(path)
        return self.client.patch(path, json=body, headers=headers)


def catalog_settings(
    database_url: str, mail_dir: Path, meili_url: str, meili_key: str, index: str
) -> CatalogSettings:
    return CatalogSettings(
        database_url=database_url,
        identity_secret=SECRET,
        meili_url=meili_url,
        meili_master_key=meili_key,
        meili_index=index,
        relay_enabled=False,
        mail_relay_enabled=False,
        mail_dir=mail_dir,
        proof_dir=mail_dir.parent / "proofs",
        media_dir=mail_dir.parent / "media",
        public_url="https://marche.example",
        environment="test",
    )


def make_client(settings: CatalogSettings) -> TestClient:
    return TestClient(create_app(settings))


def start_cleaning_in_93(catalog: TestClient, structure: Mapping[str, object], sector: str) -> None:
    """The structure starts serving `sector` in the 93 through the catalog's API, as people do
    it: its manager claims it, staff accept, the manager adds the activity. The outbox still has
    to be relayed to the index."""
    manager = identity(f"gerant-{structure['id']}")
    claim = catalog.post(
        "/v1/claims",
        json={"siret": structure["siret"], "structure_id": structure["id"]},
        headers=manager,
    )
    assert claim.status_code == 201, claim.text
    accepted = catalog.post(f"/v1/claims/{claim.json()['id']}/accept", headers=STAFF)
    assert accepted.status_code == 200, accepted.text
    added = catalog.post(
        f"/v1/structures/{structure['id']}/activities",
        json={
            "sector": sector,
            "presta_types": ["PREST"],
            "range": "zones",
            "zones": [{"type": "departement", "code": "93"}],
        },
        headers=manager,
    )
    assert added.status_code == 201, added.text
