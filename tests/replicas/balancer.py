"""HAProxy on loopback in front of replicas, configured as docker/haproxy.cfg is: /readyz checked
every second (out after two failures, back after one success), reads retried on another replica after a refused connection or an empty answer,
writes retried only when the connection was refused. The replicas failover test uses it; a
benchmark can too: `with running_balancer({"gateway": [url1, url2]}, folder) as urls: ...`."""

from __future__ import annotations

import shutil
import signal
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from tests.support import free_port, wait_until

_DEFAULTS = """\
global
    maxconn 4096

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
    # Two shared cores run eight replicas: a readiness check may take a second under load.
    timeout check 2s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout
    option httpchk GET /readyz
    http-check expect status 200
    default-server check inter 1s fall 2 rise 1
"""


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/sbin")
    if found is None:
        raise RuntimeError("HAProxy is missing: `make haproxy` installs Debian's package")
    return found


def config(backends: Mapping[str, list[str]], ports: Mapping[str, int]) -> str:
    """One frontend per backend on its own loopback port; `backends` maps a name to replica
    URLs (http://127.0.0.1:port)."""
    parts = [_DEFAULTS]
    for name, urls in backends.items():
        parts.append(
            f"frontend {name}_in\n    bind 127.0.0.1:{ports[name]}\n"
            f"    option forwardfor\n    default_backend {name}\n"
        )
        servers = "".join(
            f"    server {name}{n} {urlsplit(url).netloc}\n" for n, url in enumerate(urls, 1)
        )
        parts.append(
            f"backend {name}\n    balance roundrobin\n"
            "    http-request disable-l7-retry unless METH_GET\n" + servers
        )
    return "\n".join(parts)


@contextmanager
def running_balancer(
    backends: Mapping[str, list[str]], folder: Path, ports: Mapping[str, int] | None = None
) -> Iterator[dict[str, str]]:
    """HAProxy for as long as the block runs; yields each backend's balanced URL. The ports can
    be chosen beforehand (`free_port()`), since the replicas need them before it starts."""
    chosen = {name: (ports or {}).get(name) or free_port() for name in backends}
    path = folder / "haproxy.cfg"
    path.write_text(config(backends, chosen), encoding="utf-8")
    binary = haproxy_binary()
    subprocess.run([binary, "-c", "-q", "-f", str(path)], check=True)
    log = (folder / "haproxy.log").open("ab")
    process = subprocess.Popen([binary, "-db", "-f", str(path)], stdout=log, stderr=log)
    urls = {name: f"http://127.0.0.1:{port}" for name, port in chosen.items()}

    def listening() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"HAProxy exited: {(folder / 'haproxy.log').read_text()[-2000:]}")
        try:
            httpx.get(next(iter(urls.values())) + "/healthz", timeout=1)
        except httpx.HTTPError:
            return False
        return True

    try:
        wait_until(listening, timeout_s=10)
        yield urls
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
