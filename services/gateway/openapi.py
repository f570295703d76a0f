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
_PARAMETER = re.compile(r"\{[^}]+\}")


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
    document["paths"] = dict(sorted(paths.items()))
    return document, missing
