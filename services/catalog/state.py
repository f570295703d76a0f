"""What the catalog's lifespan builds: settings, the search index, its relay, the mail relay,
the stores of claim proofs and of images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.catalog.indexing.index import SearchIndexWriter
from services.catalog.indexing.relay import OutboxRelay
from services.catalog.ownership.proofs import ProofStore
from services.catalog.settings import CatalogSettings
from services.catalog.uploads import FileStore
from services.common.mail import MailRelay
from services.common.state import ServiceState, request_state


@dataclass
class CatalogState(ServiceState):
    settings: CatalogSettings
    search_index: SearchIndexWriter
    relay: OutboxRelay
    mail_relay: MailRelay
    proofs: ProofStore
    media: FileStore


def catalog_state(request: Request) -> CatalogState:
    return request_state(request, CatalogState)


CatalogStateDep = Annotated[CatalogState, Depends(catalog_state)]
