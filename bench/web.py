"""The website under load, against the gateway's JSON for the same search in the same run, and
the weight of a page once the browser has the static files (Chromium, real network counters)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import httpx
from playwright.sync_api import sync_playwright

from bench.loadgen import Target, run_load
from bench.queries import QUERIES
from bench.system import System
from tests.web.conftest import CHROMIUM, CHROMIUM_FLAGS

CONCURRENCY = 8


def results_pages(system: System, seconds: int) -> dict[str, Any]:
    """For each benchmark query: the results page and the API's JSON, one after the other."""
    runs: dict[str, Any] = {}
    for name, params in QUERIES.items():
        query = urlencode(params, doseq=True)
        page_url = f"{system.web.url}/recherche?{query}"
        page = httpx.get(page_url, timeout=30)
        if page.status_code != 200:
            raise SystemExit(f"la page de résultats « {name} » répond {page.status_code}")
        by_target = {}
        for target_name, url in (
            ("gateway", f"{system.gateway.url}/api/v1/search?{query}"),
            ("web", page_url),
        ):
            target = Target(url=url)
            run_load(target, CONCURRENCY, 1)  # warm-up
            by_target[target_name] = run_load(target, CONCURRENCY, seconds).as_dict()
        gateway, web = by_target["gateway"], by_target["web"]
        runs[name] = {
            **by_target,
            "html_bytes": len(page.content),
            "throughput_ratio": round(web["throughput"] / max(gateway["throughput"], 1e-9), 3),
            "p50_overhead_ms": round(web["p50_ms"] - gateway["p50_ms"], 2),
        }
    return runs


def page_weight(system: System, paths: dict[str, str]) -> dict[str, Any]:
    """Bytes transferred (compressed, headers included) for each page: at the first visit, and
    at a second visit of the same page in the same browser, when the static files come from its
    cache."""
    weights: dict[str, Any] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            for name, path in paths.items():
                context = browser.new_context()
                page = context.new_page()
                cdp = context.new_cdp_session(page)
                cdp.send("Network.enable")
                counted = {"bytes": 0, "requests": 0}

                def finished(event: dict[str, Any], counted: dict[str, int] = counted) -> None:
                    counted["bytes"] += int(event.get("encodedDataLength", 0))
                    counted["requests"] += 1

                cdp.on("Network.loadingFinished", finished)
                visits = []
                for _ in range(2):
                    counted.update(bytes=0, requests=0)
                    page.goto(system.web.url + path, wait_until="load")
                    page.wait_for_timeout(300)
                    visits.append(dict(counted))
                context.close()
                weights[name] = {
                    "path": path,
                    "first_visit_kb": round(visits[0]["bytes"] / 1024, 1),
                    "next_visit_kb": round(visits[1]["bytes"] / 1024, 1),
                    "next_visit_requests": visits[1]["requests"],
                }
        finally:
            browser.close()
    return weights


def any_structure(system: System) -> int:
    hits = httpx.get(
        f"{system.gateway.url}/api/v1/search", params={"kind": "ESAT"}, timeout=30
    ).json()["hits"]
    return int(hits[0]["id"])
