"""The website: server-rendered pages for buyers and suppliers, built on the public API."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.health import health_router
from services.common.logging import configure_logging
from services.common.request_id import RequestIdMiddleware
from services.web.api import Api, ApiProblem, ApiUnavailable, LoginRequired
from services.web.manage_view import NotYourStructure
from services.web.pages import (
    account,
    alerts,
    answer_link,
    buyers,
    favourites,
    keys,
    manage_activities,
    manage_attestations,
    manage_claims,
    manage_dashboard,
    manage_listing,
    manage_needs,
    manage_offers,
    manage_team,
    needs,
    oeth,
    organisations,
    projects,
    search,
    spend,
    staff,
    structures,
    tender,
)
from services.web.security import BrowserSecurityMiddleware
from services.web.sessions import SessionStore
from services.web.settings import WebSettings, get_settings
from services.web.state import WebState, install, web_state
from services.web.templating import OWN_STATIC, VENDORED, make_templates, static_version
from services.web.visitor import CsrfRefused

logger = logging.getLogger(__name__)


def _error_page(request: Request, status: int, title: str, message: str) -> Response:
    try:
        state = web_state(request)
    except RuntimeError:
        return HTMLResponse(f"<h1>{title}</h1>", status_code=status)
    return state.templates.TemplateResponse(
        request,
        "errors/error.html",
        {"status": status, "title": title, "message": message, "user": None},
        status_code=status,
    )


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        target = "/connexion?suite=" + quote(
            request.url.path + (f"?{request.url.query}" if request.url.query else ""), safe=""
        )
        if request.headers.get("HX-Request") == "true":
            return Response(status_code=204, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _exc: CsrfRefused) -> Response:
        return _error_page(
            request,
            403,
            "Formulaire expiré",
            "Ce formulaire n'a pas pu être vérifié (jeton de sécurité absent ou expiré). "
            "Revenez en arrière, rechargez la page puis envoyez-le de nouveau.",
        )

    @app.exception_handler(NotYourStructure)
    async def not_yours(request: Request, _exc: NotYourStructure) -> Response:
        return _error_page(
            request,
            403,
            "Accès refusé",
            "Vous ne gérez pas cette structure. Pour la gérer, faites-en la demande depuis "
            "votre espace structure.",
        )

    @app.exception_handler(ApiUnavailable)
    async def unavailable(request: Request, exc: ApiUnavailable) -> Response:
        logger.warning("API unavailable: %s", exc)
        return _error_page(
            request,
            503,
            "Service momentanément indisponible",
            "Le service ne répond pas pour le moment. Réessayez dans quelques instants.",
        )

    @app.exception_handler(ApiProblem)
    async def refused(request: Request, exc: ApiProblem) -> Response:
        status = exc.status if exc.status in (403, 404, 409, 410, 429) else 400
        return _error_page(request, status, exc.title, exc.detail)

    @app.exception_handler(RequestValidationError)
    async def bad_parameters(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(sorted({str(e["loc"][-1]) for e in exc.errors() if e.get("loc")}))
        return _error_page(
            request, 400, "Adresse incorrecte", f"Paramètre invalide : {fields or 'inconnu'}."
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return _error_page(
                request, 404, "Page non trouvée", "La page que vous cherchez n'existe pas."
            )
        if exc.status_code == 405:
            return _error_page(request, 405, "Action impossible", "Cette action n'existe pas ici.")
        return _error_page(request, exc.status_code, "Erreur", str(exc.detail))

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        logger.exception("page failed", exc_info=exc)
        return _error_page(
            request,
            500,
            "Erreur inattendue",
            "Une erreur inattendue est survenue ; elle a été enregistrée. Réessayez plus tard.",
        )


def create_app(settings: WebSettings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging("web", settings.log_level)
    version = static_version(settings.assets_dir)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sessions = SessionStore(
            settings.session_database_url,
            settings.session_secret,
            timedelta(days=settings.session_days),
        )
        state = WebState(
            settings=settings,
            api=Api(settings.gateway_url, settings.gateway_timeout_s, sessions),
            sessions=sessions,
            templates=make_templates(settings, version),
        )
        install(app, state)
        try:
            yield
        finally:
            await state.api.aclose()
            state.sessions.close()

    app = FastAPI(
        title="Marché inclusif — site",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    _install_error_pages(app)
    # Pages and the design system's files travel compressed (the weight budget of a page).
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(BrowserSecurityMiddleware, settings=settings)
    app.add_middleware(RequestIdMiddleware, trust_incoming=False)

    async def api_ready() -> None:
        response = await web_state_of(app).api.client.get("/reference/kinds")
        response.raise_for_status()

    app.include_router(health_router(lambda: {"api": api_ready}))
    for alias in VENDORED:
        folder = settings.assets_dir / alias
        if folder.is_dir():
            app.mount(f"/static/{version}/{alias}", StaticFiles(directory=folder), name=alias)
    app.mount(f"/static/{version}/web", StaticFiles(directory=OWN_STATIC), name="web")
    for module in (
        search,
        structures,
        tender,
        account,
        keys,
        needs,
        organisations,
        projects,
        favourites,
        alerts,
        manage_claims,
        manage_dashboard,
        manage_listing,
        manage_activities,
        manage_offers,
        manage_team,
        manage_needs,
        manage_attestations,
        oeth,
        answer_link,
        staff,
        buyers,
        spend,
    ):
        app.include_router(module.router)
    return app


def web_state_of(app: FastAPI) -> WebState:
    state = getattr(app.state, "web_state", None)
    assert isinstance(state, WebState)
    return state
