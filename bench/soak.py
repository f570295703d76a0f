"""Soak: mixed traffic at a fixed rate through the gateway for a fixed time, on the real data.

Searches (anonymous buyers), structure pages, managers editing their own structures (with
If-Match) and buyers publishing needs (matched and notified at once). Open loop: a request is
started every 1/rate s whatever the previous ones do, at most `--concurrency` in flight (a
request that finds no room counts as an error: the system fell behind). Printed at the start
(after a warm-up) and at the end: error rate, p99 latency, resident memory of each service.

Usage: .venv/bin/python -m bench.soak [--minutes 10] [--rate 20]
Exit status 1 when any request failed or a service's memory grew by more than 10 %."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import indexing
from bench.datasets import real_catalog
from bench.run import RESULTS, machine, say, stop_on_term
from bench.system import IDENTITY_SECRET, System, memory_mb, start_services
from services.common.identity import Principal, Role, sign_identity
from tests.e2e.test_accounts import NEED, _account
from tests.e2e.test_services import System as Gateway
from tests.support import MeiliProcess

MIX = {"search": 70, "page": 15, "write": 10, "need": 5}
SEARCHES = [
    {"q": "nettoyage", "department": "93"},
    {"sector": "nettoyage-de-locaux-16", "department": "69"},
    {"kind": "ESAT", "region": "84"},
    {"q": "espaces verts", "family": "insertion"},
    {"lat": 48.8566, "lng": 2.3522, "radius_km": 20, "sort": "distance"},
    {"cpv": "90911200", "department": "13"},
]
MEMORY_DRIFT_LIMIT = 0.10
WARM_UP_S = 30
MANAGERS = 5


def rss_mb(pid: int) -> float:
    return memory_mb(pid, "VmRSS") or 0.0


@dataclass
class Window:
    latencies: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, object]:
        ordered = sorted(self.latencies)
        total = sum(self.outcomes.values())
        errors = total - self.outcomes["ok"]
        return {
            "requests": total,
            "errors": errors,
            "error_rate": round(errors / total, 5) if total else 0.0,
            "p50_ms": round(ordered[len(ordered) // 2] * 1000, 1) if ordered else None,
            "p99_ms": round(ordered[int(len(ordered) * 0.99)] * 1000, 1) if ordered else None,
            "outcomes": dict(self.outcomes),
        }


@dataclass
class Actors:
    buyer: dict[str, str]
    managers: list[tuple[int, dict[str, str]]]
    structures: list[int]


def actors(system: System, folder: Path) -> Actors:
    """A buyer, and managers each made member of a structure (claim accepted by staff)."""
    gateway = Gateway(
        system.catalog, system.sourcing, system.gateway, folder / "mail", str(folder / "gateway.db")
    )
    _, tokens = _account(gateway, "public_buyer")
    buyer = {"Authorization": f"Bearer {tokens['access_token']}"}
    hits = gateway.get("/api/v1/search", params={"kind": "EI", "per_page": 50}).json()["hits"]
    managers = []
    for hit in [h for h in hits if h.get("siret")][:MANAGERS]:
        _, tokens = _account(gateway, "supplier_manager")
        session = {"Authorization": f"Bearer {tokens['access_token']}"}
        claim = gateway.post(
            "/api/v1/claims", {"siret": hit["siret"], "structure_id": hit["id"]}, session
        )
        claim.raise_for_status()
        staff = sign_identity(Principal("staff-soak", Role.STAFF), IDENTITY_SECRET)
        httpx.post(
            f"{system.catalog.url}/v1/claims/{claim.json()['id']}/accept",
            headers={"x-mi-identity": staff},
        ).raise_for_status()
        managers.append((int(hit["id"]), session))
    structures = [
        h["id"] for h in gateway.get("/api/v1/search", params={"per_page": 100}).json()["hits"]
    ]
    return Actors(buyer, managers, structures)


async def one_request(
    client: httpx.AsyncClient, kind: str, who: Actors, rng: random.Random
) -> bool:
    if kind == "search":
        response = await client.get("/api/v1/search", params=rng.choice(SEARCHES))
        return response.status_code == 200
    if kind == "page":
        response = await client.get(f"/api/v1/structures/{rng.choice(who.structures)}/page")
        return response.status_code == 200
    if kind == "write":
        structure_id, session = rng.choice(who.managers)
        current = await client.get(f"/api/v1/structures/{structure_id}", headers=session)
        written = await client.patch(
            f"/api/v1/structures/{structure_id}",
            json={"description": f"Mise à jour {time.time_ns()}"},
            headers={**session, "If-Match": current.headers.get("etag", "")},
        )
        # Two writes to one structure may race: the stale one is refused with a 412, as meant.
        return current.status_code == 200 and written.status_code in (200, 412)
    response = await client.post("/api/v1/needs", json={**NEED, "publish": True}, headers=who.buyer)
    return response.status_code == 201


async def traffic(
    gateway_url: str,
    who: Actors,
    seconds: float,
    rate: float,
    concurrency: int,
    on_window: Any,
) -> list[dict[str, object]]:
    rng = random.Random(7)
    kinds, weights = list(MIX), list(MIX.values())
    windows: list[dict[str, object]] = []
    current = Window()
    in_flight: set[asyncio.Task[None]] = set()
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=gateway_url, timeout=15, limits=limits) as client:

        async def run(kind: str) -> None:
            started = time.perf_counter()
            try:
                ok = await one_request(client, kind, who, rng)
                current.outcomes["ok" if ok else f"{kind}: statut inattendu"] += 1
            except httpx.HTTPError as exc:
                current.outcomes[f"{kind}: {type(exc).__name__}"] += 1
            current.latencies.append(time.perf_counter() - started)

        begin = time.perf_counter()
        window_start = begin
        n = 0
        while (now := time.perf_counter()) - begin < seconds:
            next_at = begin + n / rate
            if next_at > now:
                await asyncio.sleep(next_at - now)
            n += 1
            if len(in_flight) >= concurrency:
                current.outcomes["en retard : plus de place"] += 1
            else:
                task = asyncio.create_task(run(rng.choices(kinds, weights)[0]))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
            if time.perf_counter() - window_start >= 60:
                windows.append(on_window(current))
                current, window_start = Window(), time.perf_counter()
        if in_flight:
            await asyncio.wait(in_flight, timeout=20)
        if current.outcomes:
            windows.append(on_window(current))
    return windows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=20, help="requêtes par seconde")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    stop_on_term()
    folder = Path(tempfile.mkdtemp(prefix="soak-"))
    dataset = real_catalog(folder)
    meili = MeiliProcess(folder).start()
    system: System | None = None
    try:
        indexing.rebuild(meili, dataset.url, folder)
        system = start_services(meili, dataset.url, folder)
        who = actors(system, folder)
        pids = {n: s.process.pid for n, s in system.services.items() if s.process}

        def memory() -> dict[str, float]:
            return {name: rss_mb(pid) for name, pid in pids.items()}

        def on_window(window: Window) -> dict[str, object]:
            summary = {**window.summary(), "rss_mb": memory()}
            say(f"  {json.dumps(summary, ensure_ascii=False)}")
            return summary

        say(f"échauffement {WARM_UP_S} s à {args.rate} req/s…")
        asyncio.run(
            traffic(system.gateway.url, who, WARM_UP_S, args.rate, args.concurrency, on_window)
        )
        start = memory()
        say(f"début : mémoire {start}")
        windows = asyncio.run(
            traffic(
                system.gateway.url, who, args.minutes * 60, args.rate, args.concurrency, on_window
            )
        )
        end = memory()
    finally:
        if system is not None:
            system.stop()
        meili.stop()
        shutil.rmtree(folder, ignore_errors=True)
    requests = sum(int(w["requests"]) for w in windows)  # type: ignore[call-overload]
    errors = sum(int(w["errors"]) for w in windows)  # type: ignore[call-overload]
    drift = {name: round((end[name] - start[name]) / start[name], 4) for name in start}
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "minutes": args.minutes,
        "rate_per_s": args.rate,
        "mix": MIX,
        "requests": requests,
        "errors": errors,
        "error_rate": round(errors / max(1, requests), 5),
        "first_window": windows[0] if windows else None,
        "last_window": windows[-1] if windows else None,
        "rss_mb_start": start,
        "rss_mb_end": end,
        "memory_drift": drift,
        "windows": windows,
    }
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"soak-{datetime.now(UTC).date().isoformat()}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    say(
        f"\nfin : {requests} requêtes, {errors} erreurs (taux {result['error_rate']}), "
        f"mémoire {start} → {end}, dérive {drift}\nrésultats : {out}"
    )
    ok = errors == 0 and all(d <= MEMORY_DRIFT_LIMIT for d in drift.values())
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
