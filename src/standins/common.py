"""What every stand-in shares: the write ledger, run-time tuning, the ``/_test`` routes.

Faults (errors, lost answers, slow writes, hangs, slow pages, maintenance) are injected by
:mod:`standins.faults`; outages by :mod:`standins.server`. See README.md, "Fault injection".
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.background import BackgroundTask

from standins import knobs

try:
    from zoneinfo import ZoneInfo

    TZ: Any = ZoneInfo("Europe/Stockholm")
except Exception:  # pragma: no cover - no tz database on the machine
    TZ = None

FAULT_KINDS = ("error", "lost_answer", "slow_write", "hang", "slow_page", "maintenance",
               "session_expiry", "seat_taken", "outage")
# The ledger entries made while one request runs (set by the fault gate on write routes).
REQUEST_WRITES: ContextVar[list[dict[str, Any]] | None] = ContextVar("writes", default=None)


def now() -> datetime:
    return datetime.now(TZ).replace(microsecond=0) if TZ else datetime.now().astimezone()


@dataclass
class Tuning:
    """Run-time knobs of one stand-in (see :data:`standins.knobs.KNOBS` for each one)."""

    latency_ms: float = 0.0
    fail_rate: float = 0.0
    lost_answer_rate: float = 0.0
    lost_answer_mode: str = "mixed"
    slow_write_rate: float = 0.0
    slow_write_s: float = 5.0
    hang_rate: float = 0.0
    hang_s: float = 120.0
    slow_page_rate: float = 0.0
    slow_page_ms: float = 3000.0
    maintenance_until: str | None = None
    fault_seed: int | None = None
    seats: int = 4  # case system only
    session_timeout_s: float = 600.0  # case system only
    session_expiry_rate: float = 0.0  # case system only
    seats_taken: int = 0  # case system only
    layout_variant: str = "v1"  # case system only
    session_serial: str = "on"  # case system only


class Ledger:
    """Every write a stand-in received, in order. ``seq`` never restarts within a process."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._seq = 0

    def record(self, kind: str, **data: Any) -> dict[str, Any]:
        self._seq += 1
        entry = {"seq": self._seq, "at": now().isoformat(), "kind": kind, **data}
        self.entries.append(entry)
        writes = REQUEST_WRITES.get()
        if writes is not None:
            writes.append(entry)
        return entry

    def clear(self) -> None:
        self.entries.clear()


class StandIn:
    """Base state of a stand-in app: name, tuning (with start-up defaults), ledger, faults.

    Subclasses name their write routes (``write_routes``: POST paths, regular expressions)
    and may override the answers of :mod:`standins.faults` (``unavailable_response`` …).
    """

    name = "standin"
    write_routes: tuple[str, ...] = ()
    #: The cookie naming a logged-in session (None: the system has no sessions). With
    #: ``session_serial`` on, the fault gate answers one request per session at a time.
    session_cookie: str | None = None
    #: Paths of logging in and out, counted apart (``login_requests`` in the stats), so a
    #: benchmark can count the pages of the work alone.
    login_paths: tuple[str, ...] = ()

    def __init__(self, tuning: Tuning | None = None, fault_seed: int = 0) -> None:
        self.defaults = tuning or Tuning()
        self.tuning = replace(self.defaults)
        self.ledger = Ledger()
        self.requests = 0
        self.login_requests = 0  # of ``requests``: those to ``login_paths``
        self.own_seed = fault_seed
        self._faults = random.Random(self.seed())  # nosec B311  # seeded fault injection for tests, not security
        self.faults: Counter[str] = Counter()
        self.outage_connections = 0
        self.pending_writes = 0  # slow writes accepted and not yet applied
        self.background: set[asyncio.Task[Any]] = set()
        # Set by standins.server: takes the whole system down for some seconds.
        self.outage_hook: Callable[[float], Awaitable[None]] | None = None
        self._wake: asyncio.Event | None = None

    # --- tuning and the fault RNG

    def seed(self) -> int:
        seed = self.tuning.fault_seed
        return self.own_seed if seed is None else seed

    def reset(self) -> None:
        """Forget data, sessions, run-time tuning and fault counts; restart the fault RNG.

        The world and id sequences are kept.
        """
        self.ledger.clear()
        self.tuning = replace(self.defaults)
        self._faults.seed(self.seed())
        self.faults.clear()
        self.outage_connections = 0

    def configure(self, settings: dict[str, Any]) -> None:
        """Apply checked settings (:func:`standins.knobs.check_all`)."""
        settings = dict(settings)
        if knobs.MAINTENANCE_S in settings:
            seconds = settings.pop(knobs.MAINTENANCE_S)
            settings["maintenance_until"] = (
                datetime.fromtimestamp(time.time() + seconds, TZ).isoformat() if seconds
                else None)
        self.tuning = replace(self.tuning, **settings)
        if "fault_seed" in settings:
            self._faults.seed(self.seed())

    def config_view(self) -> dict[str, Any]:
        """What ``GET /_test/config`` shows: this system's knobs, the seed in use, and the
        seconds left of a maintenance window (``maintenance_s``)."""
        values = asdict(self.tuning)
        view = {name: values[name] for name in knobs.names_for(self.name)}
        view["fault_seed"] = self.seed()
        view[knobs.MAINTENANCE_S] = round(self.maintenance_left(), 1)
        return view

    def roll(self, rate: float) -> bool:
        """True with probability ``rate``; draws from the fault RNG only when rate > 0."""
        return rate > 0 and self._faults.random() < rate

    def pick(self, options: tuple[str, ...]) -> str:
        return self._faults.choice(options)

    def should_fail(self) -> bool:
        return self.roll(self.tuning.fail_rate)

    def count(self, kind: str, n: int = 1) -> None:
        self.faults[kind] += n

    def maintenance_left(self) -> float:
        """Seconds left of the maintenance window (0 outside one)."""
        until = self.tuning.maintenance_until
        if until is None:
            return 0.0
        return max(0.0, datetime.fromisoformat(until).timestamp() - time.time())

    # --- waiting that an outage or a shutdown cuts short

    async def pause(self, seconds: float) -> None:
        """Sleep, unless :meth:`wake_all` is called first (hangs end at an outage)."""
        if self._wake is None:
            self._wake = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def wake_all(self) -> None:
        if self._wake is not None:
            self._wake.set()
        self._wake = asyncio.Event()

    def on_restart(self) -> None:
        """What a restart forgets (after an outage); the case system drops its sessions."""

    def on_request(self) -> None:
        """Called as each request (not ``/_test``, ``/static``) starts."""

    # --- answers of the fault gate (override to look like the system)

    def unavailable_response(self) -> Response:
        return JSONResponse({"error": "unavailable", "system": self.name}, status_code=503)

    def server_error_response(self) -> Response:
        return JSONResponse({"error": "internal_error", "system": self.name}, status_code=500)

    def maintenance_response(self, retry_after: int) -> Response:
        return JSONResponse({"error": "maintenance", "system": self.name,
                             "until": self.tuning.maintenance_until,
                             "retry_after_s": retry_after}, status_code=503)


def stats_of(state: StandIn) -> dict[str, Any]:
    return {
        "system": state.name, "requests": state.requests, "login_requests": state.login_requests,
        "writes": len(state.ledger.entries),
        "faults": {kind: state.faults[kind] for kind in FAULT_KINDS},
        "outage_connections": state.outage_connections,
        "pending_writes": state.pending_writes,
    }


def install_common(app: FastAPI, state: StandIn) -> None:
    """Add the fault gate and ``/_test/health|stats|ledger|reset|config|outage``."""
    from standins.faults import install_gate

    app.state.standin = state
    install_gate(app, state)

    @app.get("/_test/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "system": state.name, "requests": state.requests}

    @app.get("/_test/stats")
    async def stats() -> dict[str, Any]:
        """Requests served (``/_test`` and ``/static`` not counted), writes recorded, faults
        injected by kind, connection attempts during outages, slow writes not yet applied."""
        return stats_of(state)

    @app.get("/_test/ledger")
    async def ledger() -> list[dict[str, Any]]:
        return state.ledger.entries

    @app.post("/_test/reset")
    async def reset() -> dict[str, Any]:
        state.reset()
        return {"status": "reset", "system": state.name}

    @app.get("/_test/config")
    async def get_config() -> dict[str, Any]:
        return state.config_view()

    @app.post("/_test/config")
    async def set_config(request: Request) -> Response:
        try:
            body = await request.json()
        except ValueError:
            body = None
        try:
            settings = knobs.check_all(state.name, body)
        except knobs.KnobError as exc:
            known = sorted([*knobs.names_for(state.name), knobs.MAINTENANCE_S])
            return JSONResponse({"error": exc.code, "field": exc.field, "detail": exc.message,
                                 "known": known}, 422)
        state.configure(settings)
        return JSONResponse(state.config_view())

    @app.post("/_test/outage")
    async def outage(request: Request) -> Response:
        """Take this system down for ``seconds`` (answered before it goes down)."""
        try:
            body = await request.json()
        except ValueError:
            body = None
        seconds = body.get("seconds") if isinstance(body, dict) else None
        try:
            seconds = knobs.check(knobs.MAINTENANCE_S, seconds)
        except knobs.KnobError:
            return JSONResponse({"error": "invalid_setting", "field": "seconds",
                                 "detail": "must be a number of seconds, 0..86400"}, 422)
        hook = state.outage_hook
        if hook is None:
            return JSONResponse({"error": "outage_unsupported",
                                 "detail": "outages need `standins serve`"}, 409)

        async def start() -> None:  # runs once the answer is sent
            task = asyncio.get_running_loop().create_task(hook(seconds))
            state.background.add(task)
            task.add_done_callback(state.background.discard)

        return JSONResponse({"status": "outage", "system": state.name, "seconds": seconds},
                            background=BackgroundTask(start))
