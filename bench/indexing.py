"""Rebuild against the floor: the catalog's `index rebuild` against Meilisearch ingesting the very
same documents itself, with the same settings; and searches served while the rebuild runs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.system import INDEX, REDIS_URL, engine_env
from services.catalog.indexing.settings import index_settings
from tests.support import DATA, ROOT, MeiliProcess

PROBE = "ingest_probe"
CHUNK_BYTES = 32 * 1024 * 1024
TASK_LIMIT_S = 1800


def _meili(meili: MeiliProcess) -> httpx.Client:
    return httpx.Client(
        base_url=meili.url, headers={"Authorization": f"Bearer {meili.key}"}, timeout=120
    )


def wait_task(client: httpx.Client, task_uid: int) -> dict[str, object]:
    deadline = time.monotonic() + TASK_LIMIT_S
    while time.monotonic() < deadline:
        task = client.get(f"/tasks/{task_uid}").json()
        if task["status"] in ("succeeded", "failed", "canceled"):
            if task["status"] != "succeeded":
                raise RuntimeError(f"task {task_uid}: {task.get('error')}")
            return dict(task)
        time.sleep(0.02)
    raise TimeoutError(f"task {task_uid} still running after {TASK_LIMIT_S} s")


def rebuild(meili: MeiliProcess, catalog_url: str, folder: Path) -> dict[str, float | int]:
    """`catalog index rebuild`, as an operator runs it: wall time, documents, peak memory."""
    # With the search cache's Redis: a swapped-in index retires the cached answers.
    env = {
        **os.environ,
        **engine_env(meili),
        "CATALOG_DATABASE_URL": catalog_url,
        "REDIS_URL": REDIS_URL,
    }
    started = time.perf_counter()
    with (folder / "rebuild.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "services.catalog.cli", "index", "rebuild"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"rebuild failed: {(folder / 'rebuild.log').read_text()[-2000:]}")
    seconds = wall
    # The rebuild itself, as the command reports it (without the interpreter's start-up).
    for line in (folder / "rebuild.log").read_text().splitlines():
        if found := re.search(r"index reconstruit : \d+ structures en ([0-9.]+) s", line):
            seconds = float(found.group(1))
    with _meili(meili) as client:
        documents = client.get(f"/indexes/{INDEX}/stats").json()["numberOfDocuments"]
    return {
        "seconds": round(seconds, 2),
        "wall_seconds": round(wall, 2),
        "documents": documents,
        "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
    }


def dump_documents(meili: MeiliProcess, path: Path) -> int:
    """The live index's documents, as NDJSON: what the engine alone will ingest."""
    count = offset = 0
    with _meili(meili) as client, path.open("w", encoding="utf-8") as out:
        while True:
            page = client.get(
                f"/indexes/{INDEX}/documents", params={"offset": offset, "limit": 10_000}
            ).json()
            for document in page["results"]:
                out.write(json.dumps(document, ensure_ascii=False) + "\n")
            count += len(page["results"])
            offset += len(page["results"])
            if not page["results"] or offset >= page["total"]:
                return count


def _chunks(path: Path) -> list[bytes]:
    chunks, current, size = [], [], 0
    with path.open("rb") as handle:
        for line in handle:
            current.append(line)
            size += len(line)
            if size >= CHUNK_BYTES:
                chunks.append(b"".join(current))
                current, size = [], 0
    if current:
        chunks.append(b"".join(current))
    return chunks


def engine_ingest(meili: MeiliProcess, path: Path) -> dict[str, float | int]:
    """Meilisearch alone: same settings, same documents, sent as NDJSON in large payloads."""
    chunks = _chunks(path)
    settings = index_settings(DATA).model_dump(by_alias=True, exclude_none=True)
    with _meili(meili) as client:
        wait_task(
            client,
            client.post("/indexes", json={"uid": PROBE, "primaryKey": "id"}).json()["taskUid"],
        )
        started = time.perf_counter()
        wait_task(
            client, client.patch(f"/indexes/{PROBE}/settings", json=settings).json()["taskUid"]
        )
        tasks = [
            client.post(
                f"/indexes/{PROBE}/documents",
                content=chunk,
                headers={"Content-Type": "application/x-ndjson"},
            ).json()["taskUid"]
            for chunk in chunks
        ]
        for task in tasks:
            wait_task(client, task)
        seconds = time.perf_counter() - started
        documents = client.get(f"/indexes/{PROBE}/stats").json()["numberOfDocuments"]
        wait_task(client, client.delete(f"/indexes/{PROBE}").json()["taskUid"])
    return {"seconds": round(seconds, 2), "documents": documents}


def searches_during(
    search_url: str, work: threading.Thread, limit_s: float = 1800
) -> dict[str, object]:
    """Searches sent one after the other while `work` runs: statuses and totals seen."""
    statuses: Counter[str] = Counter()
    totals: Counter[int] = Counter()
    work.start()
    deadline = time.monotonic() + limit_s
    with httpx.Client(timeout=10) as client:
        while work.is_alive() and time.monotonic() < deadline:
            try:
                response = client.get(search_url)
                statuses[str(response.status_code)] += 1
                if response.status_code == 200:
                    totals[response.json()["total"]] += 1
            except httpx.HTTPError as exc:
                statuses[type(exc).__name__] += 1
    work.join()
    return {"statuses": dict(statuses), "totals_seen": sorted(totals)}
