"""Each service imports only its own package, the domain vocabulary and the common plumbing;
the website is a client of the public API like any other."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[2] / "services"
SHARED = {"common", "domain"}


def _imported(path: Path) -> set[str]:
    """Every `services.<package>` a module imports, at its top or inside a function."""
    packages = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "services" and len(parts) > 1:
                packages.add(parts[1])
    return packages


def test_no_service_imports_another() -> None:
    packages = sorted(p.name for p in SERVICES.iterdir() if (p / "__init__.py").exists())
    assert {"catalog", "sourcing", "gateway", "web", "common", "domain"} <= set(packages)
    crossings = []
    for package in packages:
        # The shared packages import no one; a service imports them and itself.
        allowed = {package} if package in SHARED else {package, *SHARED}
        for module in sorted((SERVICES / package).rglob("*.py")):
            for imported in sorted(_imported(module) - allowed):
                crossings.append(
                    f"{module.relative_to(SERVICES.parent)} imports services.{imported}"
                )
    assert crossings == []


def test_the_check_sees_a_crossing(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from services.catalog.x import y\n", encoding="utf-8")
    assert _imported(module) == {"catalog"}
