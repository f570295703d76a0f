"""Freshness: time from a catalog write's 200 to the change being searchable in Meilisearch —
or, given a gateway, through that gateway's search (and its cache).

The catalog runs as a real process with its relay; each write is a manager-style PATCH (with
its If-Match), then the index (or the gateway) is asked until it finds the new word, for at
most 10 s a write. Through a cached gateway the first ask caches « nothing found », so the
word appears only once the index generation moved on."""

from __future__ import annotations

import statistics
import time

import httpx

from bench.system import IDENTITY_SECRET, INDEX
from services.common.identity import Principal, Role, sign_identity
from tests.support import MeiliProcess

STAFF = Principal(account_id="bench-staff", role=Role.STAFF, email="staff@exemple.fr")
WAIT_S = 10.0


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def measure(
    catalog_url: str, meili: MeiliProcess, writes: int, gateway_url: str | None = None
) -> dict[str, object]:
    delays: list[float] = []
    missed = 0
    with (
        httpx.Client(base_url=catalog_url, timeout=10) as catalog,
        httpx.Client(
            base_url=meili.url, headers={"Authorization": f"Bearer {meili.key}"}, timeout=5
        ) as search,
        httpx.Client(base_url=gateway_url or meili.url, timeout=5) as gateway,
    ):

        def first_hit(word: str) -> int | None:
            if gateway_url is None:
                hits = search.post(f"/indexes/{INDEX}/search", json={"q": word, "limit": 1}).json()[
                    "hits"
                ]
            else:
                answer = gateway.get("/api/v1/search", params={"q": word, "per_page": 1})
                hits = answer.json()["hits"]
            return int(hits[0]["id"]) if hits else None

        ids = [
            hit["id"]
            for hit in search.post(
                f"/indexes/{INDEX}/search", json={"q": "", "limit": writes, "sort": ["name:asc"]}
            ).json()["hits"]
        ]
        for n, structure_id in enumerate(ids):
            word = f"fraicheur{n:04d}x{time.time_ns() % 100000:05d}"
            if gateway_url is not None:
                first_hit(word)  # « nothing found » cached before the write
            identity = {"x-mi-identity": sign_identity(STAFF, IDENTITY_SECRET)}
            current = catalog.get(f"/v1/structures/{structure_id}", headers=identity)
            current.raise_for_status()
            identity = {"x-mi-identity": sign_identity(STAFF, IDENTITY_SECRET)}
            written = catalog.patch(
                f"/v1/structures/{structure_id}",
                json={"brand": word},
                headers={**identity, "If-Match": current.headers["etag"]},
            )
            written.raise_for_status()
            accepted = time.perf_counter()
            deadline = accepted + WAIT_S
            while time.perf_counter() < deadline:
                if first_hit(word) == structure_id:
                    delays.append(time.perf_counter() - accepted)
                    break
                time.sleep(0.002)
            else:
                missed += 1
    return {
        "writes": len(ids),
        "searchable": len(delays),
        "not_searchable_within_10_s": missed,
        "p50_ms": round(statistics.median(delays) * 1000, 1) if delays else None,
        "p99_ms": round(_percentile(delays, 0.99) * 1000, 1) if delays else None,
        "max_ms": round(max(delays) * 1000, 1) if delays else None,
    }
