"""One error hierarchy rendered as RFC 9457 problem+json, and the handlers that render it."""

from __future__ import annotations

import logging
import re
import typing
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic_core.core_schema import ErrorType
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


class FieldValueError(ValueError):
    """A rule across several fields of a body, blamed on the one field the user should change."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


# Users read French: every validation message pydantic can give them, translated. An error type
# missing here is answered with a plain French sentence, never pydantic's English.
_MESSAGES_FR = {
    "missing": "champ obligatoire",
    "int_parsing": "doit être un nombre entier",
    "int_type": "doit être un nombre entier",
    "int_from_float": "doit être un nombre entier (sans décimales)",
    "float_parsing": "doit être un nombre",
    "float_type": "doit être un nombre",
    "finite_number": "doit être un nombre fini",
    "bool_parsing": "doit être true ou false",
    "bool_type": "doit être true ou false",
    "string_type": "doit être une chaîne de caractères",
    "string_unicode": "doit être un texte valide (UTF-8)",
    "string_too_long": "trop long (au plus {max_length} caractères)",
    "string_too_short": "trop court (au moins {min_length} caractères)",
    "too_long": "trop d'éléments (au plus {max_length})",
    "too_short": "pas assez d'éléments (au moins {min_length})",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "greater_than": "doit être supérieur à {gt}",
    "less_than": "doit être inférieur à {lt}",
    "multiple_of": "doit être un multiple de {multiple_of}",
    "enum": "valeur inconnue ; valeurs possibles : {expected}",
    "literal_error": "valeur inconnue ; valeurs possibles : {expected}",
    "string_pattern_mismatch": "format invalide",
    "json_invalid": "JSON invalide",
    "json_type": "doit être du JSON",
    "model_type": "doit être un objet JSON",
    "model_attributes_type": "doit être un objet JSON",
    "dict_type": "doit être un objet JSON",
    "list_type": "doit être une liste",
    "set_type": "doit être une liste",
    "tuple_type": "doit être une liste",
    "extra_forbidden": "champ inconnu",
    "date_type": "date invalide (attendu AAAA-MM-JJ, ex. 2027-01-31)",
    "date_parsing": "date invalide (attendu AAAA-MM-JJ, ex. 2027-01-31)",
    "date_from_datetime_parsing": "date invalide (attendu AAAA-MM-JJ, ex. 2027-01-31)",
    "date_from_datetime_inexact": "date sans heure attendue (AAAA-MM-JJ)",
    "date_past": "doit être une date passée",
    "date_future": "doit être une date à venir",
    "datetime_type": "date et heure invalides (attendu AAAA-MM-JJTHH:MM:SS)",
    "datetime_parsing": "date et heure invalides (attendu AAAA-MM-JJTHH:MM:SS)",
    "datetime_from_date_parsing": "date et heure invalides (attendu AAAA-MM-JJTHH:MM:SS)",
    "datetime_past": "doit être dans le passé",
    "datetime_future": "doit être dans le futur",
    "time_parsing": "heure invalide (attendu HH:MM)",
    "timezone_aware": "l'heure doit indiquer son fuseau horaire",
    "url_type": "adresse web invalide (ex. https://exemple.fr)",
    "url_parsing": "adresse web invalide (ex. https://exemple.fr)",
    "url_syntax_violation": "adresse web invalide (ex. https://exemple.fr)",
    "url_too_long": "adresse web trop longue (au plus {max_length} caractères)",
    "url_scheme": "l'adresse doit commencer par {expected_schemes}",
    "uuid_type": "identifiant invalide",
    "uuid_parsing": "identifiant invalide",
    "decimal_parsing": "doit être un nombre décimal",
    "decimal_type": "doit être un nombre décimal",
    "bytes_type": "doit être une chaîne de caractères",
    "union_tag_invalid": "valeur inconnue ; valeurs possibles : {expected_tags}",
    "union_tag_not_found": "champ obligatoire : {discriminator}",
    "frozen_field": "ce champ ne peut pas être modifié",
    "none_required": "doit être vide",
}
_FALLBACK_FR = "valeur invalide"
_PYDANTIC_TYPES = frozenset(typing.get_args(ErrorType))
# A pattern that lists its values, like ^(L2113-12|L2113-13|both)$: the values are shown.
_ALTERNATIVES = re.compile(r"^\^\(?((?:[\w.-]+\|)+[\w.-]+)\)?\$$")
# What the JSON parser says, in French.
_JSON_REASONS_FR = {
    "Expecting value": "une valeur est attendue",
    "Expecting property name enclosed in double quotes": (
        "un nom de champ entre guillemets droits est attendu"
    ),
    "Expecting ',' delimiter": "une virgule est attendue",
    "Expecting ':' delimiter": "deux-points sont attendus",
    "Unterminated string starting at": "une chaîne n'est pas refermée",
    "Invalid control character at": "caractère de contrôle interdit dans une chaîne",
    "Invalid \\escape": "séquence d'échappement invalide",
    "Extra data": "du texte suit la fin du JSON",
}


def _french_list(values: list[str]) -> str:
    quoted = [f"« {v} »" for v in values]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " ou " + quoted[-1]


def _expected(text: str) -> str:
    """pydantic's "'a', 'b' or 'c'" as a French list."""
    values = re.findall(r"'([^']*)'", text)
    return _french_list(values) if values else text.replace(" or ", " ou ")


def _message_fr(err: Mapping[str, Any]) -> str:
    kind = str(err.get("type", ""))
    ctx = dict(err.get("ctx") or {})
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])  # our own validators speak French
    if kind == "string_pattern_mismatch":
        found = _ALTERNATIVES.match(str(ctx.get("pattern", "")))
        if found:
            return "valeur inconnue ; valeurs possibles : " + _french_list(
                found.group(1).split("|")
            )
    for key in ("expected", "expected_tags", "expected_schemes"):
        if key in ctx:
            ctx[key] = _expected(str(ctx[key]))
    template = _MESSAGES_FR.get(kind)
    if template is None:
        if kind not in _PYDANTIC_TYPES:
            return str(err.get("msg", _FALLBACK_FR))  # a custom error of ours, written in French
        logger.info("untranslated validation error", extra={"error_type": kind})
        return _FALLBACK_FR
    try:
        return template.format(**ctx)
    except (KeyError, IndexError):
        return _FALLBACK_FR


def _json_position(body: Any, position: int) -> str:
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if not isinstance(text, str):
        return f"au caractère {position + 1}"
    before = text[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    return f"ligne {line}, colonne {column}"


def _json_reason(err: Mapping[str, Any]) -> str:
    reason = str((err.get("ctx") or {}).get("error", ""))
    return next(
        (french for english, french in _JSON_REASONS_FR.items() if reason.startswith(english)),
        "syntaxe incorrecte",
    )


def _pointer(loc: tuple[Any, ...] | list[Any]) -> tuple[str, str]:
    parts = [str(p) for p in loc]
    field = ".".join(parts[1:]) if len(parts) > 1 else (parts[0] if parts else "")
    return "/" + "/".join(parts), field


def _located(err: Mapping[str, Any]) -> tuple[Any, ...]:
    """Where the error is: a rule across fields is placed on the field it blames."""
    loc = tuple(err.get("loc", ()))
    blamed = (err.get("ctx") or {}).get("error")
    if isinstance(blamed, FieldValueError):
        return (*loc, blamed.field)
    return loc


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(exc.status, exc.slug, exc.title, exc.detail, request, **exc.extra)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        if err.get("type") == "json_invalid":
            loc = tuple(err.get("loc", ()))
            position = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else 0
            detail = f"JSON invalide ({_json_position(exc.body, position)}) : {_json_reason(err)}"
            errors.append({"pointer": "/body", "field": "body", "detail": detail})
            continue
        pointer, field = _pointer(_located(err))
        errors.append({"pointer": pointer, "field": field, "detail": _message_fr(err)})
    fields = ", ".join(sorted({e["field"] for e in errors if e["field"]}))
    detail = f"Paramètres invalides : {fields}" if fields else "Requête invalide"
    if len(errors) == 1 and errors[0]["detail"].startswith("JSON invalide"):
        detail = errors[0]["detail"]
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
