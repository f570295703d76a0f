"""Cells of a CSV or spreadsheet export that a spreadsheet will show and never run."""

from __future__ import annotations

from typing import Any


def safe_cell(value: Any) -> str:
    """Text a spreadsheet will not run: cells starting with = + - @ (or a tab/CR) are escaped."""
    if value is None:
        return ""
    text = "|".join(map(str, value)) if isinstance(value, list) else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
