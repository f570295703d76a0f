"""Jinja2 for the pages: static files under a URL that changes with their content (so browsers
keep them for a year), French number and date formats, the operator's settings."""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi.templating import Jinja2Templates

from services.common.text import FRENCH_MONTHS
from services.web.settings import WebSettings

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
OWN_STATIC = HERE / "static"
# The front-end packages the pages use (scripts/front_assets.txt); served by this process.
VENDORED = ("dsfr", "htmx", "leaflet")


def static_version(assets_dir: Path) -> str:
    """A digest of every file served under /static/: a new release gets new URLs."""
    digest = hashlib.sha256()
    for alias in VENDORED:
        stamp = assets_dir / alias / ".sha256"
        digest.update(stamp.read_bytes() if stamp.exists() else alias.encode())
    for path in sorted(OWN_STATIC.rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(OWN_STATIC).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def number(value: Any, decimals: int = 0) -> str:
    """12 345,6 — French grouping with a narrow no-break space."""
    if value is None or value == "":
        return ""
    text = f"{float(value):,.{decimals}f}" if decimals else f"{round(float(value)):,}"
    return text.replace(",", "\u202f").replace(".", ",")


def french_date(value: Any) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return str(value)
    if isinstance(value, datetime | date):
        day = "1er" if value.day == 1 else str(value.day)
        return f"{day} {FRENCH_MONTHS[value.month - 1]} {value.year}"
    return str(value)


def query(params: Any, **changes: Any) -> str:
    """A query string from (key, value) pairs or a mapping, with `changes` applied; None drops
    a key. Used for links that keep the whole search (pagination, sort, filter removal)."""
    pairs: list[tuple[str, Any]] = list(params.items() if hasattr(params, "items") else params)
    pairs = [(k, v) for k, v in pairs if k not in changes and v not in (None, "")]
    for key, value in changes.items():
        if value is None:
            continue
        if isinstance(value, list | tuple):
            pairs.extend((key, v) for v in value)
        else:
            pairs.append((key, value))
    return urlencode(pairs)


def make_templates(settings: WebSettings, version: str) -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES))
    env = templates.env
    env.globals["settings"] = settings
    env.globals["static"] = lambda path: f"/static/{version}/{path}"
    env.filters["number"] = number
    env.filters["french_date"] = french_date
    env.globals["query"] = query
    # Templates ship with the code: read once, never checked again on disk at each page.
    env.auto_reload = settings.environment == "development"
    env.trim_blocks = True
    env.lstrip_blocks = True
    return templates
