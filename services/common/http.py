"""Pooled HTTP clients with explicit timeouts, created once per process."""

from __future__ import annotations

import httpx


def pooled_client(
    base_url: str, timeout_s: float, connect_timeout_s: float = 1.0
) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=50),
    )
