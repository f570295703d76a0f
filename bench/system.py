"""The system under measure: Meilisearch, the three services and the website as real processes on loopback,
on one dataset, each service on a database of its own."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import redis

from services.common.search_engine import search_key_value
from tests.support import MeiliProcess, ServiceProcess, migrate

IDENTITY_SECRET = "bench-identity-secret-0123456789"
INDEX = "structures"
# The search cache's Redis (the catalog publishes the index generation there); a database of
# its own, emptied at each start.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
CACHED_REPLICAS = 2


def memory_mb(pid: int, field: str = "VmHWM") -> float | None:
    """A memory figure of /proc/<pid>/status in MB: VmHWM (peak resident) or VmRSS (now)."""
    status = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE)
    return round(int(match.group(1)) / 1024, 1) if match else None


def peak_rss_mb(process: subprocess.Popen[bytes] | None) -> float | None:
    """The process's high-water mark of resident memory (VmHWM), in MB."""
    if process is None or process.poll() is not None:
        return None
    return memory_mb(process.pid)


def cpu_seconds(process: subprocess.Popen[bytes] | None) -> float:
    """User + system CPU time the process has used so far."""
    if process is None or process.poll() is not None:
        return 0.0
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class System:
    meili: MeiliProcess
    catalog: ServiceProcess
    sourcing: ServiceProcess
    gateway: ServiceProcess
    web: ServiceProcess
    # Gateways with the search cache on, sharing Redis (the plain `gateway` has none).
    cached: list[ServiceProcess]

    @property
    def services(self) -> dict[str, ServiceProcess]:
        return {
            "catalog": self.catalog,
            "sourcing": self.sourcing,
            "gateway": self.gateway,
            "web": self.web,
            **{f"gateway_cache{n}": g for n, g in enumerate(self.cached, 1)},
        }

    def peak_rss(self) -> dict[str, float | None]:
        rss = {name: peak_rss_mb(s.process) for name, s in self.services.items()}
        return {**rss, "meilisearch": peak_rss_mb(self.meili.process)}

    def cpu(self) -> dict[str, float]:
        processes = {name: s.process for name, s in self.services.items()}
        return {
            name: cpu_seconds(p)
            for name, p in {**processes, "meilisearch": self.meili.process}.items()
        }

    def stop(self) -> None:
        for service in (*self.cached, self.web, self.gateway, self.sourcing, self.catalog):
            service.stop()


def engine_env(meili: MeiliProcess) -> dict[str, str]:
    return {
        "MI_ENVIRONMENT": "test",
        "MEILI_URL": meili.url,
        "MEILI_MASTER_KEY": meili.key,
        "MEILI_INDEX": INDEX,
        "MI_IDENTITY_SECRET": IDENTITY_SECRET,
    }


def start_services(meili: MeiliProcess, catalog_url: str, folder: Path) -> System:
    shared = engine_env(meili)
    redis.Redis.from_url(REDIS_URL).flushdb()
    catalog = ServiceProcess(
        "catalog",
        {**shared, "CATALOG_DATABASE_URL": catalog_url, "REDIS_URL": REDIS_URL},
        folder,
    )
    catalog.start()
    sourcing_db = f"sqlite:///{folder / 'sourcing.db'}"
    migrate(sourcing_db, "sourcing")
    # As in production: sourcing holds a key restricted to search, made by the catalog.
    sourcing_engine = {k: v for k, v in shared.items() if k != "MEILI_MASTER_KEY"}
    sourcing_engine["MEILI_SEARCH_KEY"] = search_key_value(meili.key, INDEX)
    sourcing = ServiceProcess(
        "sourcing",
        {
            **sourcing_engine,
            "SOURCING_DATABASE_URL": sourcing_db,
            "SOURCING_CATALOG_URL": catalog.url,
            "SOURCING_MAIL_DIR": str(folder / "mail"),
        },
        folder,
    ).start()
    gateway_db = f"sqlite:///{folder / 'gateway.db'}"
    migrate(gateway_db, "gateway")
    gateway_env = {
        "MI_ENVIRONMENT": "test",
        "MI_IDENTITY_SECRET": IDENTITY_SECRET,
        "GATEWAY_DATABASE_URL": gateway_db,
        "GATEWAY_SESSION_SECRET": "bench-session-secret-0123456789",
        "GATEWAY_MAIL_DIR": str(folder / "mail"),
        "GATEWAY_CATALOG_URL": catalog.url,
        "GATEWAY_SOURCING_URL": sourcing.url,
        # Quotas are counted as in production, set high enough never to refuse the load.
        "GATEWAY_ANONYMOUS_PER_MINUTE": "100000000",
        "GATEWAY_ANONYMOUS_PER_DAY": "1000000000",
        "GATEWAY_TRUSTED_PROXIES": '["127.0.0.1"]',
    }
    gateway = ServiceProcess("gateway", gateway_env, folder).start()
    cached = []
    for n in range(1, CACHED_REPLICAS + 1):
        logs = folder / f"gateway-cache{n}"
        logs.mkdir(exist_ok=True)
        env = {**gateway_env, "REDIS_URL": REDIS_URL, "MEILI_INDEX": INDEX}
        cached.append(ServiceProcess("gateway", env, logs).start())
    web = ServiceProcess(
        "web",
        {
            "MI_ENVIRONMENT": "test",
            "WEB_GATEWAY_URL": gateway.url,
            "WEB_SESSION_SECRET": "bench-web-secret-0123456789",
            "WEB_SESSION_DATABASE_URL": f"sqlite:///{folder / 'web.db'}",
        },
        folder,
    ).start()
    return System(meili, catalog, sourcing, gateway, web, cached)
