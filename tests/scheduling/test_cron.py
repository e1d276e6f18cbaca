"""Cron validation names the wrong field in Swedish; next times follow the time zone."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from caserobot import cron
from caserobot.exceptions import InputError


@pytest.mark.parametrize(
    "expression", ["0 6 * * 1-5", "*/15 * * * *", "30 5 1,15 * mon-fri", "0 0 1 jan *"]
)
def test_valid_expressions_pass(expression: str) -> None:
    assert cron.validate_cron(f"  {expression} ") == expression


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 25 * * *", "timme"),
        ("60 6 * * *", "minut"),
        ("0 6 0 * *", "dag i månaden"),
        ("0 6 * 13 *", "månad"),
        ("0 6 * * 9", "veckodag"),
        ("0 6 * * 5-1", "baklänges"),
        ("0 6 * * x", "veckodag"),
        ("*/0 * * * *", "steget"),
        ("0 6 * *", "5"),
        ("", "0 fält"),
    ],
)
def test_invalid_expressions_name_the_field(expression: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        cron.validate_cron(expression)
    assert info.value.field == "cron"
    assert words in str(info.value)


def test_unknown_timezone_is_an_input_error() -> None:
    with pytest.raises(InputError, match="tidszon"):
        cron.validate_timezone("Europe/Nacka")
    assert cron.validate_timezone("Europe/Stockholm") == "Europe/Stockholm"


def test_next_times_keep_local_time_across_daylight_saving() -> None:
    tz = ZoneInfo("Europe/Stockholm")
    after = datetime(2026, 3, 28, 0, tzinfo=tz)  # clocks go forward on 29 March 2026
    times = cron.next_times("0 6 * * *", "Europe/Stockholm", count=3, after=after)
    assert [(t.day, t.hour) for t in times] == [(28, 6), (29, 6), (30, 6)]
    assert [t.utcoffset() for t in times] == [timedelta(hours=h) for h in (1, 2, 2)]


@pytest.mark.parametrize(
    ("expression", "words"),
    [
        ("0 6 * * 1-5", "vardagar kl. 06:00"),
        ("30 22 * * *", "varje dag kl. 22:30"),
        ("0 7 * * 1", "varje måndag kl. 07:00"),
        ("15 * * * *", "varje timme, 15 minuter över"),
        ("0 6 1 * *", None),
    ],
)
def test_common_expressions_in_words(expression: str, words: str | None) -> None:
    assert cron.describe(expression) == words
