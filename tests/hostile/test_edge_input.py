"""Malformed requests at the real gateway (uvicorn, over a socket): oversized bodies, chunked or
not; JSON nested ten thousand deep; bytes that are not UTF-8 in bodies, query strings and paths;
absurd paging values. Always a 4xx problem+json, never a 5xx."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.test_services import System

MIB = 1024 * 1024
PROBLEM = "application/problem+json"
DEEP = 10_000


@pytest.fixture(scope="module")
def gateway(hostile_system: System) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hostile_system.gateway.url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def api_key(gateway: httpx.Client, role_headers: dict[str, dict[str, str]]) -> str:
    created = gateway.post(
        "/api/v1/keys",
        json={"name": "hostile", "scopes": ["search:read", "needs:read", "needs:write"]},
        headers=role_headers["public_buyer"],
    )
    assert created.status_code == 201, created.text
    return str(created.json()["key"])


def _raw(system: System, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """One request written byte for byte, where an HTTP client would have encoded it."""
    address = urlsplit(system.gateway.url)
    with socket.create_connection((address.hostname, address.port), timeout=30) as sock:
        sock.sendall(request)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def _assert_problem(response: httpx.Response, *statuses: int) -> None:
    assert response.status_code in statuses, (response.status_code, response.text[:300])
    assert response.headers["content-type"] == PROBLEM, response.text[:300]
    assert response.json()["status"] == response.status_code


def _assert_french(response: httpx.Response) -> None:
    if response.status_code == 400:  # the body could not be read at all
        assert response.json()["detail"].startswith("Corps de la requête illisible")
        assert response.json()["title"] == "Requête invalide"


def test_oversized_bodies_get_413(gateway: httpx.Client, hostile_system: System) -> None:
    declared = gateway.post(
        "/api/v1/auth/login",
        content=b'{"email": "' + b"a" * (2 * MIB) + b'"}',
        headers={"content-type": "application/json"},
    )
    _assert_problem(declared, 413)
    chunked = gateway.post(  # a generator body: chunked transfer, no Content-Length
        "/api/v1/needs",
        content=(b" " * 65536 for _ in range(40)),
        headers={"content-type": "application/json"},
    )
    assert "content-length" not in chunked.request.headers
    _assert_problem(chunked, 413)
    status, headers, _ = _raw(
        hostile_system,
        b"POST /api/tenders/ HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n"
        b"Connection: close\r\n\r\n{}",
    )
    assert 400 <= status < 500  # a length no server can hold: refused by the HTTP parser
    status, headers, _ = _raw(
        hostile_system,
        b"POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        + (b"10000\r\n" + b"[" * 65536 + b"\r\n") * 17  # just over 1 MiB: all of it is read
        + b"0\r\n\r\n",
    )
    assert status == 413 and headers["content-type"] == PROBLEM


NESTED = {
    "arrays": b"[" * DEEP + b"]" * DEEP,
    "objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "unclosed": b'{"title":' + b"[" * DEEP,
}
BODY_ROUTES = (
    ("POST", "/api/v1/auth/login", "anonymous"),
    ("POST", "/api/v1/auth/register", "anonymous"),
    ("POST", "/api/v1/keys", "public_buyer"),
    ("POST", "/api/v1/needs", "public_buyer"),
    ("POST", "/api/v1/claims", "supplier_manager"),
    ("PATCH", "/api/v1/structures/1", "staff"),
    ("POST", "/api/v1/structures/1/activities", "staff"),
    ("POST", "/api/v1/structures/1/offers", "staff"),
    ("POST", "/api/v1/answers/1.2.9999999999.forged-signature", "anonymous"),
)


@pytest.mark.parametrize("shape", sorted(NESTED))
def test_deeply_nested_json_is_a_4xx(
    gateway: httpx.Client, role_headers: dict[str, dict[str, str]], shape: str
) -> None:
    for method, path, role in BODY_ROUTES:
        response = gateway.request(
            method,
            path,
            content=NESTED[shape],
            headers={**role_headers[role], "content-type": "application/json", "if-match": '"v1"'},
        )
        assert 400 <= response.status_code < 500, (method, path, response.text[:300])
        assert response.headers["content-type"] == PROBLEM, (method, path)
        _assert_french(response)


INVALID_UTF8 = (b"\xff\xfe", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")


def test_invalid_utf8_bodies_are_a_4xx(
    gateway: httpx.Client, role_headers: dict[str, dict[str, str]]
) -> None:
    for bad in INVALID_UTF8:
        for method, path, role in BODY_ROUTES:
            response = gateway.request(
                method,
                path,
                content=b'{"email": "a' + bad + b'@b.fr", "title": "' + bad + b'", "siret": "1"}',
                headers={**role_headers[role], "content-type": "application/json"},
            )
            assert 400 <= response.status_code < 500, (method, path, bad, response.text[:300])
            assert response.headers["content-type"] == PROBLEM, (method, path, bad)
            _assert_french(response)


QUERY_PATHS = ("/api/v1/search", "/api/v1/search/export", "/api/v1/market-depth", "/api/siae/")
PATHS = (
    "/api/v1/structures/{}",
    "/api/v1/structures/1/{}",
    "/api/v1/answers/abcdefghij{}",
    "/api/v1/reference/{}",
    "/api/siae/slug/{}/",
    "/api/v1/needs/{}",
    "/api/{}",
)


def test_invalid_utf8_in_query_strings_and_paths(
    hostile_system: System, role_headers: dict[str, dict[str, str]], api_key: str
) -> None:
    auth = f"Authorization: Bearer {api_key}\r\n".encode()
    seen = 0
    for bad in INVALID_UTF8:
        escaped = "".join(f"%{b:02X}" for b in bad).encode()
        for form in (escaped, bad):
            targets = [p.encode() + b"?q=" + form + b"&label=" + form for p in QUERY_PATHS]
            targets = [targets[0] + b"&per_page=1", *targets[1:3], targets[3] + b"&limit=1"]
            targets += [QUERY_PATHS[0].encode() + b"?" + form + b"=1"]
            targets += [p.encode().replace(b"{}", form) for p in PATHS]
            for target in targets:
                status, headers, body = _raw(
                    hostile_system,
                    b"GET "
                    + target
                    + b" HTTP/1.1\r\nHost: x\r\n"
                    + auth
                    + b"Connection: close\r\n\r\n",
                )
                seen += 1
                assert status < 500, (target, status, body[:300])
                if (
                    status >= 400 and form is escaped
                ):  # raw bytes may be refused by the server's parser
                    assert headers["content-type"] == PROBLEM, (target, status, body[:300])
    assert seen == len(INVALID_UTF8) * 2 * (len(QUERY_PATHS) + 1 + len(PATHS))


REFUSED = ("99999999999999999999999999", "-1", "-99999999999999999999", "abc", "1.5", "1e3")
HUGE = (*REFUSED, "0", "", "2147483648")
PAGING = (
    ("/api/v1/search", ("page", "per_page")),
    ("/api/v1/search/export", ("page", "per_page")),
    ("/api/v1/structures/1/audit", ("page", "per_page")),
    ("/api/siae/", ("limit", "offset")),
    ("/api/siae/kinds/", ("limit", "offset")),
    ("/api/sectors/", ("limit", "offset")),
)


def test_absurd_paging_values(
    gateway: httpx.Client, role_headers: dict[str, dict[str, str]], api_key: str
) -> None:
    headers = {"Authorization": f"Bearer {api_key}"}
    for path, names in PAGING:
        caller = role_headers["staff"] if "audit" in path else headers
        for name in names:
            for value in HUGE:
                response = gateway.get(path, params={name: value}, headers=caller)
                if response.status_code == 200 and value not in REFUSED:
                    continue  # a limit of 0, an empty value read as the default
                _assert_problem(response, 422)
                fields = [e["field"] for e in response.json()["errors"]]
                assert fields[0] == name, (path, name, value, fields)
