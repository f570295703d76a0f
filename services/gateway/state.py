"""What the gateway's lifespan builds, and the dependencies that hand it to the handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from fastapi import Depends, Request
from redis.asyncio import Redis

from services.common.mail import MailRelay
from services.common.state import ServiceState, request_state
from services.gateway.perimeters import Perimeter
from services.gateway.quotas import Limit, Quotas
from services.gateway.search_cache import SearchCache
from services.gateway.settings import GatewaySettings
from services.gateway.upstream import Upstream


@dataclass
class GatewayState(ServiceState):
    settings: GatewaySettings
    catalog: Upstream
    sourcing: Upstream
    perimeters: list[Perimeter]
    legacy_sectors: list[dict[str, str]]
    mail_relay: MailRelay
    quotas: Quotas
    identified_limits: list[Limit]
    login_throttle: Quotas
    # Shared counters (listing views' visitor keys) when REDIS_URL is set.
    redis: Redis | None = None
    # Kept once complete; a partial document (an upstream missing) is rebuilt on the next call.
    openapi_document: dict[str, Any] | None = None
    # Images count apart from the other calls, with these limits.
    media_limits: list[Limit] = field(default_factory=list)
    # Public searches' answers shared by the replicas; None without Redis.
    search_cache: SearchCache | None = None


def gateway_state(request: Request) -> GatewayState:
    return request_state(request, GatewayState)


def upstream(request: Request, name: Literal["catalog", "sourcing"]) -> Upstream:
    """The service behind the gateway that answers for `name`."""
    state = gateway_state(request)
    return state.catalog if name == "catalog" else state.sourcing


# Async so that it runs on the event loop: a plain function would cost every request a hop
# to a worker thread and back (12 % of the gateway's time on a search, in a profile).
async def _gateway_state(request: Request) -> GatewayState:
    return gateway_state(request)


GatewayStateDep = Annotated[GatewayState, Depends(_gateway_state)]
