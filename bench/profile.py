"""Sampling profiles of the services under load (py-spy): where their time goes.

Summarised as the functions holding the most samples, on their own (self) and with what they
call (inclusive), restricted to our code for the inclusive view."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

PY_SPY = Path(sys.executable).with_name("py-spy")
# Leaves where a thread waits rather than works: the event loop's poll, idle worker threads.
_IDLE = frozenset(
    {
        "select",
        "EpollSelector.select",
        "poll",
        "wait",
        "Condition.wait",
        "Event.wait",
        "_worker",
        # uvloop waits in C: the sampled Python leaf is the loop's runner.
        "Runner.run",
        "run",
    }
)


def start(pid: int, seconds: int, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(PY_SPY),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(seconds),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "--output",
            str(out),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _frame(frame: str) -> str:
    # "function (path/to/module.py:123)" → "function (module.py)"
    name, _, where = frame.partition(" (")
    module = where.rsplit("/", 1)[-1].split(":", 1)[0]
    return f"{name} ({module})"


def summarise(raw: Path, top: int = 12) -> dict[str, object]:
    if not raw.exists():
        return {"error": "py-spy n'a rien enregistré (droits ptrace ?)"}
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    idle = total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame(f) for f in stack.split(";")]
        total += count
        leaf = frames[-1]
        if leaf.split(" (", 1)[0] in _IDLE:
            idle += count
            continue
        own[leaf] += count
        for frame in dict.fromkeys(f for f in stack.split(";") if "/services/" in f):
            inclusive[_frame(frame)] += count
    busy = max(1, total - idle)

    def shares(counter: Counter[str]) -> list[dict[str, object]]:
        return [
            {"function": name, "share_of_busy": round(count / busy, 3)}
            for name, count in counter.most_common(top)
        ]

    return {
        "samples": total,
        "busy_share": round((total - idle) / max(1, total), 3),
        "self": shares(own),
        "inclusive_our_code": shares(inclusive),
    }
