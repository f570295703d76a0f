"""Starts Marché inclusif on loopback: Meilisearch, catalog, sourcing, gateway, website.

Loads and indexes the data first (nothing is redone when nothing changed), prints the URLs,
stays in the foreground, and stops every process it started on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VAR = Path(os.environ.get("MI_VAR_DIR", ROOT / "var"))
PYTHON = sys.executable
HOST = "127.0.0.1"
PORTS = {
    "gateway": int(os.environ.get("GATEWAY_PORT", "8000")),
    "catalog": int(os.environ.get("CATALOG_PORT", "8001")),
    "sourcing": int(os.environ.get("SOURCING_PORT", "8002")),
    "web": int(os.environ.get("WEB_PORT", "8003")),
}
MEILI_PORT = int(os.environ.get("MEILI_PORT", "7700"))
PR_SET_PDEATHSIG = 1

children: list[tuple[str, subprocess.Popen[bytes]]] = []


def _die_with_parent() -> None:
    """Children get SIGTERM if this process dies, even by SIGKILL."""
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def start(name: str, command: list[str], env: dict[str, str], log: Path | None = None) -> None:
    stdout = log.open("ab") if log else None
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=stdout,
        stderr=subprocess.STDOUT if log else None,
        start_new_session=True,
        preexec_fn=_die_with_parent,
    )
    children.append((name, process))


def _interrupted(_signum: int, _frame: object) -> None:
    """First Ctrl-C (or SIGTERM) starts the orderly stop; later ones must not cut it short."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def stop_all() -> None:
    for _, process in reversed(children):
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    for name, process in reversed(children):
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} ne s'arrête pas : arrêt forcé", file=sys.stderr)
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_http(name: str, url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for child_name, process in children:
            if process.poll() is not None:
                raise SystemExit(
                    f"{child_name} s'est arrêté au démarrage (code {process.returncode})."
                )
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise SystemExit(f"{name} n'a pas répondu sur {url} en {timeout_s:.0f} s.")


def local_secret(variable: str, filename: str) -> str:
    """The variable if set, else a secret generated once and kept in var/ (mode 600)."""
    if value := os.environ.get(variable):
        return value
    path = VAR / filename
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def main() -> int:
    VAR.mkdir(exist_ok=True)
    env = dict(os.environ)
    env.setdefault("MI_ENVIRONMENT", "development")
    own_meili = not env.get("MEILI_URL")
    # Shared by the gateway (which signs forwarded identities) and the services (which verify).
    env["MI_IDENTITY_SECRET"] = local_secret("MI_IDENTITY_SECRET", "identity_secret")
    busy = [f"{n} ({p})" for n, p in PORTS.items() if not port_free(p)]
    if own_meili and not port_free(MEILI_PORT):
        busy.append(f"meilisearch ({MEILI_PORT})")
    if busy:
        print(
            "Ports déjà utilisés : " + ", ".join(busy) + ". Arrêtez l'autre instance.",
            file=sys.stderr,
        )
        return 1

    signal.signal(signal.SIGINT, _interrupted)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        if own_meili:
            env["MEILI_URL"] = f"http://{HOST}:{MEILI_PORT}"
            env["MEILI_MASTER_KEY"] = local_secret("MEILI_MASTER_KEY", "meili_master_key")
            start(
                "meilisearch",
                [
                    str(ROOT / "bin/meilisearch"),
                    "--db-path",
                    str(VAR / "meili"),
                    "--http-addr",
                    f"{HOST}:{MEILI_PORT}",
                    "--env",
                    "development",
                    "--no-analytics",
                ],
                {**env, "MEILI_MASTER_KEY": env["MEILI_MASTER_KEY"]},
                log=VAR / "meilisearch.log",
            )
        wait_http("Meilisearch", env["MEILI_URL"] + "/health")
        bootstrap = subprocess.run(
            [PYTHON, "-m", "services.catalog.cli", "bootstrap"], cwd=ROOT, env=env
        )
        if bootstrap.returncode != 0:
            print("Le chargement des données a échoué (voir ci-dessus).", file=sys.stderr)
            return 1
        apps = {
            "catalog": "services.catalog.app:create_app",
            "sourcing": "services.sourcing.app:create_app",
            "gateway": "services.gateway.app:create_app",
            "web": "services.web.app:create_app",
        }
        # Only the catalog holds the search engine's master key; sourcing gets a search-only
        # key (made by the bootstrap above, the same at every start), the gateway neither.
        gateway_env = {k: v for k, v in env.items() if k != "MEILI_MASTER_KEY"}
        sourcing_env = dict(gateway_env)
        if env.get("MEILI_MASTER_KEY"):
            sourcing_env["MEILI_SEARCH_KEY"] = subprocess.run(
                [PYTHON, "-m", "services.catalog.cli", "search-key"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
        web = f"http://{HOST}:{PORTS['web']}"
        gateway = f"http://{HOST}:{PORTS['gateway']}"
        # The website holds no search-engine key and no identity secret: it is an API client.
        web_env = {
            k: v for k, v in gateway_env.items() if k not in ("MI_IDENTITY_SECRET", "MEILI_URL")
        }
        web_env["WEB_GATEWAY_URL"] = gateway
        web_env["WEB_API_PUBLIC_URL"] = gateway
        web_env["WEB_PUBLIC_URL"] = web
        web_env["WEB_SESSION_SECRET"] = local_secret("WEB_SESSION_SECRET", "web_session_secret")
        service_env = {
            "catalog": env,
            "sourcing": sourcing_env,
            "gateway": gateway_env,
            "web": web_env,
        }
        gateway_env.setdefault("GATEWAY_ANONYMOUS_PER_MINUTE", "600")  # a developer clicks a lot
        gateway_env["GATEWAY_SESSION_SECRET"] = local_secret(
            "GATEWAY_SESSION_SECRET", "session_secret"
        )
        gateway_env["GATEWAY_CATALOG_URL"] = f"http://{HOST}:{PORTS['catalog']}"
        gateway_env["GATEWAY_SOURCING_URL"] = f"http://{HOST}:{PORTS['sourcing']}"
        # The website calls the API for its visitors: their address counts, not its own.
        gateway_env.setdefault("GATEWAY_TRUSTED_PROXIES", f'["{HOST}"]')
        # The links of e-mails (confirmation, new password, alerts) open the website's pages.
        gateway_env.setdefault("GATEWAY_WEB_URL", f"http://{HOST}:{PORTS['web']}")
        sourcing_env.setdefault("SOURCING_WEB_URL", f"http://{HOST}:{PORTS['web']}")
        env.setdefault("CATALOG_WEB_URL", f"http://{HOST}:{PORTS['web']}")
        for name, factory in apps.items():
            start(
                name,
                [
                    PYTHON,
                    "-m",
                    "uvicorn",
                    "--factory",
                    factory,
                    "--host",
                    HOST,
                    "--port",
                    str(PORTS[name]),
                    "--no-access-log",
                    "--log-level",
                    "warning",
                ],
                service_env[name],
                log=VAR / f"{name}.log",
            )
        for name in apps:
            wait_http(name, f"http://{HOST}:{PORTS[name]}/healthz")
        print(
            "\nMarché inclusif est démarré :\n"
            f"  site web                     : {web}/\n"
            f"  API publique (documentation) : {gateway}/api/docs\n"
            f"  API publique                 : {gateway}/api/v1/search?q=nettoyage&department=93\n"
            f"  catalogue (interne)          : http://{HOST}:{PORTS['catalog']}/docs\n"
            f"  sourcing (interne)           : http://{HOST}:{PORTS['sourcing']}/docs\n"
            f"  Meilisearch (interne)        : {env['MEILI_URL']}\n"
            f"Journaux (JSON) : {VAR}/{{web,gateway,catalog,sourcing,meilisearch}}.log\n"
            "Ctrl-C pour tout arrêter.\n",
            flush=True,
        )
        while True:
            for name, process in children:
                if process.poll() is not None:
                    print(
                        f"{name} s'est arrêté (code {process.returncode}) : arrêt de tout.",
                        file=sys.stderr,
                    )
                    return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nArrêt…", flush=True)
        return 0
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
