"""Size bands buyers filter on: insertion headcount and turnover, each band named by its floor."""

from __future__ import annotations

Bands = tuple[tuple[int, str], ...]

HEADCOUNT_BANDS: Bands = ((0, "0-9"), (10, "10-49"), (50, "50-249"), (250, "250+"))
TURNOVER_BANDS: Bands = (
    (0, "0-100k"),
    (100_000, "100k-500k"),
    (500_000, "500k-2M"),
    (2_000_000, "2M-10M"),
    (10_000_000, "10M+"),
)


def band(value: int | None, bands: Bands) -> str | None:
    if value is None:
        return None
    return next(label for floor, label in reversed(bands) if value >= floor)


def labels(bands: Bands) -> frozenset[str]:
    return frozenset(label for _, label in bands)
