"""`/healthz` (the process answers) and `/readyz` (its dependencies answer, else 503)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

ReadinessCheck = Callable[[], Awaitable[None]]
CHECK_TIMEOUT_S = 2.0


async def _run(check: ReadinessCheck) -> str | None:
    try:
        await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT_S)
    except TimeoutError:
        return "timeout"
    except Exception as exc:
        return type(exc).__name__
    return None


def health_router(
    checks: Callable[[], Mapping[str, ReadinessCheck]],
    details: Callable[[], Mapping[str, Any]] | None = None,
) -> APIRouter:
    """`checks` is read per call, so checks can use clients made in the lifespan; `details`
    (cheap, no input/output) adds what an operator reads beside them, such as the leases held."""
    router = APIRouter(tags=["santé"])

    @router.get("/healthz", summary="Le service répond")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Les dépendances du service répondent")
    async def readyz() -> JSONResponse:
        named = dict(checks())
        failures = await asyncio.gather(*(_run(c) for c in named.values()))
        results = {
            name: ("ok" if failure is None else f"indisponible ({failure})")
            for name, failure in zip(named, failures, strict=True)
        }
        ready = all(f is None for f in failures)
        body: dict[str, Any] = {"status": "ok" if ready else "indisponible", "checks": results}
        if details is not None:
            body.update(details())
        return JSONResponse(
            body,
            status_code=200 if ready else 503,
        )

    return router
