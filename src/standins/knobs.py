"""The run-time knobs of the stand-ins: one table for ``/_test/config``, the CLI and the docs.

A light module (no FastAPI, no uvicorn): ``standins serve --help`` reads it. Every knob is
validated here; a bad value raises :class:`KnobError` naming the knob.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

CASE_SYSTEM = "case_system"
SESSIONS = "sessions"
"""Scope of the knobs every web UI with a login has (the case system, a plugin's UI)."""
LOST_ANSWER_MODES = ("mixed", "500", "502", "503", "drop")
LAYOUTS = ("v1", "v2")
ON_OFF = ("on", "off")
MAX_SECONDS = 86_400.0


@dataclass(frozen=True)
class Knob:
    """One setting: its kind decides the check (``rate`` 0..1, ``seconds``/``ms`` >= 0, …)."""

    name: str
    kind: str  # rate | seconds | ms | count | seed | choice | time
    default: Any
    help: str
    scope: str = "all"  # all | sessions (web UIs with a login) | case_system
    choices: tuple[str, ...] = ()

    @property
    def case_system_only(self) -> bool:
        """Not on every system: the case system's (and other web UIs' with a login)."""
        return self.scope != "all"


KNOBS: tuple[Knob, ...] = (
    Knob("latency_ms", "ms", 0.0, "delay added before every answer"),
    Knob("fail_rate", "rate", 0.0,
         "share of requests answered 503 before the handler runs (nothing written)"),
    Knob("lost_answer_rate", "rate", 0.0,
         "share of write requests whose answer is lost AFTER the write was applied "
         "(ledger entry made, client sees a 5xx or a dropped connection)"),
    Knob("lost_answer_mode", "choice", "mixed",
         "how a lost answer shows: 500, 502, 503, drop (connection closed without an "
         "answer) or mixed (one of the four, drawn from the fault RNG)",
         choices=LOST_ANSWER_MODES),
    Knob("slow_write_rate", "rate", 0.0,
         "share of write requests that wait slow_write_s before the write is applied and "
         "answered; the write lands even if the client has given up"),
    Knob("slow_write_s", "seconds", 5.0, "delay of a slow write"),
    Knob("hang_rate", "rate", 0.0,
         "share of requests that get no answer: after hang_s the connection is closed; "
         "the handler never runs"),
    Knob("hang_s", "seconds", 120.0, "how long a hung request is held open"),
    Knob("slow_page_rate", "rate", 0.0,
         "share of read requests (GET) delayed by slow_page_ms on top of latency_ms"),
    Knob("slow_page_ms", "ms", 3000.0, "delay of a slow page"),
    Knob("maintenance_until", "time", None,
         "end of a maintenance window (ISO 8601 with offset, or null): until then every "
         "request gets 503 with Retry-After (the case system shows its maintenance page)"),
    Knob("fault_seed", "seed", None,
         "seed of the fault RNG (null: the system's own, world seed + n); setting it "
         "restarts the fault sequence"),
    Knob("seats", "count", 4, "concurrent sessions (seat licences)", scope=SESSIONS),
    Knob("session_timeout_s", "seconds", 600.0,
         "idle time after which a session ends and frees its seat", scope=SESSIONS),
    Knob("session_expiry_rate", "rate", 0.0,
         "share of requests with a live session on which that session ends first (the "
         "answer is the login redirect, as after an idle timeout)", scope=SESSIONS),
    Knob("seats_taken", "count", 0,
         "seats held by other (human) users: fewer are free for logins",
         scope=SESSIONS),
    Knob("layout_variant", "choice", "v1",
         "screen layout: v1 (today's) or v2 (renamed labels, moved tables, changed forms)",
         scope=CASE_SYSTEM, choices=LAYOUTS),
    Knob("session_serial", "choice", "on",
         "on: one request at a time per session, as a session-locked server answers (a "
         "second request on the same session waits for the first, latency included); off: "
         "requests of one session run side by side", scope=SESSIONS, choices=ON_OFF),
)
BY_NAME = {k.name: k for k in KNOBS}
MAINTENANCE_S = "maintenance_s"
"""Not stored: ``maintenance_s: S`` sets ``maintenance_until`` to now + S (0 ends a window)."""


class KnobError(ValueError):
    """A setting that does not exist here or has a bad value; ``field`` names it."""

    def __init__(self, field: str, message: str, code: str = "invalid_setting") -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.code = code


_LOGIN_SYSTEMS = {CASE_SYSTEM}


def add_login_system(system: str) -> None:
    """Give a system the session knobs: a plugin's web UI with a login (standins.plugins)."""
    _LOGIN_SYSTEMS.add(system)


def names_for(system: str) -> list[str]:
    """The knobs a system has: the session knobs where it has a login (the case system and
    the plugins' web UIs), ``layout_variant`` only on the case system."""
    return [k.name for k in KNOBS if k.scope == "all" or system == CASE_SYSTEM
            or (k.scope == SESSIONS and system in _LOGIN_SYSTEMS)]


def _number(knob: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise KnobError(knob, "must be a number")
    return float(value)


def check(name: str, value: Any) -> Any:
    """The value of one knob, checked (and normalized), or :class:`KnobError`."""
    knob = BY_NAME.get(name)
    if name == MAINTENANCE_S:
        seconds = _number(name, value)
        if not 0 <= seconds <= MAX_SECONDS:
            raise KnobError(name, f"must be 0..{MAX_SECONDS:.0f} seconds")
        return seconds
    if knob is None:
        raise KnobError(name, "unknown setting", code="unknown_setting")
    if knob.kind == "rate":
        rate = _number(name, value)
        if not 0 <= rate <= 1:
            raise KnobError(name, "must be a share between 0 and 1")
        return rate
    if knob.kind in ("seconds", "ms"):
        amount = _number(name, value)
        limit = MAX_SECONDS * (1000 if knob.kind == "ms" else 1)
        if not 0 <= amount <= limit:
            raise KnobError(name, f"must be 0..{limit:.0f} {'ms' if knob.kind == 'ms' else 's'}")
        return amount
    if knob.kind in ("count", "seed"):
        if value is None and knob.kind == "seed":
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise KnobError(name, "must be a whole number")
        if knob.kind == "count" and not 0 <= value <= 10_000:
            raise KnobError(name, "must be 0..10000")
        return value
    if knob.kind == "choice":
        if value not in knob.choices:
            raise KnobError(name, f"must be one of {', '.join(knob.choices)}")
        return value
    # time
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise KnobError(name, "must be an ISO 8601 date-time with offset, or null")
    return moment.isoformat()


def check_all(system: str, settings: Any) -> dict[str, Any]:
    """Every setting of a ``/_test/config`` body checked; the first bad one raises."""
    if not isinstance(settings, dict):
        raise KnobError("body", "must be a JSON object of settings", code="invalid_json")
    known = set(names_for(system)) | {MAINTENANCE_S}
    out: dict[str, Any] = {}
    for name, value in settings.items():
        if name not in known:
            raise KnobError(str(name), "unknown setting for this system", code="unknown_setting")
        out[name] = check(name, value)
    return out


def parse_value(text: str) -> Any:
    """A value typed on the command line: null, a whole number, a number, or a word."""
    if text.lower() in ("null", "none"):
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text
