"""Whether a robot may work now: its pause switch and its legacy systems' opening hours.

:func:`gate` answers for one case type at one moment. It is closed when a robot of that
case type is paused by an administrator, or when any legacy system the robot uses is outside
its opening hours. The robot engine asks before it claims work (items stay waiting, never
failed); the flow asks before it starts a robot (see :mod:`caserobot.orchestration`).

Opening hours (``legacy_systems.opening_hours``) are Swedish local time (Europe/Stockholm),
one or more windows separated by ``;``::

    07:00-19:00                        every day
    mån-fre 07:00-19:00                Monday to Friday
    mån-fre 07:00-19:00; lör 09:00-13:00
    mån,ons,fre 06:00-07:00            a list of days

Days are ``mån tis ons tor fre lör sön`` (``man``, ``lor``, ``son`` without diacritics too);
a window starts before it ends, and ``24:00`` may end one. Empty means always open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caserobot.db import read_session
from caserobot.db.models import LegacySystemRow, RobotRow
from caserobot.exceptions import InputError

__all__ = ["PAUSED", "TIMEZONE", "Gate", "OpeningHours", "gate", "parse_opening_hours"]

Sessions = sessionmaker[Session]
TIMEZONE = ZoneInfo("Europe/Stockholm")
DAYS = ("mån", "tis", "ons", "tor", "fre", "lör", "sön")
_DAY_ALIASES = {"man": "mån", "lor": "lör", "son": "sön"}
_TIME = r"(?:[01]\d|2[0-3]):[0-5]\d|24:00"
_WINDOW = re.compile(rf"^(?:(?P<days>[a-zåäö,\-]+)\s+)?(?P<start>{_TIME})-(?P<end>{_TIME})$")
_HINT = "öppettider anges som TT:MM-TT:MM, t.ex. 07:00-19:00 eller mån-fre 07:00-19:00"
PAUSED = "roboten är pausad"


@dataclass(frozen=True)
class Gate:
    """The answer of :func:`gate`: open, or closed with a reason in Swedish."""

    open: bool
    reason: str | None = None
    reopens_at: datetime | None = None  # None: not by the clock (paused, or never opens)


@dataclass(frozen=True)
class _Window:
    days: frozenset[int]  # 0 = Monday
    start: int  # minutes after midnight
    end: int

    def covers(self, weekday: int, minute: int) -> bool:
        return weekday in self.days and self.start <= minute < self.end


@dataclass(frozen=True)
class OpeningHours:
    """Parsed opening hours; ``text`` is the normalised form that is stored."""

    text: str
    windows: tuple[_Window, ...]

    def is_open(self, at: datetime) -> bool:
        local = _aware(at).astimezone(TIMEZONE)
        minute = local.hour * 60 + local.minute
        return any(w.covers(local.weekday(), minute) for w in self.windows)

    def openings_after(self, at: datetime, days: int = 8) -> list[datetime]:
        """The start of every window within ``days`` after ``at``, in order."""
        local = _aware(at).astimezone(TIMEZONE)
        found = []
        for offset in range(days + 1):
            day = local.date() + timedelta(days=offset)
            for window in self.windows:
                if day.weekday() in window.days and window.start < 24 * 60:
                    start = time(window.start // 60, window.start % 60)
                    moment = datetime.combine(day, start, TIMEZONE)
                    if moment > at:
                        found.append(moment)
        return sorted(found)

    def display(self) -> str:
        """For messages: ``06:00–07:00``, ``mån–fre 07:00–19:00``."""
        return self.text.replace("-", "–")


def parse_opening_hours(text: str | None) -> OpeningHours | None:
    """Parse opening hours (see the module docstring); None for an empty value.

    Raises:
        InputError: the field ``opening_hours``, with what is wrong.
    """
    value = (text or "").strip().lower().replace("–", "-").replace("—", "-")
    if not value:
        return None
    if len(value) > 100:
        raise InputError("opening_hours", "öppettiderna får vara högst 100 tecken")
    windows: list[_Window] = []
    parts: list[str] = []
    for raw in value.split(";"):
        part = re.sub(r"\s*-\s*", "-", re.sub(r"\s*,\s*", ",", raw.strip()))
        match = _WINDOW.match(part)
        if not match:
            raise InputError("opening_hours", f"'{raw.strip()}': {_HINT}")
        start, end = _minutes(match["start"]), _minutes(match["end"])
        if start >= end:
            raise InputError(
                "opening_hours", f"'{raw.strip()}': öppettidernas start måste vara före slutet"
            )
        days, days_text = _days(match["days"]) if match["days"] else (frozenset(range(7)), "")
        windows.append(_Window(days, start, end))
        parts.append(f"{days_text} {match['start']}-{match['end']}".strip())
    return OpeningHours("; ".join(parts), tuple(windows))


def gate(sessions: Sessions, case_type: str, at: datetime) -> Gate:
    """May the robot of ``case_type`` work at ``at`` (timezone-aware)?

    Closed when a robot of the case type is paused (``reopens_at`` None: an administrator
    resumes it) or when a legacy system it uses is outside its opening hours
    (``reopens_at``: the next moment when all its systems are open, within a week).
    A case type without a registered robot is open.
    """
    at = _aware(at)
    with read_session(sessions) as session:
        robots = list(session.scalars(select(RobotRow).where(RobotRow.case_type == case_type)))
        if any(r.status == "paused" for r in robots):
            return Gate(False, PAUSED, None)
        names = sorted({name for r in robots for name in (r.legacy_systems or [])})
        rows = (
            list(session.scalars(select(LegacySystemRow).where(LegacySystemRow.name.in_(names))))
            if names
            else []
        )
    systems = [(row, hours) for row in rows if (hours := _stored_hours(row)) is not None]
    closed = [(row, hours) for row, hours in systems if not hours.is_open(at)]
    if not closed:
        return Gate(True)
    row, hours = closed[0]
    reason = f"{_display_name(row)} har stängt (öppet {hours.display()})"
    candidates = sorted({m for _, h in closed for m in h.openings_after(at)})
    reopens = next((m for m in candidates if all(h.is_open(m) for _, h in systems)), None)
    return Gate(False, reason, reopens)


# -- internals ---------------------------------------------------------------------------


def _aware(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("gate: 'at' must be timezone-aware")
    return at


def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _day(name: str) -> int:
    name = _DAY_ALIASES.get(name, name)
    if name not in DAYS:
        raise InputError("opening_hours", f"okänd veckodag '{name}' (använd {' '.join(DAYS)})")
    return DAYS.index(name)


def _days(text: str) -> tuple[frozenset[int], str]:
    days: set[int] = set()
    normalised = []
    for item in text.split(","):
        if "-" in item:
            first, _, last = item.partition("-")
            a, b = _day(first), _day(last)
            if a > b:
                raise InputError("opening_hours", f"'{item}': dagarna anges i ordning mån–sön")
            days.update(range(a, b + 1))
            normalised.append(f"{DAYS[a]}-{DAYS[b]}")
        else:
            days.add(_day(item))
            normalised.append(DAYS[_day(item)])
    return frozenset(days), ",".join(normalised)


def _stored_hours(row: LegacySystemRow) -> OpeningHours | None:
    try:
        return parse_opening_hours(row.opening_hours)
    except InputError:
        # Stored before validation existed: a system whose hours cannot be read is treated
        # as closed rather than worked on at the wrong time.
        return OpeningHours(row.opening_hours or "", ())


def _display_name(row: LegacySystemRow) -> str:
    name = (row.description or "").split(" (", 1)[0].strip() or row.name
    return name[0].lower() + name[1:]
