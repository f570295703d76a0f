"""What a service's lifespan builds, held in one typed object and handed out by dependencies.

Each service extends `ServiceState` with its own long-lived clients; handlers never read
`app.state` themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from fastapi import FastAPI, Request
from redis import Redis
from sqlalchemy.engine import Engine

from services.common.identity import ReplayGuard, SharedReplayGuard

_ATTRIBUTE = "service_state"
S = TypeVar("S", bound="ServiceState")


@dataclass
class ServiceState:
    engine: Engine
    replay_guard: ReplayGuard = field(default_factory=ReplayGuard, kw_only=True)


def replay_guard(redis_url: str | None, service: str) -> ReplayGuard:
    """Shared by the replicas when the service has Redis, else in this process's memory."""
    if not redis_url:
        return ReplayGuard()
    return SharedReplayGuard(Redis.from_url(redis_url, socket_timeout=1.0), service)


def install_state(app: FastAPI, state: ServiceState) -> None:
    setattr(app.state, _ATTRIBUTE, state)


def state_of(app: FastAPI, kind: type[S]) -> S:
    state = getattr(app.state, _ATTRIBUTE, None)
    if not isinstance(state, kind):
        raise RuntimeError(f"{kind.__name__} is not installed: the lifespan has not run")
    return state


def request_state(request: Request, kind: type[S]) -> S:
    return state_of(request.app, kind)
