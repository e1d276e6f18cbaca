"""Cron expressions for robot schedules: validation with Swedish errors, next times, words.

Five fields (minute, hour, day of month, month, day of week), as Prefect's ``CronSchedule``
takes them. Validation happens here, before Prefect sees the expression, so that an
administrator learns *which field* is wrong rather than Prefect's "Invalid cron string".
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from caserobot.exceptions import InputError

# (Swedish field name, lowest, highest, names allowed in the field)
FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minut", 0, 59, ()),
    ("timme", 0, 23, ()),
    ("dag i månaden", 1, 31, ()),
    (
        "månad",
        1,
        12,
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
    ),
    ("veckodag", 0, 7, ("sun", "mon", "tue", "wed", "thu", "fri", "sat")),
)
_ITEM = re.compile(r"^(?P<range>\*|[0-9a-z]+(?:-[0-9a-z]+)?)(?:/(?P<step>[0-9]+))?$")
WEEKDAYS = ("söndag", "måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")


def validate_cron(expression: str) -> str:
    """The expression, normalised to single spaces, or an :class:`InputError` naming the field.

    Raises:
        InputError: field ``cron``; the message names the cron field and its allowed range.
    """
    parts = expression.strip().lower().split()
    if len(parts) != 5:
        raise InputError(
            "cron",
            f"'{expression}' har {len(parts)} fält, ska ha 5: minut timme dag-i-månaden "
            "månad veckodag (t.ex. '0 6 * * 1-5')",
        )
    for value, (label, low, high, names) in zip(parts, FIELDS, strict=True):
        for item in value.split(","):
            _validate_item(item, value, label, low, high, names)
    normalised = " ".join(parts)
    _check_with_prefect(normalised)
    return normalised


def _validate_item(
    item: str, value: str, label: str, low: int, high: int, names: tuple[str, ...]
) -> None:
    match = _ITEM.match(item)
    if not match:
        raise InputError("cron", f"fältet {label} har ogiltigt värde '{value}'")
    if match["step"] is not None and int(match["step"]) == 0:
        raise InputError("cron", f"fältet {label}: steget får inte vara 0 ('{value}')")
    if match["range"] == "*":
        return
    bounds = [_number(b, value, label, low, names) for b in match["range"].split("-")]
    for bound in bounds:
        if not low <= bound <= high:
            raise InputError(
                "cron", f"fältet {label} har värdet {bound} utanför {low}–{high} ('{value}')"
            )
    if len(bounds) == 2 and bounds[0] > bounds[1]:
        raise InputError("cron", f"fältet {label}: intervallet '{match['range']}' är baklänges")


def _number(token: str, value: str, label: str, low: int, names: tuple[str, ...]) -> int:
    if token.isdigit():
        return int(token)
    if token in names:
        return names.index(token) + low
    raise InputError("cron", f"fältet {label} har ogiltigt värde '{value}'")


def _check_with_prefect(expression: str) -> None:
    # Prefect validates with its vendored croniter; ask the same judge so that nothing this
    # module accepts is refused later by the server.
    from prefect._internal.schemas.validators import validate_cron_string

    try:
        validate_cron_string(expression)
    except ValueError as exc:
        raise InputError("cron", f"'{expression}' är inget giltigt cron-uttryck") from exc


def validate_timezone(name: str) -> str:
    """The IANA time zone name, or an :class:`InputError` on field ``timezone``."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError("timezone", f"okänd tidszon '{name}' (t.ex. Europe/Stockholm)") from exc
    return name


def next_times(
    expression: str, timezone: str, count: int = 3, after: datetime | None = None
) -> list[datetime]:
    """The next ``count`` times the expression fires, in ``timezone``.

    Cron speaks wall-clock time: ``0 6 * * *`` is 06:00 local time also on the days the
    clocks change, as Prefect's scheduler does it.
    """
    from prefect._vendor.croniter import croniter

    zone = ZoneInfo(timezone)
    # croniter with an aware start drifts by the DST offset; iterate naive local times.
    start = (after or datetime.now(zone)).astimezone(zone).replace(tzinfo=None)
    it = croniter(expression, start)
    return [it.get_next(datetime).replace(tzinfo=zone) for _ in range(count)]


def describe(expression: str) -> str | None:
    """Common expressions in Swedish words (``"vardagar kl. 06:00"``), else None."""
    parts = expression.split()
    if len(parts) != 5:
        return None
    minute, hour, dom, month, dow = parts
    if not (minute.isdigit() and hour.isdigit()) or dom != "*" or month != "*":
        if minute.isdigit() and hour == "*" and dom == month == dow == "*":
            return f"varje timme, {int(minute)} minuter över"
        return None
    at = f"kl. {int(hour):02d}:{int(minute):02d}"
    if dow == "*":
        return f"varje dag {at}"
    if dow == "1-5":
        return f"vardagar {at}"
    if dow.isdigit() and int(dow) <= 7:
        return f"varje {WEEKDAYS[int(dow)]} {at}"
    return None
