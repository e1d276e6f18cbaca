"""Income register stand-in (SSBTEK-like): what agencies and employers paid, per person and month.

``GET /ssbtek/v1/personer/{pnr}/utbetalningar?from=YYYY-MM&to=YYYY-MM`` answers with every
payment to one person from Försäkringskassan, CSN, the A-kassa, Pensionsmyndigheten and, from
employers' monthly declarations to Skatteverket, salaries. ``POST /ssbtek/v1/utbetalningar``
asks for several people at once. Data exist for 2025-01 … 2026-12; the register agrees with
the generated ekonomiskt bistånd applications except where a household was built to differ.
The register is read-only, so its ledger stays empty.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from standins import pnr
from standins.common import StandIn, Tuning, install_common, now
from standins.social import FIRST_DATA_MONTH, LAST_DATA_MONTH, build_social, month_index
from standins.world import World

MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_MONTHS = 24
MAX_PEOPLE = 20


class IncomeRegister(StandIn):
    name = "income"

    def __init__(self, world: World, tuning: Tuning | None = None) -> None:
        super().__init__(tuning, fault_seed=world.seed + 5)
        self.world = world
        self.social = build_social(world)


def _error(code: str, status: int, **detail: Any) -> JSONResponse:
    return JSONResponse({"error": code, **detail}, status_code=status)


def _period(first: Any, last: Any) -> tuple[str, str] | JSONResponse:
    if not isinstance(first, str) or not MONTH_RE.match(first):
        return _error("invalid_month", 422, field="from", value=first)
    last = first if last is None else last
    if not isinstance(last, str) or not MONTH_RE.match(last):
        return _error("invalid_month", 422, field="to", value=last)
    span = month_index(last) - month_index(first) + 1
    if not 1 <= span <= MAX_MONTHS:
        return _error("invalid_period", 422, detail=f"from <= to, at most {MAX_MONTHS} months")
    return first, last


def _valid(number: str) -> str | None:
    digits = pnr.normalize(number)
    if len(digits) != 12 or not (pnr.is_valid(digits) or pnr.is_samordningsnummer(digits)):
        return None
    return digits


def create_app(world: World, tuning: Tuning | None = None) -> FastAPI:
    state = IncomeRegister(world, tuning)
    app = FastAPI(title="Income register (SSBTEK) stand-in", docs_url=None, redoc_url=None)
    install_common(app, state)

    def answer(digits: str, first: str, last: str) -> dict[str, Any]:
        return {"personnummer": digits, "from": first, "to": last,
                "payments": state.social.payments(digits, first, last)}

    @app.get("/ssbtek/v1/personer/{number}/utbetalningar")
    async def person_payments(request: Request, number: str) -> Any:
        digits = _valid(number)
        if digits is None:
            return _error("invalid_personnummer", 400, personnummer=number)
        period = _period(request.query_params.get("from"), request.query_params.get("to"))
        if isinstance(period, JSONResponse):
            return period
        return {**answer(digits, *period), "fetched_at": now().isoformat()}

    @app.post("/ssbtek/v1/utbetalningar")
    async def many_payments(request: Request) -> Any:
        try:
            body = await request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return _error("invalid_json", 422)
        numbers = body.get("personnummer")
        if (not isinstance(numbers, list) or not 1 <= len(numbers) <= MAX_PEOPLE
                or not all(isinstance(n, str) for n in numbers)):
            return _error("invalid_personnummer_list", 422, detail=f"1..{MAX_PEOPLE} strings")
        period = _period(body.get("from"), body.get("to"))
        if isinstance(period, JSONResponse):
            return period
        digits = [_valid(n) for n in numbers]
        bad = [n for n, d in zip(numbers, digits, strict=True) if d is None]
        if bad:
            return _error("invalid_personnummer", 400, personnummer=bad[0])
        return {"from": period[0], "to": period[1], "fetched_at": now().isoformat(),
                "persons": [answer(d, *period) for d in digits if d]}

    @app.get("/ssbtek/v1/period")
    async def data_period() -> dict[str, str]:
        return {"first_month": FIRST_DATA_MONTH, "last_month": LAST_DATA_MONTH}

    return app
