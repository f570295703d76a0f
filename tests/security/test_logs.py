"""No secret in the logs: real gateway, catalog and sourcing processes write their JSON logs to
files while the test drives sign-ups, logins (good and bad), refreshes, password resets, API
keys (header, bearer, legacy `?token=`), claim codes, answer links (genuine and forged), errors
and an upstream failure; then every line of every log is searched for every secret."""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.common.search_engine import search_key_value
from services.sourcing.needs.links import make_token
from tests.conftest import IndexedCatalog
from tests.e2e.test_accounts import PASSWORD, _account, _token_mailed_to
from tests.e2e.test_services import System
from tests.security.conftest import IDENTITY_SECRET, SESSION_SECRET
from tests.security.test_idor import bearer, published_need
from tests.support import ROOT, free_port, migrate, wait_until


def _code_mailed_to(folder: Path, address: str) -> str:
    """The claim verification code the catalog mailed to a structure's private address."""
    codes: list[str] = []

    def arrived() -> bool:
        for path in sorted(folder.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if message["To"] == address:
                codes.extend(re.findall(r"ce code : (\d{6})", message.get_content()))  # type: ignore[attr-defined]
        return bool(codes)

    wait_until(arrived, timeout_s=30)
    return codes[-1]


class Traffic:
    """Requests through the gateway, remembering every secret they carry or receive."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.secrets: dict[str, str] = {}

    def keep(self, name: str, value: str) -> str:
        assert value, name
        self.secrets[name] = value
        return value

    def tokens(self, name: str, tokens: dict[str, Any]) -> dict[str, str]:
        self.keep(f"{name} access token", tokens["access_token"])
        self.keep(f"{name} refresh token", tokens["refresh_token"])
        return bearer(tokens)


def _accounts_and_sessions(traffic: Traffic) -> dict[str, str]:
    system = traffic.system
    traffic.keep("password", PASSWORD)
    address, tokens = _account(system, "public_buyer")  # registration, mailed token, login
    traffic.tokens("login", tokens)
    verify_tokens = re.findall(r"\?token=([A-Za-z0-9_-]{20,})", _all_mail(system.mail_dir))
    for index, token in enumerate(verify_tokens):
        traffic.keep(f"mailed token {index}", token)
    wrong = traffic.keep("wrong password", "mauvais-mot-de-passe-" + secrets.token_hex(6))
    for _ in range(3):
        assert (
            system.post("/api/v1/auth/login", {"email": address, "password": wrong}).status_code
            == 401
        )
    unknown = {"email": "inconnu@exemple.fr", "password": wrong}
    assert system.post("/api/v1/auth/login", unknown).status_code == 401
    short = traffic.keep("refused password", "court" + secrets.token_hex(2))
    weak = system.post(
        "/api/v1/auth/register",
        {"email": "x@exemple.fr", "password": short, "role": "public_buyer"},
    )
    assert weak.status_code == 422
    renewed = system.post("/api/v1/auth/refresh", {"refresh_token": tokens["refresh_token"]})
    assert renewed.status_code == 200
    traffic.tokens("refreshed", renewed.json())
    # Password reset: the mailed token, the new password, the sessions it ends.
    assert system.post("/api/v1/auth/password-reset", {"email": address}).status_code == 202
    reset = traffic.keep("reset token", _token_mailed_to(system.mail_dir, address, "mot de passe"))
    new_password = traffic.keep("new password", PASSWORD + "-" + secrets.token_hex(4))
    confirmed = system.post(
        "/api/v1/auth/password-reset/confirm", {"token": reset, "password": new_password}
    )
    assert confirmed.status_code == 204
    assert (
        system.post(
            "/api/v1/auth/password-reset/confirm", {"token": reset, "password": new_password}
        ).status_code
        == 401
    )
    login = system.post("/api/v1/auth/login", {"email": address, "password": new_password})
    assert login.status_code == 200
    traffic.tokens("after reset", login.json())
    logout = system.post("/api/v1/auth/logout", {"refresh_token": login.json()["refresh_token"]})
    assert logout.status_code == 204
    login = system.post("/api/v1/auth/login", {"email": address, "password": new_password})
    return traffic.tokens("last", login.json())


def _all_mail(folder: Path) -> str:
    return "\n".join(
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default).get_content()  # type: ignore[attr-defined]
        for p in sorted(folder.glob("*.eml"))
    )


def _keys(traffic: Traffic, buyer: dict[str, str]) -> None:
    system = traffic.system
    created = system.post(
        "/api/v1/keys", {"name": "outil", "scopes": ["search:read", "needs:read"]}, buyer
    )
    assert created.status_code == 201
    key = traffic.keep("API key", created.json()["key"])
    assert system.get("/api/v1/needs", headers={"X-Api-Key": key}).status_code == 200
    assert (
        system.get("/api/v1/needs", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    )
    legacy = system.get("/api/siae/", params={"token": key, "limit": 1})
    assert legacy.status_code == 200, legacy.text
    rotated = system.post(f"/api/v1/keys/{created.json()['id']}/rotate", {}, buyer)
    new_key = traffic.keep("rotated API key", rotated.json()["key"])
    assert system.get("/api/v1/needs", headers={"X-Api-Key": key}).status_code == 401
    assert system.get("/api/siae/", params={"token": key}).status_code == 401
    assert system.get("/api/v1/needs", headers={"X-Api-Key": new_key + "0"}).status_code == 401


def _claim_code(traffic: Traffic, staff: dict[str, str]) -> None:
    """A claim verified by the code mailed to the structure's private address."""
    system = traffic.system
    hit = system.get("/api/v1/search", params={"kind": "AI", "department": "59"}).json()["hits"][0]
    address = f"verification-{secrets.token_hex(4)}@structure.example"
    etag = system.get(f"/api/v1/structures/{hit['id']}").headers["etag"]
    patched = system.patch(
        f"/api/v1/structures/{hit['id']}", {"contact_email": address}, {**staff, "If-Match": etag}
    )
    assert patched.status_code == 200, patched.text
    _, tokens = _account(system, "supplier_manager")
    manager = traffic.tokens("manager", tokens)
    claim = system.post(
        "/api/v1/claims", {"siret": hit["siret"], "structure_id": hit["id"]}, manager
    )
    assert claim.status_code == 201 and claim.json()["kind"] == "verification", claim.text
    code = traffic.keep("claim code", _code_mailed_to(system.mail_dir, address))
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    assert (
        system.post(
            f"/api/v1/claims/{claim.json()['id']}/verify", {"code": wrong}, manager
        ).status_code
        == 422
    )
    verified = system.post(f"/api/v1/claims/{claim.json()['id']}/verify", {"code": code}, manager)
    assert verified.status_code == 200, verified.text


def _answer_links(traffic: Traffic, buyer: dict[str, str]) -> str:
    system = traffic.system
    need = published_need(system, buyer)
    matches = system.get(f"/api/v1/needs/{need}/matches", headers=buyer).json()
    token = traffic.keep(
        "answer link", make_token(IDENTITY_SECRET, need, matches[0]["structure_id"], 3600)
    )
    assert system.get(f"/api/v1/answers/{token}").status_code == 200
    answered = system.post(f"/api/v1/answers/{token}", {"status": "interested"})
    assert answered.status_code == 200, answered.text
    forged = traffic.keep("forged answer link", token[:-3] + "AAA")
    assert system.get(f"/api/v1/answers/{forged}").status_code == 401
    return token


def _errors_and_upstream_failure(traffic: Traffic, token: str, key: str) -> None:
    system = traffic.system
    assert system.get("/api/v1/search", params={"kind": "ESATT"}).status_code == 422
    assert system.get("/api/v1/structures/2000000000").status_code == 404
    garbled = httpx.post(
        system.gateway.url + "/api/v1/auth/login",
        content=b'{"email": "a@b.fr", "password": "' + PASSWORD.encode() + b'"',
        headers={"content-type": "application/json"},
        timeout=10,
    )
    assert garbled.status_code == 422
    system.sourcing.stop()
    try:
        assert system.get(f"/api/v1/answers/{token}").status_code == 503
        down = system.get("/api/v1/search", params={"q": "jardin"}, headers={"X-Api-Key": key})
        assert down.status_code in (401, 503)
    finally:
        system.sourcing.start()


def _log_lines(system: System) -> list[tuple[str, str]]:
    lines = []
    for service in (system.gateway, system.catalog, system.sourcing):
        for line in service.log.read_text(encoding="utf-8", errors="replace").splitlines():
            lines.append((service.name, line))
    return lines


@pytest.fixture(scope="module")
def logged(
    secure_system: System, indexed_catalog: IndexedCatalog, staff: dict[str, str]
) -> tuple[Traffic, list[tuple[str, str]]]:
    traffic = Traffic(secure_system)
    meili = indexed_catalog.meili
    if meili.key:
        traffic.keep("Meilisearch master key", meili.key)
        index = indexed_catalog.index + "_security"
        traffic.keep("search key", search_key_value(meili.key, index))
    traffic.keep("identity secret", IDENTITY_SECRET)
    traffic.keep("session secret", SESSION_SECRET)
    buyer = _accounts_and_sessions(traffic)
    _keys(traffic, buyer)
    traffic.keep("staff access token", staff["Authorization"].removeprefix("Bearer "))
    _claim_code(traffic, staff)
    token = _answer_links(traffic, buyer)
    _errors_and_upstream_failure(traffic, token, traffic.secrets["rotated API key"])
    time.sleep(0.5)  # the last lines are flushed
    return traffic, _log_lines(secure_system)


def test_the_logs_hold_the_traffic(logged: tuple[Traffic, list[tuple[str, str]]]) -> None:
    """The search below is not vacuous: the requests driven are in the logs."""
    _, lines = logged
    entries = [json.loads(text) for _, text in lines if text.startswith("{")]
    paths = {(e.get("service"), e.get("path"), e.get("status")) for e in entries}
    assert ("gateway", "/api/v1/auth/login", 401) in paths
    assert ("gateway", "/api/v1/auth/password-reset/confirm", 204) in paths
    assert ("gateway", "/api/v1/answers/[masqué]", 200) in paths
    assert ("sourcing", "/v1/answers/[masqué]", 200) in paths
    assert ("gateway", "/api/v1/answers/[masqué]", 503) in paths
    assert len(logged[0].secrets) >= 15


def test_no_secret_in_any_log_line(logged: tuple[Traffic, list[tuple[str, str]]]) -> None:
    traffic, lines = logged
    leaks = []
    for name, secret in traffic.secrets.items():
        pattern = re.compile(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])")
        leaks += [(name, service, text[:200]) for service, text in lines if pattern.search(text)]
    assert leaks == []


def test_no_credential_header_or_query_token_in_logs(
    logged: tuple[Traffic, list[tuple[str, str]]],
) -> None:
    _, lines = logged
    credential = re.compile(
        r"(?i)(authorization|x-api-key|x-mi-identity|bearer\s+\S|token=[^&\s\"*\[])"
    )
    assert [(service, text[:200]) for service, text in lines if credential.search(text)] == []


def test_uvicorn_access_lines_stay_off_as_deployed(tmp_path: Path) -> None:
    """docker-compose runs uvicorn without `--no-access-log`: its access lines, which carry the
    query string (where the historical API's `?token=` travels), must still reach no log."""
    database = f"sqlite:///{tmp_path / 'gateway.db'}"
    migrate(database, "gateway")
    port, dead = free_port(), f"http://127.0.0.1:{free_port()}"
    environment = {
        **os.environ,
        "MI_ENVIRONMENT": "test",
        "GATEWAY_DATABASE_URL": database,
        "GATEWAY_SESSION_SECRET": SESSION_SECRET,
        "MI_IDENTITY_SECRET": IDENTITY_SECRET,
        "GATEWAY_CATALOG_URL": dead,
        "GATEWAY_SOURCING_URL": dead,
        "GATEWAY_MAIL_DIR": str(tmp_path / "mail"),
    }
    log = tmp_path / "gateway.log"
    command = [sys.executable, "-m", "uvicorn", "--factory", "services.gateway.app:create_app"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    token = secrets.token_hex(40)
    link = make_token(IDENTITY_SECRET, 1, 2, 3600)
    try:
        wait_until(lambda: _answers(url + "/healthz"), timeout_s=30)
        assert httpx.get(f"{url}/api/siae/", params={"token": token}, timeout=10).status_code == 401
        assert httpx.get(f"{url}/api/v1/answers/{link}", timeout=10).status_code == 503
    finally:
        process.terminate()
        process.wait(timeout=15)
    text = log.read_text(encoding="utf-8")
    assert '"path": "/api/siae/"' in text and "/api/v1/answers/[masqué]" in text
    assert token not in text and link not in text


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False
