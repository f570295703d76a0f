"""Fault tests: real processes that the tests kill (SIGKILL) and start again."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path

import httpx

from tests.support import IDENTITY_SECRET


def service_env(database_url: str, meili_url: str, meili_key: str, index: str) -> dict[str, str]:
    """What a catalog or sourcing process reads to run against the test's own backends."""
    return {
        "MI_ENVIRONMENT": "test",
        "MI_IDENTITY_SECRET": IDENTITY_SECRET,
        "MEILI_URL": meili_url,
        "MEILI_MASTER_KEY": meili_key,
        "MEILI_INDEX": index,
        "CATALOG_DATABASE_URL": database_url,
        "CATALOG_RELAY_INTERVAL_S": "0.05",
        # Back-off capped low so that the catch-up after a restart is quick to observe.
        "CATALOG_RELAY_MAX_BACKOFF_S": "0.5",
        "CATALOG_MAIL_RELAY_ENABLED": "false",
    }


def sigkill(process: subprocess.Popen[bytes] | None) -> None:
    """No clean shutdown: the process dies wherever it is."""
    assert process is not None and process.poll() is None
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def is_problem(response: httpx.Response, *statuses: int) -> bool:
    return (
        response.status_code in statuses
        and response.headers.get("content-type") == "application/problem+json"
    )


def log_tail(path: Path, size: int = 3000) -> str:
    return path.read_text(encoding="utf-8", errors="replace")[-size:] if path.exists() else ""
