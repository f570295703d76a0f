"""The plumbing every service shares: problem+json, request ids, JSON logs, health."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator, Mapping

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient

from services.common.app import create_service_app
from services.common.errors import Conflict
from services.common.health import ReadinessCheck
from services.common.logging import JsonFormatter, request_id_var
from services.common.settings import ServiceSettings

router = APIRouter()


@router.get("/boom")
def boom() -> None:
    raise RuntimeError("secret-internal-detail SELECT * FROM structure")


@router.get("/conflict")
def conflict() -> None:
    raise Conflict("Déjà pris.")


def _app(ready: bool = True, trust: bool = True) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield

    async def dependency() -> None:
        if not ready:
            raise ConnectionError("down")

    def readiness(app: FastAPI) -> Mapping[str, ReadinessCheck]:
        return {"dependency": dependency}

    return create_service_app(
        service="test",
        title="test",
        description="test",
        settings=ServiceSettings(),
        lifespan=lifespan,
        routers=[router],
        readiness=readiness,
        trust_incoming_request_id=trust,
    )


def test_unexpected_error_is_a_500_problem_without_internals() -> None:
    with TestClient(_app(), raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "secret-internal-detail" not in response.text and "SELECT" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_app_errors_and_unknown_routes() -> None:
    with TestClient(_app()) as client:
        conflict = client.get("/conflict")
        assert conflict.status_code == 409 and conflict.json()["detail"] == "Déjà pris."
        missing = client.post("/conflict")
        assert missing.status_code == 405
        assert missing.headers["content-type"] == "application/problem+json"


def test_request_id_trusted_only_where_told() -> None:
    with TestClient(_app(trust=True)) as client:
        assert (
            client.get("/healthz", headers={"X-Request-Id": "abcdef123456"}).headers["x-request-id"]
            == "abcdef123456"
        )
        # Malformed ids are replaced rather than logged.
        assert (
            client.get("/healthz", headers={"X-Request-Id": "bad id\n"}).headers["x-request-id"]
            != "bad id\n"
        )
    with TestClient(_app(trust=False)) as client:
        assert (
            client.get("/healthz", headers={"X-Request-Id": "abcdef123456"}).headers["x-request-id"]
            != "abcdef123456"
        )


@pytest.mark.parametrize(("ready", "status"), [(True, 200), (False, 503)])
def test_readiness(ready: bool, status: int) -> None:
    with TestClient(_app(ready=ready)) as client:
        response = client.get("/readyz")
        assert response.status_code == status
        assert client.get("/healthz").status_code == 200
    assert ("indisponible" in response.text) is (not ready)


def test_json_log_line_carries_request_id_and_extras() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello %s", ("world",), None)
    record.counts = {"created": 3}
    token = request_id_var.set("rid-123456")
    try:
        line = json.loads(JsonFormatter("catalog").format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "hello world"
    assert line["request_id"] == "rid-123456"
    assert line["service"] == "catalog" and line["counts"] == {"created": 3}


def test_placeholder_secrets_refused_outside_development(monkeypatch: pytest.MonkeyPatch) -> None:
    from services.sourcing.settings import SourcingSettings

    monkeypatch.setenv("MI_ENVIRONMENT", "production")
    monkeypatch.setenv("MEILI_MASTER_KEY", "changethis")
    with pytest.raises(ValueError, match="MEILI_MASTER_KEY"):
        SourcingSettings()
    monkeypatch.setenv("MI_ENVIRONMENT", "development")
    assert SourcingSettings().meili_master_key == "changethis"
