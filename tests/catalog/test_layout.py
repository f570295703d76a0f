"""The catalog reads as its layout says: queries in repositories, one commit point per request,
lifespan objects handed out by dependencies."""

from __future__ import annotations

import re
from pathlib import Path

CATALOG = Path(__file__).resolve().parents[2] / "services" / "catalog"
QUERY = re.compile(r"\bsession\.(exec|execute|get)\(")
# The optimistic-lock UPDATE is shared by every editable table; the index documents are
# built from reference rows where the index contract is written.
QUERIES_ALLOWED = {"concurrency.py", "indexing/coverage.py", "indexing/document.py"}
# Units of work of their own: the command line and the relay run outside any request.
COMMITS_ALLOWED = {"cli.py", "indexing/relay.py", "ownership/repository.py"}


def _sources() -> dict[str, str]:
    return {
        path.relative_to(CATALOG).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(CATALOG.rglob("*.py"))
    }


def test_queries_live_in_repositories() -> None:
    outside = [
        name
        for name, text in _sources().items()
        if QUERY.search(text) and not name.endswith("repository.py") and name not in QUERIES_ALLOWED
    ]
    assert outside == []


def test_routers_and_services_never_commit() -> None:
    committing = [
        name
        for name, text in _sources().items()
        if ".commit()" in text and name not in COMMITS_ALLOWED
    ]
    assert committing == []


def test_only_the_app_factory_reads_app_state() -> None:
    readers = [
        name for name, text in _sources().items() if "app.state" in text and name != "app.py"
    ]
    assert readers == []
