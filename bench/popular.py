"""The popular-query workload: 1,000 distinct searches of the three shapes (text; territory +
domain with facets; radius + distance sort), asked with Zipf's law (the search of rank r
weighs 1 / r), sent by wrk at c=8 to Meilisearch alone — the same searches as engine queries,
built by sourcing's own code — and to the gateways with the search cache: one replica, and two
behind HAProxy against one behind it. Then freshness through the cache."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench import freshness
from bench.loadgen import LoadResult, run_popular
from bench.queries import engine_body, radius_values
from bench.system import INDEX, System
from services.common.settings import PROJECT_ROOT
from tests.replicas.balancer import running_balancer

SEARCHES = 1000
SEED = 18
CONCURRENCY = 8
WORDS = (
    "nettoyage",
    "jardin",
    "espaces verts",
    "traiteur",
    "blanchisserie",
    "imprimerie",
    "menuiserie",
    "recyclage",
    "déménagement",
    "logistique",
    "restauration",
    "informatique",
    "conditionnement",
    "entretien",
    "peinture",
    "bâtiment",
    "couture",
    "repassage",
    "numérisation",
    "maraîchage",
    "plomberie",
    "électricité",
    "mobilier",
    "propreté",
    "sous-traitance",
)


def searches(count: int = SEARCHES, seed: int = SEED) -> list[dict[str, Any]]:
    """`count` distinct searches, a third of each shape, in their order of popularity."""
    rng = random.Random(seed)
    data = PROJECT_ROOT / "data"
    with (data / "geo" / "departements.csv").open(encoding="utf-8") as handle:
        departments = [row["code_departement"] for row in csv.DictReader(handle)]
    with (data / "taxonomies" / "marche_secteurs.csv").open(encoding="utf-8") as handle:
        sectors = [row["secteur_slug"] for row in csv.DictReader(handle)]
    with (data / "geo" / "communes.csv").open(encoding="utf-8") as handle:
        towns = [
            (float(row["lat"]), float(row["lon"]))
            for row in csv.DictReader(handle)
            if row["lat"] and int(row["population"] or 0) >= 20_000
        ]
    found: dict[str, dict[str, Any]] = {}
    while len(found) < count:
        shape = len(found) % 3
        params: dict[str, Any]
        if shape == 0:
            params = {"q": rng.choice(WORDS)}
            if rng.random() < 0.8:
                params["department"] = [rng.choice(departments)]
        elif shape == 1:
            params = {"department": [rng.choice(departments)], "sector": [rng.choice(sectors)]}
        else:
            lat, lng = rng.choice(towns)
            params = {
                "lat": round(lat, 4),
                "lng": round(lng, 4),
                "radius_km": rng.choice((10, 20, 30, 50)),
                "sort": "distance",
            }
        found.setdefault(urlencode(params, doseq=True), params)
    ordered = list(found.values())
    rng.shuffle(ordered)  # the shapes mixed along the ranks
    return ordered


def write_requests(system: System, chosen: list[dict[str, Any]], folder: Path) -> dict[str, Path]:
    radii = radius_values(system)
    engine = folder / "popular-meilisearch.tsv"
    gateway = folder / "popular-gateway.tsv"
    engine.write_text(
        "".join(
            f"POST\t/indexes/{INDEX}/search\t{json.dumps(engine_body(p, radii))}\n" for p in chosen
        )
    )
    gateway.write_text(
        "".join(f"GET\t/api/v1/search?{urlencode(p, doseq=True)}\t\n" for p in chosen)
    )
    return {"meilisearch": engine, "gateway": gateway}


def same_totals(system: System, chosen: list[dict[str, Any]]) -> None:
    """The cached gateway and the engine agree on the most popular searches."""
    radii = radius_values(system)
    for params in chosen[:6]:
        engine = httpx.post(
            f"{system.meili.url}/indexes/{INDEX}/search",
            json=engine_body(params, radii),
            headers={"Authorization": f"Bearer {system.meili.key}"},
        ).json()["totalHits"]
        through = httpx.get(
            f"{system.cached[0].url}/api/v1/search", params=params, timeout=30
        ).json()["total"]
        if engine != through:
            raise SystemExit(f"le moteur et la passerelle diffèrent sur {params}")


def _measured(system: System, url: str, requests: Path, seconds: int, bearer: str = "") -> Any:
    before = system.cpu()
    result: LoadResult = run_popular(url, requests, CONCURRENCY, seconds, bearer)
    after = system.cpu()
    return {
        **result.as_dict(),
        "cpu_ms_per_request": {
            name: round((after[name] - before[name]) * 1000 / max(result.requests, 1), 3)
            for name in after
            if after[name] - before[name] > 0
        },
    }


def measure(system: System, seconds: int, writes: int, folder: Path) -> dict[str, Any]:
    chosen = searches()
    files = write_requests(system, chosen, folder)
    same_totals(system, chosen)
    result: dict[str, Any] = {"searches": len(chosen), "zipf_s": 1.0, "concurrency": CONCURRENCY}
    key = system.meili.key
    run_popular(system.meili.url, files["meilisearch"], CONCURRENCY, 1, key)  # warm-up
    result["meilisearch"] = _measured(system, system.meili.url, files["meilisearch"], seconds, key)
    # Warm-up: the cache filled with the popular searches, as it is once a service has run.
    for gateway in system.cached:
        run_popular(gateway.url, files["gateway"], CONCURRENCY, max(seconds, 4))
    result["gateway_cache"] = _measured(system, system.cached[0].url, files["gateway"], seconds)
    result["gateway_cache_vs_meilisearch"] = round(
        result["gateway_cache"]["throughput"] / max(result["meilisearch"]["throughput"], 1e-9), 3
    )
    replicas = [g.url for g in system.cached]
    # The deployment's HAProxy settings (docker/haproxy.cfg), one frontend per replica set.
    with running_balancer({"one": replicas[:1], "two": replicas}, folder) as balanced:
        for name, url in balanced.items():
            result[f"haproxy_{name}"] = _measured(system, url, files["gateway"], seconds)
    result["freshness"] = freshness.measure(
        system.catalog.url, system.meili, writes, gateway_url=system.cached[0].url
    )
    return result
