"""Run reports: counts by outcome, exceptions by reason, per-case durations.

One :class:`RunReport` built from the registry, rendered two ways: an Excel workbook
(openpyxl) for managers and a terminal summary (rich) for whoever ran the robot.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caserobot import discovery, outcomes
from caserobot.db import utcnow
from caserobot.db.models import DecisionRow, ExceptionItemRow, RunRow, WorkItemRow
from caserobot.excel import table as _table
from caserobot.exceptions import reason_label
from caserobot.rules import kronor

#: What is not a decision: the lines after the decisions' own (:mod:`caserobot.outcomes`).
OTHER_LABELS = {
    "referred": "Till handläggare (regel)",
    "business_exception": "Felaktig ansökan (till handläggare)",
    "abandoned": "Systemfel (till administratör)",
    "pending": "Ej färdigbehandlat",
}


@dataclass
class CaseLine:
    application_id: str
    state: str
    outcome: str
    diarienummer: str
    reasons: list[str]
    attempts: int
    duration_ms: int | None
    amount_paid: int | None = None  # kr, the payment order read back from the case system
    #: The case type's breakdowns (:attr:`CaseTypePackage.report_by`): heading → value.
    dimensions: dict[str, str] = field(default_factory=dict)


@dataclass
class RunReport:
    run_id: int
    robot: str
    started_at: str
    finished_at: str
    cases: list[CaseLine] = field(default_factory=list)
    breakdowns: tuple[str, ...] = ()  # headings of the case type's breakdowns

    def breakdown(self, heading: str) -> list[tuple[str, Counter[str]]]:
        """Each value of a breakdown with its outcomes, most items first."""
        by_value: dict[str, Counter[str]] = {}
        for c in self.cases:
            by_value.setdefault(c.dimensions.get(heading, "–"), Counter())[c.outcome] += 1
        return sorted(by_value.items(), key=lambda kv: (-kv[1].total(), kv[0]))

    def outcome_labels(self) -> dict[str, str]:
        """Report lines: the core's decisions, any other decision of this run, the rest."""
        present = {c.outcome for c in self.cases}
        decisions = {
            code: spec.report_text()
            for code, spec in outcomes.known().items()
            if code in present or spec in outcomes.CORE
        }
        return decisions | OTHER_LABELS

    @property
    def by_outcome(self) -> Counter[str]:
        return Counter(c.outcome for c in self.cases)

    @property
    def exceptions_by_reason(self) -> Counter[str]:
        return Counter(r for c in self.cases for r in c.reasons)

    @property
    def payments(self) -> list[int]:
        return [c.amount_paid for c in self.cases if c.amount_paid is not None]

    @property
    def durations(self) -> list[int]:
        return sorted(c.duration_ms for c in self.cases if c.duration_ms is not None)

    def summary(self) -> dict[str, Any]:
        d = self.durations
        total = len(self.cases)
        automated = sum(n for k, n in self.by_outcome.items() if outcomes.automated(k))
        return {
            "applications": total,
            **{k: self.by_outcome.get(k, 0) for k in self.outcome_labels()},
            "automated": automated,
            "automation_rate": round(automated / total, 3) if total else 0.0,
            "exceptions_by_reason": dict(self.exceptions_by_reason.most_common()),
            "median_ms": int(statistics.median(d)) if d else None,
            "p95_ms": d[min(len(d) - 1, int(0.95 * len(d)))] if d else None,
            "max_ms": d[-1] if d else None,
            "payments": len(self.payments),
            "amount_paid_kr": sum(self.payments),
        }


def build_run_report(sessions: sessionmaker[Session], run_id: int) -> RunReport:
    with sessions() as s:
        run = s.get(RunRow, run_id)
        if run is None:
            raise LookupError(f"körning {run_id} finns inte")
        rows = s.execute(
            select(WorkItemRow, DecisionRow, ExceptionItemRow)
            .outerjoin(DecisionRow, DecisionRow.work_item_id == WorkItemRow.id)
            .outerjoin(ExceptionItemRow, ExceptionItemRow.work_item_id == WorkItemRow.id)
            .where(WorkItemRow.run_id == run_id, WorkItemRow.kind == "application")
            .order_by(WorkItemRow.id)
        ).all()
        report = RunReport(
            run_id=run.id,
            robot=run.robot,
            started_at=_iso(run.started_at),
            # a report made at the end of a run (the flow's last task) is made "now"
            finished_at=_iso(run.finished_at or utcnow()),
        )
        types = {item.case_type for item, _, _ in rows}
        report_by = discovery.report_by(types.pop()) if len(types) == 1 else {}
        report.breakdowns = tuple(report_by)
        for item, decision, exc in rows:
            line = _case_line(item, decision, exc)
            line.dimensions = {h: _at(item.payload, path) for h, path in report_by.items()}
            report.cases.append(line)
    return report


def _at(payload: Any, path: str) -> str:
    """The value at a dotted path of a payload, as text ("–" when there is none)."""
    value = payload
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return "–" if value is None or isinstance(value, dict | list) else str(value)


def breakdown_row(value: str, counts: Counter[str]) -> list[Any]:
    """``value``, items, decided automatically, to a caseworker, bad input, share."""
    total = counts.total()
    decided = sum(n for k, n in counts.items() if outcomes.automated(k))
    return [
        value,
        total,
        decided,
        counts["referred"],
        counts["business_exception"],
        round(decided / total, 3) if total else 0.0,
    ]


BREAKDOWN_COLUMNS = ("Ärenden", "Autom.", "Handläggare", "Felaktiga", "Andel")


def _case_line(
    item: WorkItemRow, decision: DecisionRow | None, exc: ExceptionItemRow | None
) -> CaseLine:
    reasons: list[str] = []
    if decision is not None:
        outcome = decision.outcome
    elif exc is not None:
        reasons = list(exc.reason_codes)
        outcome = "referred" if exc.recommended_outcome else "business_exception"
    elif item.state == "abandoned":
        outcome, reasons = "abandoned", ["application_error"]
    else:
        outcome = "pending"
    return CaseLine(
        amount_paid=_amount_paid(decision),
        application_id=item.application_id,
        state=item.state,
        outcome=outcome,
        diarienummer=(decision.diarienummer or "") if decision else "",
        reasons=reasons,
        attempts=item.attempts,
        duration_ms=item.duration_ms,
    )


def _amount_paid(decision: DecisionRow | None) -> int | None:
    """The payment ordered with a decision, as read back from the case system.

    Case types that pay record the read-back payment order among the
    decision's facts as ``utbetalning``; the others have none.
    """
    if decision is None:
        return None
    return payment_fact_amount((decision.inputs or {}).get("facts", {}).get("utbetalning"))


def payment_fact_amount(fact: Any) -> int | None:
    """The amount (kr) of a decision's ``utbetalning`` fact; None when there is none."""
    amount = fact.get("value", {}).get("belopp") if isinstance(fact, dict) else None
    return int(amount) if amount is not None else None


def _iso(value: Any) -> str:
    return value.isoformat(timespec="seconds") if value is not None else ""


# -- Excel -----------------------------------------------------------------------------


def write_excel(report: RunReport, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "Sammanfattning"
    s = report.summary()
    labels = report.outcome_labels()
    ws.append([f"Körning {report.run_id} av roboten {report.robot}"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"Start {report.started_at}  Slut {report.finished_at}"])
    ws.append([])
    start = ws.max_row + 1
    _table(
        ws,
        ["Utfall", "Antal"],
        [[label, s[k]] for k, label in labels.items()] + [["Summa ansökningar", s["applications"]]],
    )
    ws.freeze_panes = None
    chart = BarChart()
    chart.title, chart.y_axis.title = "Ansökningar per utfall", "Antal"
    chart.add_data(
        Reference(ws, min_col=2, min_row=start, max_row=start + len(labels)),
        titles_from_data=True,
    )
    chart.set_categories(Reference(ws, min_col=1, min_row=start + 1, max_row=start + len(labels)))
    ws.add_chart(chart, "D4")
    ws.append([])
    ws.append(["Andel automatiskt beslutade", s["automation_rate"]])
    ws.cell(ws.max_row, 2).number_format = "0.0%"
    ws.append(["Median per ärende (ms)", s["median_ms"]])
    ws.append(["95:e percentil per ärende (ms)", s["p95_ms"]])
    if s["payments"]:
        ws.append(["Utbetalningar beställda", s["payments"]])
        ws.append(["Utbetalt belopp totalt (kr)", s["amount_paid_kr"]])
        ws.cell(ws.max_row, 2).number_format = "# ##0"
        ws.append(["Medelbelopp per hushåll (kr)", round(s["amount_paid_kr"] / s["payments"])])
        ws.cell(ws.max_row, 2).number_format = "# ##0"

    for heading in report.breakdowns:
        wd = wb.create_sheet(f"Per {heading.lower()}"[:31])
        _table(
            wd,
            [heading, *BREAKDOWN_COLUMNS],
            [breakdown_row(v, n) for v, n in report.breakdown(heading)],
        )
        for row in range(2, wd.max_row + 1):
            wd.cell(row, len(BREAKDOWN_COLUMNS) + 1).number_format = "0.0%"

    wr = wb.create_sheet("Undantag per orsak")
    _table(
        wr,
        ["Orsak", "Orsakskod", "Antal"],
        [[reason_label(k), k, v] for k, v in report.exceptions_by_reason.most_common()],
    )

    wc = wb.create_sheet("Ärenden")
    _table(
        wc,
        [
            "Ansökan",
            "Status",
            "Utfall",
            "Diarienummer",
            "Orsaker",
            "Försök",
            "Tid (ms)",
            "Utbetalt (kr)",
        ],
        [
            [
                c.application_id,
                c.state,
                c.outcome,
                c.diarienummer,
                ", ".join(c.reasons),
                c.attempts,
                c.duration_ms,
                c.amount_paid,
            ]
            for c in report.cases
        ],
    )
    wb.save(path)
    return path


# -- Terminal --------------------------------------------------------------------------


def print_summary(report: RunReport, console: Console | None = None) -> None:
    console = console or Console()
    s = report.summary()
    t = Table(title=f"Körning {report.run_id}: {report.robot}", title_justify="left")
    t.add_column("Utfall")
    t.add_column("Antal", justify="right")
    for key, label in report.outcome_labels().items():
        if s[key]:
            t.add_row(label, str(s[key]))
    t.add_row("[bold]Summa[/bold]", f"[bold]{s['applications']}[/bold]")
    console.print(t)
    if s["exceptions_by_reason"]:
        r = Table(title="Undantag per orsak", title_justify="left")
        r.add_column("Orsak")
        r.add_column("Kod", style="dim")
        r.add_column("Antal", justify="right")
        for reason, n in s["exceptions_by_reason"].items():
            r.add_row(reason_label(reason), reason, str(n))
        console.print(r)
    for heading in report.breakdowns:
        b = Table(title=f"Per {heading.lower()}", title_justify="left")
        b.add_column(heading, no_wrap=True, overflow="ellipsis", max_width=21)
        for column in BREAKDOWN_COLUMNS:
            b.add_column(column, justify="right", no_wrap=True, min_width=len(column))
        for value, counts in report.breakdown(heading):
            row = breakdown_row(value, counts)
            b.add_row(*(str(x) for x in row[:-1]), f"{row[-1]:.0%}")
        console.print(b)
    if s["payments"]:
        console.print(
            f"Utbetalningar beställda: {s['payments']}, totalt {kronor(s['amount_paid_kr'])} "
            f"(i snitt {kronor(round(s['amount_paid_kr'] / s['payments']))} per hushåll)"
        )
    console.print(
        f"Automatiskt beslutade: {s['automation_rate']:.0%}   "
        f"tid per ärende: median {s['median_ms']} ms, p95 {s['p95_ms']} ms, max {s['max_ms']} ms"
    )
