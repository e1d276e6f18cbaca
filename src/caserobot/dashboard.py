"""The manager's dashboard: period metrics across runs, per robot or for all robots.

:func:`metrics` counts the *applications* (work items of kind ``application``; write-backs of
caseworkers' decisions are not applications) submitted in a period of Swedish calendar days:
how many the robot decided itself, referred by rule, found faulty or failed on; exceptions by
reason; lead time from submission to decision (the robot's decision, or the caseworker's
decision once the robot has written it); SLA breaches; estimated caseworker hours saved; and
amounts paid. :func:`write_excel` writes the same tables and charts as a workbook.

A robot decides one case type, so a robot's applications are its case type's work items
(whichever run claimed them). Aggregation is done in Python over one bounded query, so it is
the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import math
import statistics
from bisect import bisect_right
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from caserobot import discovery, excel
from caserobot.case_types import load_case_types
from caserobot.casework import submitted_at as payload_submitted_at
from caserobot.db import read_session, utcnow
from caserobot.db.models import (
    CaseworkerActionRow,
    DecisionRow,
    ExceptionItemRow,
    RobotRow,
    WorkItemRow,
)
from caserobot.exceptions import InputError, ReasonCode, reason_label
from caserobot.outcomes import CORE
from caserobot.outcomes import automated as is_decision
from caserobot.outcomes import known as known_outcomes
from caserobot.reports import payment_fact_amount

__all__ = [
    "DashboardMetrics",
    "DayCount",
    "LeadTimes",
    "ReasonCount",
    "default_period",
    "period_label",
    "summary_rows",
    "metrics",
    "write_excel",
]

LOCAL_TZ = ZoneInfo("Europe/Stockholm")
#: Longest expected wait between submission and intake. The query reads the items queued
#: from the period's first day until this long after its last (submission times live in the
#: payload, so the period is applied in Python); an application queued later is not counted.
MAX_INTAKE_LAG = timedelta(days=31)
CASEWORKER_DECISIONS = ("accept", "decide")
ALL = "Alla"

Sessions = sessionmaker[Session]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReasonCount(_Model):
    code: str
    label: str
    count: int


class BreakdownRow(_Model):
    value: str
    applications: int
    automated: int
    to_caseworker: int  # referred by rule or bad input
    automation_share: float


class Breakdown(_Model):
    """One of the case type's breakdowns (its package's ``report_by``), e.g. per provider."""

    heading: str
    rows: list[BreakdownRow]


class LeadTimes(_Model):
    """Hours from submission to decision for one robot (or :data:`ALL`); p90 by nearest rank."""

    robot: str
    decided: int
    median_hours: float | None
    p90_hours: float | None


class DayCount(_Model):
    day: date
    applications: int
    automated: int


class DashboardMetrics(_Model):
    robot: str | None
    case_types: list[str]
    start: date
    end: date
    computed_at: datetime
    applications: int
    automated: int
    granted: int
    denied: int
    other_decisions: list[ReasonCount] = Field(
        default_factory=list,
        description="Automated decisions with an outcome a case type declares (code, label)",
    )
    breakdowns: list[Breakdown] = Field(
        default_factory=list,
        description="The case type's breakdowns (one case type selected and its package "
        "declaring report_by)",
    )
    referred: int
    bad_applications: int
    application_errors: int
    caseworker_decided: int
    awaiting_caseworker: int
    still_open: int
    automation_share: float
    exceptions_by_reason: list[ReasonCount]
    lead_times: list[LeadTimes]
    sla_breaches: int
    sla_breaches_decided: int
    sla_breaches_open: int
    hours_saved: float
    payments: int
    amount_paid_kr: int
    per_day: list[DayCount]

    @property
    def total_lead_times(self) -> LeadTimes:
        return self.lead_times[-1]


def default_period(today: date | None = None) -> tuple[date, date]:
    """The last 30 days up to and including today (Swedish time)."""
    today = today or utcnow().astimezone(LOCAL_TZ).date()
    return today - timedelta(days=29), today


def metrics(
    sessions: Sessions,
    *,
    start: date,
    end: date,
    robot: str | None = None,
    case_type: str | None = None,
    now: datetime | None = None,
) -> DashboardMetrics:
    """Metrics of the applications submitted from ``start`` to ``end`` (inclusive, local days).

    Args:
        robot: only this robot's applications (its case type); None for every robot.
        case_type: only this case type (instead of ``robot``).
        now: the time open items are judged overdue against (default: now).

    Raises:
        InputError: the period ends before it starts, or the robot is unknown.
    """
    if end < start:
        raise InputError("to", "perioden slutar innan den börjar")
    now = now or utcnow()
    with read_session(sessions) as session:
        robots = {r.name: r.case_type for r in session.execute(select(RobotRow)).scalars()}
        if robot is not None:
            if robot not in robots:
                raise InputError("robot", f"roboten {robot!r} finns inte")
            case_type = robots[robot]
        # Core rows straight from the connection: no ORM bookkeeping for 25 000 rows
        dims = discovery.report_by(case_type)
        rows = session.connection().execute(_query(start, end, case_type, dims)).all()
    names = _robot_names(robots)
    types = load_case_types()
    first, after = _utc_midnight(start), _utc_midnight(end + timedelta(days=1))

    outcomes: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    leads: dict[str, list[float]] = defaultdict(list)
    day_list = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    midnights = [_utc_midnight(d) for d in day_list]  # the day of a time, by bisection
    days = [[0, 0] for _ in day_list]
    per_dim: dict[str, dict[str, Counter[str]]] = {h: defaultdict(Counter) for h in dims}
    breached_decided = breached_open = by_hand = 0
    hours_saved, payments = 0.0, []
    for row in rows:
        submitted = _submitted(row.submitted_raw, row.created_at)
        if not first <= submitted < after:
            continue
        config = types.get(row.case_type)
        outcome, decided_at, by_caseworker = _outcome(row)
        outcomes[outcome] += 1
        for i, heading in enumerate(dims):
            per_dim[heading][getattr(row, f"dim_{i}") or "–"][outcome] += 1
        by_hand += by_caseworker
        day = days[bisect_right(midnights, submitted) - 1]
        day[0] += 1
        if is_decision(outcome):
            day[1] += 1
            hours_saved += config.manual_minutes / 60 if config else 0.0
            amount = payment_fact_amount(row.payment)
            if amount is not None:
                payments.append(amount)
        if outcome in ("referred", "bad_application"):
            reasons.update(row.reason_codes or [])
        elif outcome == "application_error":
            reasons[ReasonCode.APPLICATION_ERROR.value] += 1
        if decided_at is not None:
            leads[names.get(row.case_type, row.case_type)].append(
                (decided_at - submitted).total_seconds() / 3600
            )
        due = row.due_at or (config.due_at(submitted) if config else None)
        if due is None:
            continue
        if decided_at is not None and decided_at > due:
            breached_decided += 1
        elif decided_at is None and due < now:
            breached_open += 1

    total = sum(outcomes.values())
    automated = sum(n for code, n in outcomes.items() if is_decision(code))
    others = [
        ReasonCount(code=code, label=spec.label, count=outcomes[code])
        for code, spec in known_outcomes().items()
        if spec not in CORE and outcomes[code]
    ]
    every = sorted(h for hours in leads.values() for h in hours)
    selected = [case_type] if case_type else sorted({r.case_type for r in rows})
    return DashboardMetrics(
        robot=robot,
        case_types=selected,
        start=start,
        end=end,
        computed_at=now,
        applications=total,
        automated=automated,
        granted=outcomes["granted"],
        denied=outcomes["denied"],
        other_decisions=others,
        breakdowns=[_breakdown(h, per_dim[h]) for h in dims],
        referred=outcomes["referred"],
        bad_applications=outcomes["bad_application"],
        application_errors=outcomes["application_error"],
        caseworker_decided=by_hand,
        awaiting_caseworker=outcomes["referred"] + outcomes["bad_application"] - by_hand,
        still_open=outcomes["pending"],
        automation_share=round(automated / total, 4) if total else 0.0,
        exceptions_by_reason=[
            ReasonCount(code=code, label=reason_label(code), count=n)
            for code, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        lead_times=[_lead_times(name, sorted(h)) for name, h in sorted(leads.items())]
        + [_lead_times(ALL, every)],
        sla_breaches=breached_decided + breached_open,
        sla_breaches_decided=breached_decided,
        sla_breaches_open=breached_open,
        hours_saved=round(hours_saved, 2),
        payments=len(payments),
        amount_paid_kr=sum(payments),
        per_day=[
            DayCount(day=d, applications=a, automated=n)
            for d, (a, n) in zip(day_list, days, strict=True)
        ],
    )


def _breakdown(heading: str, by_value: dict[str, Counter[str]]) -> Breakdown:
    rows = []
    for value, counts in sorted(by_value.items(), key=lambda kv: (-kv[1].total(), kv[0])):
        total = counts.total()
        automated = sum(n for code, n in counts.items() if is_decision(code))
        rows.append(
            BreakdownRow(
                value=value,
                applications=total,
                automated=automated,
                to_caseworker=counts["referred"] + counts["bad_application"],
                automation_share=round(automated / total, 4) if total else 0.0,
            )
        )
    return Breakdown(heading=heading, rows=rows)


def _query(  # type: ignore[no-untyped-def]
    start: date, end: date, case_type: str | None, dims: dict[str, str] | None = None
):
    written = (
        select(
            CaseworkerActionRow.exception_item_id.label("exception_item_id"),
            func.min(CaseworkerActionRow.written_at).label("written_at"),
        )
        .where(
            CaseworkerActionRow.action.in_(CASEWORKER_DECISIONS),
            CaseworkerActionRow.state == "written",
        )
        .group_by(CaseworkerActionRow.exception_item_id)
        .subquery()
    )
    W, D, E = WorkItemRow, DecisionRow, ExceptionItemRow
    query = (
        select(
            W.case_type,
            W.state,
            W.created_at,
            W.payload["application"]["submitted_at"].as_string().label("submitted_raw"),
            D.outcome,
            func.coalesce(D.written_at, D.created_at).label("decided_at"),
            D.inputs["facts"]["utbetalning"].label("payment"),
            E.id.label("exception_id"),
            E.reason_codes,
            E.recommended_outcome,
            E.due_at,
            written.c.written_at.label("caseworker_written_at"),
            *(
                _at(W.payload, path).label(f"dim_{i}")
                for i, path in enumerate((dims or {}).values())
            ),
        )
        .outerjoin(D, D.work_item_id == W.id)
        .outerjoin(E, E.work_item_id == W.id)
        .outerjoin(written, written.c.exception_item_id == E.id)
        .where(
            W.kind == "application",
            W.created_at >= _utc_midnight(start),
            W.created_at < _utc_midnight(end + timedelta(days=1)) + MAX_INTAKE_LAG,
        )
    )
    return query.where(W.case_type == case_type) if case_type else query


def _at(column: Any, path: str) -> Any:
    """The JSON value at a dotted path of a JSON column, as text."""
    for key in path.split("."):
        column = column[key]
    return column.as_string()


def _outcome(row) -> tuple[str, datetime | None, bool]:  # type: ignore[no-untyped-def]
    """The application's outcome, when it was decided (None: not yet) and whether by hand."""
    if row.outcome is not None:
        return row.outcome, row.decided_at, False
    if row.exception_id is not None:
        kind = "referred" if row.recommended_outcome else "bad_application"
        written = row.caseworker_written_at
        return kind, written, written is not None
    if row.state == "abandoned":
        return "application_error", None, False
    return "pending", None, False


def _lead_times(robot: str, hours: list[float]) -> LeadTimes:
    if not hours:
        return LeadTimes(robot=robot, decided=0, median_hours=None, p90_hours=None)
    p90 = hours[max(math.ceil(0.9 * len(hours)) - 1, 0)]  # nearest rank
    return LeadTimes(
        robot=robot,
        decided=len(hours),
        median_hours=round(statistics.median(hours), 1),
        p90_hours=round(p90, 1),
    )


def _robot_names(robots: dict[str, str]) -> dict[str, str]:
    """Case type → the name(s) of the robot(s) deciding it."""
    names: dict[str, list[str]] = defaultdict(list)
    for name, case_type in sorted(robots.items()):
        names[case_type].append(name)
    return {case_type: ", ".join(n) for case_type, n in names.items()}


def _submitted(raw: str | None, created_at: datetime) -> datetime:
    parsed = payload_submitted_at({"application": {"submitted_at": raw}}) if raw else None
    return parsed or created_at


def _utc_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=LOCAL_TZ).astimezone(UTC)


# -- the tables, shared by the page and the workbook -----------------------------------


def period_label(m: DashboardMetrics) -> str:
    who = f"roboten {m.robot}" if m.robot else "alla robotar"
    return f"{who}, ansökningar inkomna {m.start.isoformat()}–{m.end.isoformat()}"


def summary_rows(m: DashboardMetrics) -> list[tuple[str, int | float, str]]:
    """The key figures as (label, value, kind); kind is ``count``, ``share``, ``hours``, ``kr``."""
    rows: list[tuple[str, int | float, str]] = [
        ("Ansökningar", m.applications, "count"),
        ("Beslutade automatiskt", m.automated, "count"),
        ("  varav beviljade", m.granted, "count"),
        ("  varav avslagna", m.denied, "count"),
        *((f"  varav {o.label.lower()}", o.count, "count") for o in m.other_decisions),
        ("Andel automatiskt beslutade", m.automation_share, "share"),
        ("Till handläggare enligt regel", m.referred, "count"),
        ("Felaktiga ansökningar (till handläggare)", m.bad_applications, "count"),
        ("Systemfel (till administratör)", m.application_errors, "count"),
        ("Ej färdigbehandlade av roboten", m.still_open, "count"),
        ("Beslutade av handläggare", m.caseworker_decided, "count"),
        ("Hos handläggare, beslut ännu inte skrivet", m.awaiting_caseworker, "count"),
        ("SLA-överträdelser", m.sla_breaches, "count"),
        ("  varav beslutade för sent", m.sla_breaches_decided, "count"),
        ("  varav öppna efter förfallodag", m.sla_breaches_open, "count"),
        ("Uppskattat sparade handläggartimmar", m.hours_saved, "hours"),
    ]
    if m.payments:
        rows += [
            ("Utbetalningar beställda", m.payments, "count"),
            ("Utbetalt belopp totalt (kr)", m.amount_paid_kr, "kr"),
        ]
    return rows


def _hours(value: float | None) -> float | str:
    return "–" if value is None else value


def write_excel(m: DashboardMetrics, path: Path) -> Path:
    """The dashboard as a workbook: Sammanfattning, Undantag per orsak, Ledtider, Per dag."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Sammanfattning"
    excel.title(ws, "Översikt", period_label(m), f"Beräknad {m.computed_at:%Y-%m-%d %H:%M} UTC")
    header = excel.table(
        ws, ["Nyckeltal", "Värde"], [[label, value] for label, value, _ in summary_rows(m)]
    )
    formats = {"share": excel.PERCENT_FORMAT, "kr": excel.KRONOR_FORMAT, "hours": "0.0"}
    for offset, (_, _, kind) in enumerate(summary_rows(m), start=1):
        if kind in formats:
            ws.cell(header + offset, 2).number_format = formats[kind]
    ws.freeze_panes = None

    wr = wb.create_sheet("Undantag per orsak")
    reasons = m.exceptions_by_reason
    excel.table(wr, ["Orsak", "Orsakskod", "Antal"], [[r.label, r.code, r.count] for r in reasons])
    if reasons:
        chart = BarChart()
        chart.type, chart.legend = "bar", None
        chart.title, chart.x_axis.title = "Undantag per orsak", "Antal"
        chart.add_data(
            Reference(wr, min_col=3, min_row=1, max_row=len(reasons) + 1), titles_from_data=True
        )
        chart.set_categories(Reference(wr, min_col=1, min_row=2, max_row=len(reasons) + 1))
        chart.height = max(7.5, 0.6 * len(reasons) + 3)
        wr.add_chart(chart, "E2")

    wl = wb.create_sheet("Ledtider")
    excel.table(
        wl,
        ["Robot", "Beslutade", "Median (timmar)", "90:e percentil (timmar)"],
        [[t.robot, t.decided, _hours(t.median_hours), _hours(t.p90_hours)] for t in m.lead_times],
    )

    wd = wb.create_sheet("Per dag")
    excel.table(
        wd,
        ["Dag", "Ansökningar", "Beslutade automatiskt"],
        [[d.day, d.applications, d.automated] for d in m.per_day],
    )
    for row in range(2, len(m.per_day) + 2):
        wd.cell(row, 1).number_format = "yyyy-mm-dd"
    if m.per_day:
        daily = BarChart()
        daily.title, daily.y_axis.title = "Ansökningar per dag", "Antal"
        daily.add_data(
            Reference(wd, min_col=2, max_col=3, min_row=1, max_row=len(m.per_day) + 1),
            titles_from_data=True,
        )
        daily.set_categories(Reference(wd, min_col=1, min_row=2, max_row=len(m.per_day) + 1))
        daily.width = min(40, 8 + 0.5 * len(m.per_day))
        wd.add_chart(daily, "E2")
    wb.save(path)
    return path
