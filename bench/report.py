"""The README's table, from a results file: `.venv/bin/python -m bench.report bench/results/<date>.json`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any


def _ratio(value: float) -> str:
    return f"{value:.2f}"


def table(results: dict[str, Any]) -> str:
    machine = results["machine"]
    lines = [
        f"Run of {results['date'][:10]} on {machine['cpu']}, {machine['cores']} cores, "
        f"{machine['memory_gb']} GB, Python {machine['python']}; "
        f"{results['settings']['seconds_per_load']} s per load, wrk with one thread.",
        "",
        "| scale | query | c | Meilisearch req/s · p50 | sourcing req/s · p50 | gateway req/s · p50 "
        "| gateway/Meili throughput | gateway p50 overhead | CPU ms/req sourcing · gateway · Meili |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for scale, result in results["scales"].items():
        for name, run in result.get("search", {}).items():
            for concurrency, by_target in run["concurrency"].items():
                cells = []
                for target in ("meilisearch", "sourcing", "gateway"):
                    r = by_target[target]
                    cells.append(f"{r['throughput']:.0f} · {r['p50_ms']:.1f} ms")
                gap = by_target["gateway_vs_meilisearch"]
                cpu = by_target["gateway"]["cpu_ms_per_request"]
                lines.append(
                    f"| {scale} | {name} | {concurrency} | {' | '.join(cells)} "
                    f"| {_ratio(gap['throughput_ratio'])} | {gap['p50_overhead_ms']:.1f} ms "
                    f"| {cpu['sourcing']:.2f} · {cpu['gateway']:.2f} · {cpu['meilisearch']:.2f} |"
                )
    lines += [
        "",
        "| scale | structures · activities | rebuild (command) | Meilisearch alone | ratio "
        "| searches during rebuild | freshness p50 · p99 | peak RSS catalog · sourcing · gateway |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scale, result in results["scales"].items():
        if "search" not in result:
            continue
        data, rebuild, fresh, rss = (
            result["dataset"],
            result["rebuild"],
            result["freshness"],
            result["peak_rss_mb"],
        )
        during = rebuild["searches_during_rebuild"]["statuses"]
        lines.append(
            f"| {scale} | {data['structures']:,} · {data['activities']:,} "
            f"| {rebuild['catalog']['seconds']} s ({rebuild['catalog']['wall_seconds']} s) "
            f"| {rebuild['meilisearch_alone']['seconds']} s | {_ratio(rebuild['rate_ratio'])} "
            f"| {', '.join(f'{k}: {v}' for k, v in during.items())} "
            f"| {fresh['p50_ms']} · {fresh['p99_ms']} ms "
            f"| {rss['catalog']} · {rss['sourcing']} · {rss['gateway']} MB |"
        )
    cached = {scale: r["cache"] for scale, r in results["scales"].items() if "cache" in r}
    if cached:
        lines += ["", *cache_table(cached)]
    return "\n".join(lines)


def cache_table(cached: dict[str, Any]) -> list[str]:
    lines = [
        "| scale | Meilisearch req/s · p50 | gateway + cache req/s · p50 | ratio "
        "| CPU ms/req gateway · Meili | HAProxy → 1 replica | HAProxy → 2 replicas "
        "| freshness through the cache p50 · p99 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for scale, cache in cached.items():
        meili, gateway = cache["meilisearch"], cache["gateway_cache"]
        one, two, fresh = cache["haproxy_one"], cache["haproxy_two"], cache["freshness"]
        cpu = gateway["cpu_ms_per_request"]
        lines.append(
            f"| {scale} | {meili['throughput']:.0f} · {meili['p50_ms']:.2f} ms "
            f"| {gateway['throughput']:.0f} · {gateway['p50_ms']:.2f} ms "
            f"| {_ratio(cache['gateway_cache_vs_meilisearch'])} "
            f"| {cpu.get('gateway_cache1', 0):.3f} · "
            f"{meili['cpu_ms_per_request'].get('meilisearch', 0):.3f} "
            f"| {one['throughput']:.0f} · {one['p50_ms']:.2f} ms "
            f"| {two['throughput']:.0f} · {two['p50_ms']:.2f} ms "
            f"| {fresh['p50_ms']} · {fresh['p99_ms']} ms |"
        )
    return lines


if __name__ == "__main__":
    print(table(json.loads(Path(sys.argv[1]).read_text())))
