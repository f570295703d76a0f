"""What the sourcing lifespan builds, handed to handlers by `SourcingStateDep`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from services.common.mail import MailRelay
from services.common.state import ServiceState, request_state
from services.sourcing.needs.runner import NeedRunner
from services.sourcing.search.engine import SearchEngine
from services.sourcing.search.vocabulary import SearchVocabulary
from services.sourcing.settings import SourcingSettings


@dataclass
class SourcingState(ServiceState):
    settings: SourcingSettings
    vocabulary: SearchVocabulary
    search_engine: SearchEngine
    mail_relay: MailRelay
    runner: NeedRunner


# Async so that it runs on the event loop, not in a worker thread, on every request.
async def sourcing_state(request: Request) -> SourcingState:
    return request_state(request, SourcingState)


SourcingStateDep = Annotated[SourcingState, Depends(sourcing_state)]
