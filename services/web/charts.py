"""Charts drawn on the server as SVG: no script, readable by everyone.

Each chart is an image (`role="img"`) named by its `<title>` and described by a `<desc>` that
states every value in words; the values are also written beside their bars, and the page always
shows the same figures in a table. Colours are the design system's blue France and grey, whose
contrast on white passes the non-text (3:1) and text (4.5:1) thresholds."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

BAR = "#000091"  # blue France (contrast 14.9:1 on white)
TRACK = "#e3e3fd"  # blue France 950: the full scale behind each bar
TEXT = "#161616"  # grey 50, the design system's text
MUTED = "#3a3a3a"  # grey 200 (11.2:1 on white)
FONT = "Marianne, arial, sans-serif"


@dataclass(frozen=True)
class Bar:
    """One value of a chart: `share` between 0 and 1 gives the length; `text` is what is
    written (« 42,5 % »)."""

    label: str
    share: float
    text: str


def _clamp(share: float) -> float:
    return max(0.0, min(1.0, share))


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"


def _frame(chart_id: str, title: str, width: int, height: int, bars: Sequence[Bar]) -> Markup:
    said = "; ".join(f"{bar.label} : {bar.text}" for bar in bars)
    return Markup(
        '<svg class="mi-chart" id="{id}" role="img" aria-labelledby="{id}-titre {id}-desc" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" preserveAspectRatio="xMinYMin meet" '
        'font-family="{font}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}-titre">{title}</title><desc id="{id}-desc">{said}.</desc>'
    ).format(id=chart_id, w=width, h=height, font=FONT, title=title, said=said)


def share_bars(
    bars: Sequence[Bar], *, chart_id: str, title: str, width: int = 420, label_chars: int = 46
) -> Markup:
    """Horizontal bars, one per line: the label above, the bar on a full-scale track, the value
    at its right. Empty when there is nothing to draw."""
    if not bars:
        return Markup("")
    row = 44
    scale = width - 70  # room for the value at the right of a full bar
    height = row * len(bars) + 4
    parts = [_frame(chart_id, title, width, height, bars)]
    for n, bar in enumerate(bars):
        top = n * row
        parts.append(
            Markup(
                '<g class="mi-chart__bar">'
                '<text x="0" y="{label_y}" font-size="14" fill="{text}">{label}</text>'
                '<rect x="0" y="{bar_y}" width="{scale}" height="15" fill="{track}"/>'
                '<rect x="0" y="{bar_y}" width="{length}" height="15" fill="{colour}" '
                'data-share="{share:.4f}"/>'
                '<text x="{value_x}" y="{value_y}" font-size="14" font-weight="bold" '
                'fill="{text}">{value}</text></g>'
            ).format(
                label_y=top + 15,
                bar_y=top + 21,
                value_y=top + 33,
                value_x=scale + 6,
                scale=scale,
                length=round(scale * _clamp(bar.share), 1),
                share=_clamp(bar.share),
                text=TEXT,
                track=TRACK,
                colour=BAR,
                label=_shorten(bar.label, label_chars),
                value=bar.text,
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def year_columns(bars: Sequence[Bar], *, chart_id: str, title: str, height: int = 200) -> Markup:
    """Vertical columns, one per year (oldest first), on a 0–100 % scale with lines at 0, 50
    and 100 %; the value above each column, the year below. Empty when there is nothing."""
    if not bars:
        return Markup("")
    column, gap, left = 56, 28, 40
    width = left + len(bars) * (column + gap)
    top, bottom = 22, height - 24
    plot = bottom - top
    parts = [_frame(chart_id, title, width, height, bars)]
    for level in (0.0, 0.5, 1.0):
        y = round(bottom - plot * level, 1)
        parts.append(
            Markup(
                '<line x1="{x1}" y1="{y}" x2="{x2}" y2="{y}" stroke="{muted}" '
                'stroke-width="{stroke}"/>'
                '<text x="{tx}" y="{ty}" font-size="11" text-anchor="end" fill="{muted}">'
                "{level} %</text>"
            ).format(
                x1=left - 4,
                x2=width,
                y=y,
                muted=MUTED,
                stroke=1 if level == 0 else 0.5,
                tx=left - 8,
                ty=y + 4,
                level=int(level * 100),
            )
        )
    for n, bar in enumerate(bars):
        x = left + gap // 2 + n * (column + gap)
        length = round(plot * _clamp(bar.share), 1)
        parts.append(
            Markup(
                '<g class="mi-chart__bar">'
                '<rect x="{x}" y="{bar_y}" width="{column}" height="{length}" fill="{colour}" '
                'data-share="{share:.4f}"/>'
                '<text x="{middle}" y="{value_y}" font-size="14" font-weight="bold" '
                'text-anchor="middle" fill="{text}">{value}</text>'
                '<text x="{middle}" y="{label_y}" font-size="14" text-anchor="middle" '
                'fill="{text}">{label}</text></g>'
            ).format(
                x=x,
                bar_y=round(bottom - length, 1),
                column=column,
                length=length,
                colour=BAR,
                share=_clamp(bar.share),
                middle=x + column / 2,
                value_y=round(bottom - length - 6, 1),
                label_y=height - 6,
                text=TEXT,
                value=bar.text,
                label=bar.label,
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
