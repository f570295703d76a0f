"""What the website's lifespan builds, handed to the pages by dependencies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from services.web.api import Api
from services.web.sessions import SessionStore
from services.web.settings import WebSettings

_ATTRIBUTE = "web_state"


@dataclass
class WebState:
    settings: WebSettings
    api: Api
    sessions: SessionStore
    templates: Jinja2Templates


def web_state(request: Request) -> WebState:
    state = getattr(request.app.state, _ATTRIBUTE, None)
    if not isinstance(state, WebState):
        raise RuntimeError("WebState is not installed: the lifespan has not run")
    return state


def install(app: object, state: WebState) -> None:
    setattr(app.state, _ATTRIBUTE, state)  # type: ignore[attr-defined]


WebStateDep = Annotated[WebState, Depends(web_state)]
