"""HAProxy in front of gateway replicas, as a deployment puts it: one frontend per set of
replicas, round robin, keep-alive on both sides."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.support import free_port, wait_until


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if found is None:
        raise SystemExit(
            "haproxy est introuvable : installez le paquet Debian « haproxy » (make bench le fait)."
        )
    return found


@dataclass
class Balancer:
    process: subprocess.Popen[bytes]
    urls: dict[str, str]  # frontend name → its address

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start(folder: Path, frontends: dict[str, list[str]]) -> Balancer:
    """`frontends`: a name → the replicas' base URLs (http://127.0.0.1:port) it balances."""
    ports = {name: free_port() for name in frontends}
    lines = [
        "global",
        "  nbthread 1",
        "  maxconn 4096",
        "defaults",
        "  mode http",
        "  option http-keep-alive",
        "  timeout connect 2s",
        "  timeout client 30s",
        "  timeout server 30s",
    ]
    for name, replicas in frontends.items():
        lines += [
            f"frontend {name}",
            f"  bind 127.0.0.1:{ports[name]}",
            f"  default_backend {name}",
        ]
        lines += [f"backend {name}", "  balance roundrobin"]
        lines += [
            f"  server r{n} {url.removeprefix('http://')}" for n, url in enumerate(replicas, 1)
        ]
    config = folder / "haproxy.cfg"
    config.write_text("\n".join(lines) + "\n")
    with (folder / "haproxy.log").open("ab") as log:
        process = subprocess.Popen(
            [haproxy_binary(), "-db", "-f", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}

    def up() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"haproxy exited: {(folder / 'haproxy.log').read_text()[-2000:]}")
        try:
            return all(
                httpx.get(u + "/healthz", timeout=1).status_code == 200 for u in urls.values()
            )
        except httpx.HTTPError:
            return False

    wait_until(up, timeout_s=15)
    return Balancer(process, urls)
