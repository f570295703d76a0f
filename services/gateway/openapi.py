"""One OpenAPI document for the whole public API: the gateway's own routes, plus the
operations of the services that the gateway forwards generically, under their public paths."""

from __future__ import annotations

import copy
import re
from typing import Any

import httpx
from fastapi import FastAPI

from services.gateway.upstream import Upstream

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "Jeton d'accès d'une session (POST /api/v1/auth/login) ou clé d'API",
    },
    "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key", "description": "Clé d'API"},
}
_INTERNAL_HEADERS = {"x-mi-identity"}
# Credentials are described by the security schemes, not as parameters of each operation.
_CREDENTIAL_HEADERS = {"authorization", "x-api-key"}
PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "Erreur au format RFC 9457, en français",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["pointer", "field", "detail"],
                "properties": {
                    "pointer": {"type": "string"},
                    "field": {"type": "string"},
                    "detail": {"type": "string"},
                },
            },
        },
    },
}
ERROR_DESCRIPTIONS = {
    "400": "Requête invalide",
    "401": "Identification requise, ou jeton ou clé refusés",
    "403": "Action non autorisée pour cet appelant",
    "404": "Ressource introuvable",
    "405": "Méthode non autorisée",
    "409": "Conflit avec l'état de la ressource",
    "412": "Modification concurrente : l'ETag donné dans If-Match est périmé",
    "413": "Corps de requête trop volumineux (plus de 1 Mio)",
    "422": "Paramètres invalides, nommés dans `errors`",
    "428": "En-tête If-Match requis",
    "429": "Quota de requêtes dépassé (voir Retry-After)",
    "503": "Un service est momentanément indisponible",
    "504": "Un service n'a pas répondu à temps",
}
_PARAMETER = re.compile(r"\{[^}]+\}")
_NAMES = re.compile(r"\{([^}:]+)\}")


def _catch_alls(document: dict[str, Any]) -> list[tuple[re.Pattern[str], set[str]]]:
    """The gateway's catch-all routes ("…/{rest}"), as patterns over public paths."""
    patterns = []
    for path, operations in document["paths"].items():
        if "{rest" not in path:
            continue
        regex = re.escape(path).replace(re.escape("{rest}"), ".*")
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", regex)
        patterns.append((re.compile(f"^{regex}$"), set(operations)))
    return patterns


def _forwarded(
    catch_alls: list[tuple[re.Pattern[str], set[str]]], method: str, public_path: str
) -> bool:
    concrete = _PARAMETER.sub("1", public_path)
    return any(pattern.match(concrete) and method in methods for pattern, methods in catch_alls)


def _public(operation: dict[str, Any], service: str) -> dict[str, Any]:
    result = copy.deepcopy(operation)
    result["parameters"] = [
        p
        for p in result.get("parameters", [])
        if p.get("name", "").lower() not in _INTERNAL_HEADERS
    ]
    result["operationId"] = f"{service}_{result.get('operationId', '')}"
    result["security"] = [{"bearer": []}, {"apiKey": []}]
    return result


async def merged_openapi(
    app: FastAPI, upstreams: list[Upstream]
) -> tuple[dict[str, Any], list[str]]:
    """The merged document, and the services whose part could not be read this time."""
    document = copy.deepcopy(app.openapi())
    catch_alls = _catch_alls(document)
    paths: dict[str, Any] = {p: ops for p, ops in document["paths"].items() if "{rest" not in p}
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    missing = []
    for upstream in upstreams:
        try:
            response = await upstream.client.get("/openapi.json", timeout=3.0)
            response.raise_for_status()
            spec = response.json()
        except (httpx.HTTPError, ValueError):
            missing.append(upstream.name)
            continue
        for path, operations in spec.get("paths", {}).items():
            public_path = "/api" + path
            for method, operation in operations.items():
                if _forwarded(catch_alls, method, public_path):
                    paths.setdefault(public_path, {})[method] = _public(operation, upstream.name)
        for name, schema in spec.get("components", {}).get("schemas", {}).items():
            schemas.setdefault(name, schema)
    schemas["Problem"] = PROBLEM_SCHEMA
    for path, operations in paths.items():
        for method, operation in operations.items():
            _declare_errors(path, method, operation)
    _declare_links(paths)
    document["paths"] = dict(sorted(paths.items()))
    return document, missing


def _declare_links(paths: dict[str, Any]) -> None:
    """What a POST creates (201, with its `id`) leads to the operations on it: OpenAPI links,
    so that clients — and contract tests — can follow a need, a key, an activity or an offer."""
    for path, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        for target_path, targets in paths.items():
            if not target_path.startswith(path + "/{"):
                continue
            parameters = {name: f"$request.path.{name}" for name in _NAMES.findall(path)}
            parameters[_NAMES.findall(target_path[len(path) :])[0]] = "$response.body#/id"
            for target in targets.values():
                created.setdefault("links", {})[target["operationId"]] = {
                    "operationId": target["operationId"],
                    "parameters": parameters,
                }


def _error_statuses(path: str, method: str, operation: dict[str, Any]) -> set[str]:
    """The error statuses an operation can answer, from what every route of the gateway does."""
    if not path.startswith("/api/"):
        return {"503"} if path == "/readyz" else set()
    # Credentials are checked and quotas applied everywhere; every answer may need a service.
    # 403: a key without the scope the route needs, a role that may not, an unconfirmed e-mail.
    statuses = {"400", "401", "403", "404", "405", "422", "429", "503", "504"}
    if method in ("post", "put", "patch"):
        statuses |= {"413"}
    if method != "get":
        statuses |= {"409", "412", "428"}  # writes: conflicts, stale or missing If-Match
    return statuses


def _declare_errors(path: str, method: str, operation: dict[str, Any]) -> None:
    """Errors declared as what they are: problem+json, with the statuses actually answered."""
    operation["parameters"] = [
        p
        for p in operation.get("parameters", [])
        if not (p.get("in") == "header" and p.get("name", "").lower() in _CREDENTIAL_HEADERS)
    ]
    if not operation["parameters"]:
        del operation["parameters"]
    if path.startswith("/api/") and "security" not in operation:
        operation["security"] = [{"bearer": []}, {"apiKey": []}, {}]
    responses = operation.setdefault("responses", {})
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for status in _error_statuses(path, method, operation) | {
        s for s in responses if s.startswith(("4", "5"))
    }:
        responses[status] = {
            "description": ERROR_DESCRIPTIONS.get(status, "Erreur"),
            "content": problem,
        }
