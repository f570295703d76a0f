"""Filter injection through every search parameter, on the real gateway: a hostile value is
either refused (422 problem+json naming the parameter) or searched as a plain value, which can
only narrow the result — never a 5xx, never a widened result."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from services.sourcing.search.request import SearchParameters
from tests.e2e.test_services import System

# Each one is the whole value of a parameter. The filter language of the engine, quotes and
# escapes to break out of a string literal, control characters, very long and odd unicode.
CORPUS = (
    '"',
    "'",
    "\\",
    '\\"',
    'EA" OR kind = "ACI',
    'EA\\" OR kind = \\"ACI',
    "EA' OR '1'='1",
    "EA OR kind = ACI",
    "EA AND kind EXISTS",
    "NOT kind = EA",
    "kind NOT IN [EA]",
    'EA"] OR kind IN ["ACI',
    "IN [EA, ACI, EI]",
    "_geoRadius(48.85, 2.35, 2000000)",
    "_geoBoundingBox([90, 180], [-90, -180])",
    "0 TO 99999",
    "id 0 TO 99999",
    "kind EXISTS",
    "kind IS NOT NULL",
    "(",
    ")",
    'EA")) OR (("1" = "1',
    ") OR (kind EXISTS",
    "EA\nOR kind EXISTS",
    "EA\r\n OR id > 0",
    "EA\x00",
    "\x00",
    "\t",
    "x" * 5000,
    "EA" + "\\" * 300,
    "ＥＡ",
    "ÉA",
    "EA\u202e",
    "\U0001f642",
    "*",
    "%",
    "93' --",
    "1e309",
    "-1",
)
PARAMETERS = sorted(SearchParameters.names())
NARROW = {"kind": "EA"}  # two structures: anything more is a widened result
NARROW_FOR_KIND = {"family": "handicap", "department": "69"}
# A point alone is refused by naming the part of it that is missing.
POINT = ("lat", "lng", "radius_km")


@dataclass(frozen=True)
class Endpoint:
    path: str
    extra: tuple[str, ...] = ()

    def size(self, client: httpx.Client, params: dict[str, str]) -> tuple[int, httpx.Response]:
        response = client.get(self.path, params=params)
        if response.status_code != 200:
            return -1, response
        if self.path.endswith("/export"):
            rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff")), delimiter=";"))
            return len(rows) - 2, response  # header and sources line
        body = response.json()
        return int(body.get("total", body.get("eligible_suppliers", -1))), response


ENDPOINTS = {
    "search": Endpoint("/api/v1/search"),
    "export": Endpoint("/api/v1/search/export", ("format",)),
    "market-depth": Endpoint("/api/v1/market-depth"),
}


@pytest.fixture(scope="module")
def gateway(hostile_system: System) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=hostile_system.gateway.url, timeout=30) as client:
        yield client


def _violation(parameter: str, value: str, response: httpx.Response, size: int, base: int) -> str:
    where = f"{parameter}={value[:40]!r}: {response.status_code}"
    if response.status_code == 200:
        return "" if 0 <= size <= base else f"{where} widened {base} → {size}"
    if response.status_code != 422:
        return f"{where} {response.text[:200]}"
    if response.headers["content-type"] != "application/problem+json":
        return f"{where} not problem+json"
    fields = [e["field"] for e in response.json().get("errors", [])]
    named = set(POINT) if parameter in POINT else {parameter}
    return "" if fields and fields[0] in named else f"{where} names {fields}"


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
def test_hostile_values_never_widen_nor_fail(gateway: httpx.Client, endpoint: str) -> None:
    target = ENDPOINTS[endpoint]
    violations, attempts, refused = [], 0, 0
    for parameter in [*PARAMETERS, *target.extra]:
        base_params = NARROW_FOR_KIND if parameter == "kind" else NARROW
        base, response = target.size(gateway, base_params)
        assert base > 0, response.text
        for value in CORPUS:
            size, response = target.size(gateway, {**base_params, parameter: value})
            attempts += 1
            refused += response.status_code == 422
            if problem := _violation(parameter, value, response, size, base):
                violations.append(problem)
    print(f"{endpoint}: {attempts} injection attempts, {refused} refused with 422, rest narrowed")
    assert attempts == len(CORPUS) * (len(PARAMETERS) + len(target.extra))
    assert not violations, "\n".join(violations[:50])
