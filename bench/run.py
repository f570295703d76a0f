"""The benchmark, end to end, in one run: for each scale, the rebuild against Meilisearch's own
ingest, searches during a rebuild, the search path (Meilisearch alone, sourcing, gateway) at
concurrency 8 and 32, a profile of the services under load, freshness of writes, peak memory.

Usage: .venv/bin/python -m bench.run [--large] [--seconds 5] [--writes 200] [--scales reel,100000]
Writes bench/results/<date>.json and prints each figure as it is measured."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench import freshness, indexing, popular, profile, web
from bench.datasets import Dataset, real_catalog, synthetic_catalog
from bench.loadgen import run_load
from bench.queries import QUERIES, same_answers, targets
from bench.system import System, start_services
from tests.support import MeiliProcess

RESULTS = Path(__file__).with_name("results")
# 1: the latency a hop adds when nothing queues; 8 and 32: under load.
CONCURRENCIES = (1, 8, 32)
PROFILED_QUERY = "territoire_domaine"
# Targets of issue 7, checked here (never by the tests).
TARGET_THROUGHPUT_RATIO = 0.6
TARGET_P50_OVERHEAD_MS = 3.0
TARGET_REBUILD_RATIO = 0.8
TARGET_FRESHNESS_P99_MS = 2000.0
TARGET_RSS_MB = 250.0
# Targets of the website (issue 14): against the gateway's JSON for the same search.
TARGET_WEB_THROUGHPUT_RATIO = 0.7
TARGET_WEB_P50_OVERHEAD_MS = 5.0
TARGET_PAGE_WEIGHT_KB = 100.0
# The search cache (issue 18): popular searches through the gateway at least as fast as the
# engine alone, and freshness through the cache as without it.
TARGET_CACHE_RATIO = 1.0


def machine() -> dict[str, object]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


def stop_on_term() -> None:
    """A terminated run still stops the processes it started (its `finally` blocks run)."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def say(text: str) -> None:
    print(text, flush=True)


def build(scale: str, folder: Path) -> Dataset:
    return real_catalog(folder) if scale == "reel" else synthetic_catalog(folder, int(scale))


def load_runs(system: System, seconds: int) -> dict[str, Any]:
    runs: dict[str, Any] = {}
    for name, params in QUERIES.items():
        totals = same_answers(system, params)
        say(f"  requête {name} : totaux {totals}")
        if len(set(totals.values())) != 1:
            raise SystemExit(f"les trois chemins ne répondent pas la même chose à « {name} »")
        runs[name] = {"params": params, "total": totals["meilisearch"], "concurrency": {}}
        for concurrency in CONCURRENCIES:
            by_target = {}
            for target_name, target in targets(system, params).items():
                run_load(target, concurrency, 1)  # warm-up, not counted
                before = system.cpu()
                result = run_load(target, concurrency, seconds)
                after = system.cpu()
                by_target[target_name] = {
                    **result.as_dict(),
                    # CPU each process spent per request: what the machine's cores must pay.
                    "cpu_ms_per_request": {
                        name: round(
                            (after[name] - before[name]) * 1000 / max(result.requests, 1), 3
                        )
                        for name in after
                    },
                }
                say(
                    f"    c={concurrency:<3} {target_name:<11} {result.throughput:8.1f} req/s  "
                    f"p50 {result.p50_ms:7.2f} ms  p99 {result.p99_ms:7.2f} ms  "
                    f"erreurs {result.errors}  CPU/req (ms) "
                    + " ".join(
                        f"{n[:5]} {v:.2f}"
                        for n, v in by_target[target_name]["cpu_ms_per_request"].items()
                        if v
                    )
                )
            floor = by_target["meilisearch"]
            for hop in ("sourcing", "gateway"):
                by_target[f"{hop}_vs_meilisearch"] = {
                    "throughput_ratio": round(
                        by_target[hop]["throughput"] / max(floor["throughput"], 1e-9), 3
                    ),
                    "p50_overhead_ms": round(by_target[hop]["p50_ms"] - floor["p50_ms"], 2),
                    "p99_overhead_ms": round(by_target[hop]["p99_ms"] - floor["p99_ms"], 2),
                }
            runs[name]["concurrency"][str(concurrency)] = by_target
    return runs


def profiled_run(system: System, seconds: int, folder: Path) -> dict[str, Any]:
    """A separate run through the gateway at c=8, sampled: not counted in the figures."""
    target = targets(system, QUERIES[PROFILED_QUERY])["gateway"]
    recorders = {}
    for name in ("gateway", "sourcing"):
        process = system.services[name].process
        assert process is not None
        recorders[name] = profile.start(process.pid, seconds, folder / f"profile-{name}.txt")
    run_load(target, 8, seconds)
    summaries = {}
    for name, recorder in recorders.items():
        recorder.wait(timeout=seconds + 30)
        summaries[name] = profile.summarise(folder / f"profile-{name}.txt")
    return summaries


def one_scale(
    scale: str, root: Path, seconds: int, writes: int, only_cache: bool = False
) -> dict[str, Any]:
    folder = root / scale
    folder.mkdir(parents=True)
    say(f"\n== échelle {scale}")
    dataset = build(scale, folder)
    say(
        f"  catalogue : {dataset.structures} structures, {dataset.activities} activités, "
        f"chargé en {dataset.import_s:.1f} s"
    )
    meili = MeiliProcess(folder).start()
    system: System | None = None
    measured: dict[str, Any] = {}
    try:
        first = indexing.rebuild(meili, dataset.url, folder)
        say(f"  reconstruction de l'index : {first}")
        if not only_cache:
            measured |= uncached(meili, dataset.url, first, folder)
        system = start_services(meili, dataset.url, folder)
        if not only_cache:
            measured |= search_path(system, seconds, writes, folder, dataset.url)
            measured["rebuild"] |= measured.pop("rebuild_under_load")
        cache = popular.measure(system, seconds, writes, folder)
        say_cache(cache)
        measured["cache"] = cache
        measured["peak_rss_mb"] = system.peak_rss()
        say(f"  mémoire (pic RSS, Mo) : {measured['peak_rss_mb']}")
    finally:
        if system is not None:
            system.stop()
        meili.stop()
    return {
        "dataset": {
            "structures": dataset.structures,
            "activities": dataset.activities,
            "import_seconds": round(dataset.import_s, 1),
        },
        **measured,
    }


def uncached(meili: MeiliProcess, url: str, first: dict[str, Any], folder: Path) -> dict[str, Any]:
    dump = folder / "documents.ndjson"
    dumped = indexing.dump_documents(meili, dump)
    ingest = indexing.engine_ingest(meili, dump)
    dump.unlink()
    ratio = round(ingest["seconds"] / max(first["seconds"], 1e-9), 3)
    say(f"  Meilisearch seul, mêmes {dumped} documents : {ingest} → ratio {ratio}")
    return {"rebuild": {"catalog": first, "meilisearch_alone": ingest, "rate_ratio": ratio}}


def search_path(
    system: System, seconds: int, writes: int, folder: Path, url: str
) -> dict[str, Any]:
    """The search path without the cache (the plain gateway), the website, freshness."""
    query = urlencode(QUERIES[PROFILED_QUERY], doseq=True)
    second: dict[str, Any] = {}

    def rebuild_again() -> None:
        second.update(indexing.rebuild(system.meili, url, folder))

    during = indexing.searches_during(
        f"{system.gateway.url}/api/v1/search?{query}", threading.Thread(target=rebuild_again)
    )
    say(f"  recherches pendant une reconstruction : {during} ; reconstruction {second}")
    runs = load_runs(system, seconds)
    profiles = profiled_run(system, max(seconds, 5), folder)
    for name, summary in profiles.items():
        top = summary.get("self", [])[:5] if isinstance(summary, dict) else []
        say(f"  profil {name} : {top}")
    pages = web.results_pages(system, seconds)
    for name, run in pages.items():
        say(
            f"  page de résultats {name} : web {run['web']['throughput']:.1f} req/s, "
            f"passerelle {run['gateway']['throughput']:.1f} req/s → ratio "
            f"{run['throughput_ratio']}, surcoût p50 {run['p50_overhead_ms']} ms, "
            f"HTML {run['html_bytes']} octets"
        )
    weights = web.page_weight(
        system, {"accueil": "/", "structure": f"/structures/{web.any_structure(system)}"}
    )
    say(f"  poids des pages : {weights}")
    fresh = freshness.measure(system.catalog.url, system.meili, writes)
    say(f"  fraîcheur : {fresh}")
    return {
        "rebuild_under_load": {"under_search_load": second, "searches_during_rebuild": during},
        "search": runs,
        "profile": profiles,
        "freshness": fresh,
        "web": {"results_pages": pages, "page_weight": weights},
    }


def say_cache(cache: dict[str, Any]) -> None:
    for name in ("meilisearch", "gateway_cache", "haproxy_one", "haproxy_two"):
        run = cache[name]
        say(
            f"  populaires c={cache['concurrency']} {name:<14} {run['throughput']:8.1f} req/s  "
            f"p50 {run['p50_ms']:6.2f} ms  p99 {run['p99_ms']:6.2f} ms  erreurs {run['errors']}  "
            f"CPU/req (ms) {run['cpu_ms_per_request']}"
        )
    say(f"  passerelle avec cache / Meilisearch : {cache['gateway_cache_vs_meilisearch']}")
    say(f"  fraîcheur à travers le cache : {cache['freshness']}")


def cache_verdicts(scale: str, cache: dict[str, Any]) -> list[dict[str, object]]:
    p99 = cache["freshness"]["p99_ms"]
    return [
        {
            "scale": scale,
            "target": (
                f"recherches populaires : passerelle avec cache ≥ {TARGET_CACHE_RATIO} × "
                f"Meilisearch (c={cache['concurrency']})"
            ),
            "measured": cache["gateway_cache_vs_meilisearch"],
            "met": cache["gateway_cache_vs_meilisearch"] >= TARGET_CACHE_RATIO,
        },
        {
            "scale": scale,
            "target": f"fraîcheur p99 à travers le cache ≤ {TARGET_FRESHNESS_P99_MS:.0f} ms",
            "measured": p99,
            "met": p99 is not None
            and p99 <= TARGET_FRESHNESS_P99_MS
            and not cache["freshness"]["not_searchable_within_10_s"],
        },
    ]


def verdicts(scales: dict[str, Any]) -> list[dict[str, object]]:
    checks: list[dict[str, object]] = []
    for scale, result in scales.items():
        if "cache" in result:
            checks += cache_verdicts(scale, result["cache"])
        if "search" not in result:  # a run of the cache alone
            continue
        for name, run in result["search"].items():
            gap = run["concurrency"]["8"]["gateway_vs_meilisearch"]
            checks.append(
                {
                    "scale": scale,
                    "target": f"débit passerelle ≥ {TARGET_THROUGHPUT_RATIO} × Meilisearch ({name}, c=8)",
                    "measured": gap["throughput_ratio"],
                    "met": gap["throughput_ratio"] >= TARGET_THROUGHPUT_RATIO,
                }
            )
            for concurrency in ("8", "1"):
                overhead = run["concurrency"][concurrency]["gateway_vs_meilisearch"]
                checks.append(
                    {
                        "scale": scale,
                        "target": (
                            f"surcoût p50 passerelle ≤ {TARGET_P50_OVERHEAD_MS} ms "
                            f"({name}, c={concurrency})"
                        ),
                        "measured": overhead["p50_overhead_ms"],
                        "met": overhead["p50_overhead_ms"] <= TARGET_P50_OVERHEAD_MS,
                    }
                )
        rebuild = result["rebuild"]
        checks.append(
            {
                "scale": scale,
                "target": f"reconstruction ≥ {TARGET_REBUILD_RATIO} × ingestion de Meilisearch",
                "measured": rebuild["rate_ratio"],
                "met": rebuild["rate_ratio"] >= TARGET_REBUILD_RATIO,
            }
        )
        statuses = rebuild["searches_during_rebuild"]["statuses"]
        checks.append(
            {
                "scale": scale,
                "target": "les recherches répondent pendant la reconstruction",
                "measured": statuses,
                "met": set(statuses) == {"200"},
            }
        )
        p99 = result["freshness"]["p99_ms"]
        checks.append(
            {
                "scale": scale,
                "target": f"fraîcheur p99 ≤ {TARGET_FRESHNESS_P99_MS:.0f} ms",
                "measured": p99,
                "met": p99 is not None
                and p99 <= TARGET_FRESHNESS_P99_MS
                and not result["freshness"]["not_searchable_within_10_s"],
            }
        )
        for name, run in result["web"]["results_pages"].items():
            checks.append(
                {
                    "scale": scale,
                    "target": f"débit du site ≥ {TARGET_WEB_THROUGHPUT_RATIO} × passerelle ({name}, c=8)",
                    "measured": run["throughput_ratio"],
                    "met": run["throughput_ratio"] >= TARGET_WEB_THROUGHPUT_RATIO,
                }
            )
            checks.append(
                {
                    "scale": scale,
                    "target": f"surcoût p50 du site ≤ {TARGET_WEB_P50_OVERHEAD_MS} ms ({name}, c=8)",
                    "measured": run["p50_overhead_ms"],
                    "met": run["p50_overhead_ms"] <= TARGET_WEB_P50_OVERHEAD_MS,
                }
            )
        for name, weight in result["web"]["page_weight"].items():
            checks.append(
                {
                    "scale": scale,
                    "target": f"page {name} ≤ {TARGET_PAGE_WEIGHT_KB:.0f} Ko après la première visite",
                    "measured": weight["next_visit_kb"],
                    "met": weight["next_visit_kb"] <= TARGET_PAGE_WEIGHT_KB,
                }
            )
        for service in ("catalog", "sourcing", "gateway", "web"):
            rss = result["peak_rss_mb"][service]
            checks.append(
                {
                    "scale": scale,
                    "target": f"{service} ≤ {TARGET_RSS_MB:.0f} Mo de RSS",
                    "measured": rss,
                    "met": rss is not None and rss <= TARGET_RSS_MB,
                }
            )
    return checks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="reel,100000")
    parser.add_argument("--large", action="store_true", help="ajoute 1 000 000 d'activités")
    parser.add_argument("--seconds", type=int, default=4, help="durée de chaque charge")
    parser.add_argument("--writes", type=int, default=200, help="écritures pour la fraîcheur")
    parser.add_argument("--keep", action="store_true", help="garde le dossier de travail")
    parser.add_argument(
        "--only-cache", action="store_true", help="seulement les recherches populaires et le cache"
    )
    args = parser.parse_args()
    stop_on_term()
    scales = [s for s in args.scales.split(",") if s]
    if args.large:
        scales.append("1000000")
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="bench-"))
    results: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "settings": {"seconds_per_load": args.seconds, "writes": args.writes},
        "scales": {},
    }
    try:
        for scale in scales:
            results["scales"][scale] = one_scale(
                scale, root, args.seconds, args.writes, args.only_cache
            )
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    results["targets"] = verdicts(results["scales"])
    results["total_seconds"] = round(time.monotonic() - started, 1)
    RESULTS.mkdir(exist_ok=True)
    day = datetime.now(UTC).date().isoformat()
    if args.large:
        name = f"{day}-large.json"
    elif args.only_cache:
        name = f"{day}-cache-{'-'.join(scales)}.json"
    elif scales == ["reel", "100000"]:
        name = f"{day}.json"
    else:  # a partial run never overwrites the full one of the day
        name = f"{day}-{'-'.join(scales)}.json"
    (RESULTS / name).write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    say("\n== objectifs")
    for check in results["targets"]:
        mark = "atteint " if check["met"] else "MANQUÉ  "
        say(f"  {mark} [{check['scale']}] {check['target']} : {check['measured']}")
    say(f"\nrésultats : {RESULTS / name} ({results['total_seconds']:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
