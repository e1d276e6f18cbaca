"""The geometry of the server-side SVG charts."""

from __future__ import annotations

import pytest

from caserobot.web import charts


@pytest.mark.parametrize(
    ("value", "expected"), [(0, 1), (1, 1), (3, 5), (7, 10), (11, 20), (101, 200), (2400, 5000)]
)
def test_axis_maximum_is_a_round_number_at_or_above_the_value(value: int, expected: int) -> None:
    assert charts.nice_max(value) == expected


def test_bars_are_proportional_and_ticks_whole_numbers() -> None:
    chart = charts.bars([("Läkarintyg", 4), ("Taxi", 2)], width=640, left=260)
    plot = 640 - 260 - 40
    assert chart.maximum == 5
    assert [b.width for b in chart.bars] == [plot * 4 / 5, plot * 2 / 5]
    assert [v for _, v in chart.ticks] == [0, 1, 2, 3, 4, 5]
    assert chart.bars[1].y > chart.bars[0].y


def test_columns_grouped_per_day_and_labels_thinned() -> None:
    days = [(f"{d:02d}/08", (d, d // 2)) for d in range(1, 31)]
    chart = charts.columns(days, ("Ansökningar", "Automatiskt"), plot_height=200)
    assert chart.maximum == 50
    last = chart.columns[-1]
    assert last.values == (30, 15) and last.heights == (200 * 30 / 50, 200 * 15 / 50)
    assert chart.label_every == 3  # at most about 12 labels under the axis
    assert chart.columns[1].x > chart.columns[0].x + 2 * chart.column_width


def test_empty_charts_draw_nothing() -> None:
    assert charts.bars([]).bars == []
    assert charts.columns([], ("a",)).columns == []
