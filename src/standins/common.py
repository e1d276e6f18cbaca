"""What every stand-in shares: the write ledger, latency and faults, the ``/_test`` routes."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

try:
    from zoneinfo import ZoneInfo

    TZ: Any = ZoneInfo("Europe/Stockholm")
except Exception:  # pragma: no cover - no tz database on the machine
    TZ = None


def now() -> datetime:
    return datetime.now(TZ).replace(microsecond=0) if TZ else datetime.now().astimezone()


@dataclass
class Tuning:
    """Run-time knobs of one stand-in; ``POST /_test/config`` changes them."""

    latency_ms: float = 0.0
    fail_rate: float = 0.0
    seats: int = 4  # case system only
    session_timeout_s: float = 600.0  # case system only


class Ledger:
    """Every write a stand-in received, in order. ``seq`` never restarts within a process."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._seq = 0

    def record(self, kind: str, **data: Any) -> dict[str, Any]:
        self._seq += 1
        entry = {"seq": self._seq, "at": now().isoformat(), "kind": kind, **data}
        self.entries.append(entry)
        return entry

    def clear(self) -> None:
        self.entries.clear()


class StandIn:
    """Base state of a stand-in app: name, tuning (with start-up defaults) and ledger."""

    name = "standin"

    def __init__(self, tuning: Tuning | None = None, fault_seed: int = 0) -> None:
        self.defaults = tuning or Tuning()
        self.tuning = replace(self.defaults)
        self.ledger = Ledger()
        self.requests = 0
        self._faults = random.Random(fault_seed)

    def reset(self) -> None:
        """Forget data, sessions and run-time tuning; keep the world and id sequences."""
        self.ledger.clear()
        self.tuning = replace(self.defaults)

    def should_fail(self) -> bool:
        return self.tuning.fail_rate > 0 and self._faults.random() < self.tuning.fail_rate


def install_common(
    app: FastAPI,
    state: StandIn,
    unavailable: Callable[[], Response] | None = None,
) -> None:
    """Add the latency/fault middleware and ``/_test/health|ledger|reset|config``."""
    app.state.standin = state

    @app.middleware("http")
    async def latency_and_faults(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        path = request.url.path
        if path.startswith("/_test/") or path.startswith("/static/"):
            return await call_next(request)
        state.requests += 1
        if state.tuning.latency_ms > 0:
            await asyncio.sleep(state.tuning.latency_ms / 1000)
        if state.should_fail():
            if unavailable is not None:
                return unavailable()
            return JSONResponse({"error": "unavailable", "system": state.name}, status_code=503)
        return await call_next(request)

    @app.get("/_test/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "system": state.name, "requests": state.requests}

    @app.get("/_test/stats")
    async def stats() -> dict[str, Any]:
        """Requests served (``/_test`` and ``/static`` not counted) and writes recorded."""
        return {"system": state.name, "requests": state.requests,
                "writes": len(state.ledger.entries)}

    @app.get("/_test/ledger")
    async def ledger() -> list[dict[str, Any]]:
        return state.ledger.entries

    @app.post("/_test/reset")
    async def reset() -> dict[str, Any]:
        state.reset()
        return {"status": "reset", "system": state.name}

    @app.get("/_test/config")
    async def get_config() -> dict[str, Any]:
        return asdict(state.tuning)

    @app.post("/_test/config")
    async def set_config(request: Request) -> Response:
        body = await request.json()
        known = {f.name for f in fields(Tuning)}
        if not isinstance(body, dict) or not set(body) <= known:
            return JSONResponse({"error": "unknown_setting", "known": sorted(known)}, 422)
        state.tuning = replace(state.tuning, **body)
        return JSONResponse(asdict(state.tuning))
