"""Freshness: time from a catalog write's 200 to the change being searchable in Meilisearch.

Runs the catalog in-process on a SQLite copy of the real ESAT data, with its relay, against a
Meilisearch of its own on loopback. Bounded: N writes, each waited for at most 10 s.
Usage: .venv/bin/python bench/freshness.py [N]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from sqlmodel import Session, col, select

from services.catalog.settings import CatalogSettings
from services.catalog.structures.models import Structure
from tests.catalog.api_support import SECRET, STAFF, CatalogApi, make_client
from tests.support import MeiliProcess, load_catalog, wait_until


def main(writes: int) -> None:
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'catalog.db'}"
    engine = load_catalog(url, ("esat",))
    with Session(engine) as session:
        ids = [
            s.id for s in session.exec(select(Structure).order_by(col(Structure.id)).limit(writes))
        ]
    meili = MeiliProcess(folder).start()
    settings = CatalogSettings(
        database_url=url,
        identity_secret=SECRET,
        meili_url=meili.url,
        meili_master_key=meili.key,
        relay_interval_s=0.05,
        mail_relay_enabled=False,
        mail_dir=folder / "mail",
        environment="test",
    )
    delays: list[float] = []
    try:
        with make_client(settings) as client, httpx.Client(base_url=meili.url, timeout=5) as search:
            api = CatalogApi(client, engine, folder / "mail")
            headers = {"Authorization": f"Bearer {meili.key}"}
            wait_until(
                lambda: (
                    search.get("/indexes/structures/stats", headers=headers)
                    .json()
                    .get("numberOfDocuments")
                    == 1504
                ),
                timeout_s=120,
            )
            for n, structure_id in enumerate(ids):
                word = f"fraicheur{n:04d}x"
                assert (
                    api.patch(f"/v1/structures/{structure_id}", {"brand": word}, STAFF).status_code
                    == 200
                )
                accepted = time.perf_counter()
                deadline = accepted + 10
                while time.perf_counter() < deadline:
                    hits = search.post(
                        "/indexes/structures/search", json={"q": word, "limit": 1}, headers=headers
                    ).json()["hits"]
                    if hits and hits[0]["id"] == structure_id:
                        delays.append(time.perf_counter() - accepted)
                        break
                    time.sleep(0.005)
    finally:
        meili.stop()
    delays.sort()
    p99 = delays[min(len(delays) - 1, int(len(delays) * 0.99))]
    print(
        f"freshness over {len(delays)}/{writes} writes: p50 {statistics.median(delays) * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, max {delays[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100)
