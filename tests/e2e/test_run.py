"""`make run`'s launcher for real: it loads, indexes and serves; a second start redoes nothing;
Ctrl-C leaves no process behind."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import DATABASES, ROOT, Meili, free_port, migrate


def _descendants(pid: int) -> set[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = set(), [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            found.add(child)
            stack.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class Launcher:
    def __init__(self, env: dict[str, str]) -> None:
        self.env = env
        self.output: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "scripts/run.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)
            if "Ctrl-C" in line:
                self.ready.set()

    def wait_ready(self, timeout_s: float = 120) -> None:
        if not self.ready.wait(timeout_s):
            self.process.kill()
            pytest.fail("launcher never became ready:\n" + "".join(self.output))

    def interrupt(self) -> set[int]:
        children = _descendants(self.process.pid)
        assert children, "the launcher started no process"
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(timeout=30) == 0, "".join(self.output)
        return children


@pytest.fixture
def launcher_env(meili: Meili, tmp_path: Path, run_id: str) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "MI_VAR_DIR": str(tmp_path),
        "MEILI_URL": meili.url,
        "MEILI_MASTER_KEY": meili.key,
        "MEILI_INDEX": f"test_{run_id}_launcher",
        "GATEWAY_PORT": str(free_port()),
        "CATALOG_PORT": str(free_port()),
        "SOURCING_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
    }
    os.environ["MI_VAR_DIR"] = str(tmp_path)
    try:
        for database in DATABASES:
            migrate(f"sqlite:///{tmp_path / f'{database}.db'}", database)
    finally:
        del os.environ["MI_VAR_DIR"]
    yield env


def test_launch_search_stop_and_relaunch(launcher_env: dict[str, str]) -> None:
    gateway = f"http://127.0.0.1:{launcher_env['GATEWAY_PORT']}"
    first = Launcher(launcher_env)
    first.wait_ready()
    text = "".join(first.output)
    web = f"http://127.0.0.1:{launcher_env['WEB_PORT']}"
    assert f"{gateway}/api/docs" in text
    # The website first, then the gateway's docs, then the internal services.
    assert text.index(f"{web}/") < text.index("/api/docs") < text.index("catalogue (interne)")
    home = httpx.get(f"{web}/")
    assert home.status_code == 200 and "Marché inclusif" in home.text
    result = httpx.get(
        f"{gateway}/api/v1/search", params={"q": "nettoyage", "department": "93"}
    ).json()
    assert result["total"] > 0
    children = first.interrupt()
    time.sleep(0.5)
    assert not [pid for pid in children if _alive(pid)], "processes left behind"

    started = time.monotonic()
    second = Launcher(launcher_env)
    second.wait_ready()
    elapsed = time.monotonic() - started
    text = "".join(second.output)
    assert text.count("fichier inchangé") == 2 and "déjà à jour" in text
    assert "(0 changements relayés)" in text and "reconstruction" not in text
    assert httpx.get(f"{gateway}/api/v1/search", params={"kind": "ESAT"}).json()["total"] == 1_504
    children = second.interrupt()
    time.sleep(0.5)
    assert not [pid for pid in children if _alive(pid)]
    assert elapsed < 30
