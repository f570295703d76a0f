"""Filter injection through every search parameter, on the real gateway: a hostile value is
either refused (422 problem+json naming the parameter) or searched as a plain value, which can
only narrow the result — never a 5xx, never a widened result."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
            return len(rows) - 1, response  # the header (the sources are a column)
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
    bases = {}
    for narrow in (NARROW, NARROW_FOR_KIND):
        bases[tuple(narrow)], response = target.size(gateway, narrow)
        assert bases[tuple(narrow)] > 0, response.text

    def attempt(parameter: str, value: str) -> tuple[int, str]:
        narrow = NARROW_FOR_KIND if parameter == "kind" else NARROW
        size, response = target.size(gateway, {**narrow, parameter: value})
        base = bases[tuple(narrow)]
        return response.status_code, _violation(parameter, value, response, size, base)

    tried = [(p, v) for p in [*PARAMETERS, *target.extra] for v in CORPUS]
    with ThreadPoolExecutor(max_workers=4) as pool:  # the two cores kept busy
        outcomes = list(pool.map(lambda pair: attempt(*pair), tried))
    refused = sum(status == 422 for status, _ in outcomes)
    violations = [problem for _, problem in outcomes if problem]
    print(f"{endpoint}: {len(tried)} injection attempts, {refused} refused with 422, rest narrowed")
    assert len(tried) == len(CORPUS) * (len(PARAMETERS) + len(target.extra))
    assert not violations, "\n".join(violations[:50])
