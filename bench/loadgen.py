"""Load from a separate process: wrk, at a fixed concurrency for a fixed duration.

One wrk thread keeps the load generator to a fraction of one core; every run is bounded by its
duration and by wrk's own timeout per request."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("wrk_report.lua")
POPULAR_SCRIPT = Path(__file__).with_name("wrk_popular.lua")
REQUEST_TIMEOUT_S = 5


@dataclass
class Target:
    """One request, sent again and again: to the search engine itself or to a service."""

    url: str
    method: str = "GET"
    body: str = ""
    bearer: str = ""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    throughput: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    error_detail: dict[str, int]

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "wrk est introuvable : installez le paquet Debian « wrk » (make bench le fait)."
        )
    return found


def run_load(target: Target, concurrency: int, seconds: int) -> LoadResult:
    env = {"BENCH_METHOD": target.method, "BENCH_BODY": target.body, "BENCH_BEARER": target.bearer}
    return _wrk(SCRIPT, target.url, env, concurrency, seconds)


def run_popular(
    base_url: str, requests: Path, concurrency: int, seconds: int, bearer: str = ""
) -> LoadResult:
    """The requests of `requests` (see wrk_popular.lua), drawn by Zipf from a fixed seed."""
    env = {"BENCH_REQUESTS": str(requests), "BENCH_BEARER": bearer}
    return _wrk(POPULAR_SCRIPT, base_url, env, concurrency, seconds)


def _wrk(script: Path, url: str, env: dict[str, str], concurrency: int, seconds: int) -> LoadResult:
    completed = subprocess.run(
        [
            wrk_binary(),
            "-t1",
            f"-c{concurrency}",
            f"-d{seconds}s",
            f"--timeout={REQUEST_TIMEOUT_S}s",
            "-s",
            str(script),
            url,
        ],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    line = next(line for line in completed.stdout.splitlines() if line.startswith("BENCH_JSON "))
    report = json.loads(line.removeprefix("BENCH_JSON "))
    seconds_run = report["duration_us"] / 1e6
    errors = report["errors"]
    return LoadResult(
        requests=report["requests"],
        seconds=round(seconds_run, 2),
        throughput=round(report["requests"] / seconds_run, 1),
        p50_ms=report["p50_us"] / 1000,
        p90_ms=report["p90_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        max_ms=report["max_us"] / 1000,
        errors=sum(errors.values()),
        error_detail=errors,
    )
