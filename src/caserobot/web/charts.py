"""Charts drawn on the server as inline SVG: the geometry here, the markup in templates.

No JavaScript and no chart library: a page gets numbers it can put into ``<rect>`` elements
(``templates/dashboard/_bars.svg.html``, ``_columns.svg.html``). Every chart is shown with
a table of the same numbers next to it, which is its text alternative.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

__all__ = ["Bar", "BarChart", "Column", "ColumnChart", "bars", "columns", "nice_max"]


def nice_max(value: float) -> int:
    """The axis maximum: ``value`` rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return int(next(m * power for m in (1, 2, 5, 10) if m * power >= value))


def _tick_values(maximum: int) -> list[int]:
    """Whole-number ticks from 0 to ``maximum`` (a :func:`nice_max`), at most six."""
    step = max(1, nice_max(maximum / 5)) if maximum > 5 else 1
    return list(range(0, maximum + 1, step))


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars, one row per label; the labels are drawn left of ``left``."""

    bars: list[Bar]
    width: int
    height: int
    left: int
    bar_height: int
    maximum: int
    ticks: list[tuple[float, int]] = field(default_factory=list)


def bars(
    items: list[tuple[str, int]], *, width: int = 640, left: int = 260, bar_height: int = 22
) -> BarChart:
    maximum = nice_max(max((v for _, v in items), default=0))
    plot = width - left - 40
    gap = 8
    chart_bars = [
        Bar(label, value, 10 + i * (bar_height + gap), plot * value / maximum)
        for i, (label, value) in enumerate(items)
    ]
    height = 10 + len(items) * (bar_height + gap) + 24
    ticks = [(left + plot * v / maximum, v) for v in _tick_values(maximum)]
    return BarChart(chart_bars, width, height, left, bar_height, maximum, ticks)


@dataclass(frozen=True)
class Column:
    label: str
    x: float
    values: tuple[int, ...]
    heights: tuple[float, ...]


@dataclass(frozen=True)
class ColumnChart:
    """Grouped columns per category (e.g. per day); ``series`` names each column of a group."""

    columns: list[Column]
    series: tuple[str, ...]
    width: int
    height: int
    left: int
    baseline: int
    column_width: float
    maximum: int
    ticks: list[tuple[float, int]] = field(default_factory=list)
    label_every: int = 1


def columns(
    categories: list[tuple[str, tuple[int, ...]]],
    series: tuple[str, ...],
    *,
    width: int = 760,
    plot_height: int = 200,
    left: int = 44,
) -> ColumnChart:
    maximum = nice_max(max((max(v) for _, v in categories if v), default=0))
    baseline = 10 + plot_height
    slot = (width - left - 10) / max(len(categories), 1)
    column_width = max(slot * 0.8 / max(len(series), 1), 1.0)
    cols = [
        Column(
            label,
            left + i * slot + slot * 0.1,
            values,
            tuple(plot_height * v / maximum for v in values),
        )
        for i, (label, values) in enumerate(categories)
    ]
    ticks = [(baseline - plot_height * v / maximum, v) for v in _tick_values(maximum)]
    return ColumnChart(
        cols,
        series,
        width,
        baseline + 40,
        left,
        baseline,
        column_width,
        maximum,
        ticks,
        label_every=max(1, math.ceil(len(categories) / 12)),
    )
