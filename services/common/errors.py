"""One error hierarchy rendered as RFC 9457 problem+json, and the handlers that render it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.common.logging import loggable_path

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://marche-inclusif.example/problems/"

logger = logging.getLogger(__name__)


class AppError(Exception):
    """An expected error: its status, a stable type slug and a French message for users."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Requête invalide"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(AppError):
    status, slug, title = 404, "not-found", "Ressource introuvable"


class Unauthorized(AppError):
    status, slug, title = 401, "unauthorized", "Identification requise"


class Forbidden(AppError):
    status, slug, title = 403, "forbidden", "Action non autorisée"


class PreconditionFailed(AppError):
    status, slug, title = 412, "stale-write", "Modification concurrente"


class PreconditionRequired(AppError):
    status, slug, title = 428, "if-match-required", "En-tête If-Match requis"


class Conflict(AppError):
    status, slug, title = 409, "conflict", "Conflit"


class InvalidParameter(AppError):
    """A request parameter failed a rule that the request model cannot express."""

    status, slug, title = 422, "validation-error", "Paramètres invalides"

    def __init__(self, field: str, detail: str, location: str = "query") -> None:
        super().__init__(
            f"Paramètre « {field} » invalide : {detail}",
            errors=[{"pointer": f"/{location}/{field}", "field": field, "detail": detail}],
        )


class UpstreamUnavailable(AppError):
    status, slug, title = 503, "upstream-unavailable", "Service momentanément indisponible"


class UpstreamTimeout(AppError):
    status, slug, title = 504, "upstream-timeout", "Le service n'a pas répondu à temps"


def problem_response(
    status: int,
    slug: str,
    title: str,
    detail: str,
    request: Request | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": title,
        "status": status,
        "detail": detail,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = getattr(request.state, "request_id", None)
        if request_id:
            body["request_id"] = request_id
            # A 500 is rendered outside the request-id middleware: echo the id here too.
            headers = {**(headers or {}), "x-request-id": request_id}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


# Users read French: the validation messages they are most likely to meet, translated.
_MESSAGES_FR = {
    "missing": "champ obligatoire",
    "int_parsing": "doit être un nombre entier",
    "int_type": "doit être un nombre entier",
    "float_parsing": "doit être un nombre",
    "bool_parsing": "doit être true ou false",
    "string_too_long": "trop long (au plus {max_length} caractères)",
    "string_too_short": "trop court (au moins {min_length} caractères)",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "greater_than": "doit être supérieur à {gt}",
    "less_than": "doit être inférieur à {lt}",
    "enum": "valeur inconnue ; valeurs possibles : {expected}",
    "literal_error": "valeur inconnue ; valeurs possibles : {expected}",
    "string_pattern_mismatch": "format invalide",
    "json_invalid": "JSON invalide",
    "model_attributes_type": "doit être un objet JSON",
    "list_type": "doit être une liste",
    "extra_forbidden": "champ inconnu",
}


def _message_fr(err: Mapping[str, Any]) -> str:
    template = _MESSAGES_FR.get(str(err.get("type", "")))
    if template is None:
        return str(err.get("msg", "valeur invalide"))
    try:
        return template.format(**(err.get("ctx") or {}))
    except (KeyError, IndexError):
        return str(err.get("msg", "valeur invalide"))


def _pointer(loc: tuple[Any, ...] | list[Any]) -> tuple[str, str]:
    parts = [str(p) for p in loc]
    field = ".".join(parts[1:]) if len(parts) > 1 else (parts[0] if parts else "")
    return "/" + "/".join(parts), field


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(exc.status, exc.slug, exc.title, exc.detail, request, **exc.extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        pointer, field = _pointer(err.get("loc", ()))
        errors.append({"pointer": pointer, "field": field, "detail": _message_fr(err)})
    fields = ", ".join(sorted({e["field"] for e in errors if e["field"]}))
    detail = f"Paramètres invalides : {fields}" if fields else "Requête invalide"
    return problem_response(
        422, "validation-error", "Paramètres invalides", detail, request, errors=errors
    )


# The framework's own refusals, in the users' language.
_TITLES_FR = {
    400: "Requête invalide",
    404: "Ressource introuvable",
    405: "Méthode non autorisée",
    415: "Type de contenu non pris en charge",
}
_DETAILS_FR = {
    "Not Found": "Aucune ressource à cette adresse.",
    "Method Not Allowed": "Cette méthode n'est pas acceptée à cette adresse.",
    "There was an error parsing the body": (
        "Corps de la requête illisible : JSON invalide, trop imbriqué ou pas en UTF-8."
    ),
}


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    try:
        title = _TITLES_FR.get(exc.status_code) or HTTPStatus(exc.status_code).phrase
    except ValueError:
        title = "Erreur"
    slug = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    detail = exc.detail if isinstance(exc.detail, str) else title
    detail = _DETAILS_FR.get(detail, detail)
    return problem_response(
        exc.status_code, slug, title, detail, request, headers=getattr(exc, "headers", None)
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"path": loggable_path(request.url.path)})
    return problem_response(
        500,
        "internal-error",
        "Erreur interne",
        "Une erreur inattendue s'est produite ; elle a été journalisée.",
        request,
    )


async def _database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    """A lost or refused database connection is transient: 503, to be tried again."""
    assert isinstance(exc, OperationalError)
    logger.warning(
        "database unavailable",
        extra={"path": loggable_path(request.url.path), "error": type(exc.orig).__name__},
    )
    return problem_response(
        503,
        "database-unavailable",
        "Service momentanément indisponible",
        "La base de données est momentanément injoignable ; réessayez dans un instant.",
        request,
        headers={"Retry-After": "1"},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(Exception, _unexpected_error)
