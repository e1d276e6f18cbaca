"""The manager's dashboard (``/dashboard``), its Excel export and JSON (``/api/dashboard``).

Thin: the figures are :func:`caserobot.dashboard.metrics`; the workbook is
:func:`caserobot.dashboard.write_excel`; the charts' geometry is :mod:`caserobot.web.charts`.
Managers and administrators see it. The period is Swedish calendar days, by default the
last 30 days; ``robot`` empty means every robot.
"""

from __future__ import annotations

import re
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from caserobot import dashboard, registry
from caserobot.dashboard import DashboardMetrics
from caserobot.db import Database
from caserobot.exceptions import InputError
from caserobot.web import charts
from caserobot.web.deps import get_db, log_access, render, require_roles

ROLES = ("manager", "admin")
MAX_DAYS = 366
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

router = APIRouter(
    prefix="/dashboard", include_in_schema=False, dependencies=[Depends(require_roles(*ROLES))]
)
api_router = APIRouter(
    prefix="/api/dashboard", tags=["dashboard"], dependencies=[Depends(require_roles(*ROLES))]
)
Db = Annotated[Database, Depends(get_db)]
Robot = Annotated[str, Query(description="Robotens namn; tomt för alla robotar")]
From = Annotated[str, Query(alias="from", description="Första dagen, ÅÅÅÅ-MM-DD")]
To = Annotated[str, Query(alias="to", description="Sista dagen, ÅÅÅÅ-MM-DD")]


def _day(field: str, raw: str, default: date) -> date:
    if not raw.strip():
        return default
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InputError(field, f"{raw!r} är inget datum; skriv ÅÅÅÅ-MM-DD") from None


def _metrics(db: Database, robot: str, start_raw: str, end_raw: str) -> DashboardMetrics:
    default_start, default_end = dashboard.default_period()
    start = _day("from", start_raw, default_start)
    end = _day("to", end_raw, default_end)
    if (end - start).days >= MAX_DAYS:
        raise InputError("to", f"perioden får vara högst {MAX_DAYS} dagar")
    return dashboard.metrics(db.sessions, robot=robot.strip() or None, start=start, end=end)


def _log(request: Request, action: str, m: DashboardMetrics) -> None:
    period = f"{m.start.isoformat()}..{m.end.isoformat()}"
    log_access(request, action, f"dashboard:{m.robot or 'alla'}:{period}")


def _charts(m: DashboardMetrics) -> dict[str, object]:
    return {
        "reason_chart": charts.bars([(r.label, r.count) for r in m.exceptions_by_reason]),
        "reason_desc": "; ".join(f"{r.label}: {r.count}" for r in m.exceptions_by_reason),
        "day_chart": charts.columns(
            [(d.day.strftime("%d/%m"), (d.applications, d.automated)) for d in m.per_day],
            ("Ansökningar", "Beslutade automatiskt"),
        ),
    }


@router.get("")
def dashboard_page(
    request: Request, db: Db, robot: Robot = "", start: From = "", end: To = ""
) -> Response:
    robots = registry.list_robots(db.sessions)
    form = {"robot": robot, "from": start, "to": end}
    try:
        m = _metrics(db, robot, start, end)
    except InputError as exc:
        context = {"robots": robots, "form": form, "error": exc, "m": None}
        return render(request, "dashboard/dashboard.html", context, 400)
    _log(request, "dashboard.view", m)
    context = {
        "robots": robots,
        "form": {"robot": m.robot or "", "from": m.start.isoformat(), "to": m.end.isoformat()},
        "m": m,
        "summary": dashboard.summary_rows(m),
        "period": dashboard.period_label(m),
        "export_query": request.url.query,
        **_charts(m),
    }
    return render(request, "dashboard/dashboard.html", context)


@router.get("/export.xlsx")
def export(
    request: Request, db: Db, robot: Robot = "", start: From = "", end: To = ""
) -> Response:
    m = _metrics(db, robot, start, end)
    _log(request, "dashboard.export", m)
    who = re.sub(r"[^A-Za-z0-9_-]", "_", m.robot or "alla")
    name = f"oversikt-{who}-{m.start.isoformat()}-{m.end.isoformat()}.xlsx"
    with tempfile.TemporaryDirectory(prefix="caserobot-dashboard-") as tmp:
        content = dashboard.write_excel(m, Path(tmp) / "dashboard.xlsx").read_bytes()
    return Response(
        content, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@api_router.get("", response_model=DashboardMetrics)
def dashboard_api(
    request: Request, db: Db, robot: Robot = "", start: From = "", end: To = ""
) -> DashboardMetrics:
    """The dashboard's figures for a robot (or all) and a period (default: the last 30 days)."""
    m = _metrics(db, robot, start, end)
    _log(request, "dashboard.view", m)
    return m
