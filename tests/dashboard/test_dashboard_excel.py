"""The dashboard as a workbook: the page's tables and two charts, opened with openpyxl."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook

from caserobot import dashboard
from tests.utils.dashboard import END, NOW, START, arrange


def test_workbook_has_the_tables_and_charts(sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    arrange(sqlite_db.sessions)
    m = dashboard.metrics(sqlite_db.sessions, start=START, end=END, now=NOW)

    wb = load_workbook(dashboard.write_excel(m, tmp_path / "out" / "översikt.xlsx"))

    assert wb.sheetnames == ["Sammanfattning", "Undantag per orsak", "Ledtider", "Per dag"]
    summary = {r[0]: r[1] for r in wb["Sammanfattning"].iter_rows(values_only=True) if r[0]}
    assert "alla robotar" in next(k for k in summary if k.startswith("alla"))
    assert summary["Ansökningar"] == 9
    assert summary["Beslutade automatiskt"] == 4
    assert summary["Andel automatiskt beslutade"] == m.automation_share
    assert summary["SLA-överträdelser"] == 2
    assert summary["Uppskattat sparade handläggartimmar"] == m.hours_saved
    assert summary["Utbetalt belopp totalt (kr)"] == 5400

    reasons = list(wb["Undantag per orsak"].iter_rows(values_only=True))
    assert reasons[0] == ("Orsak", "Orsakskod", "Antal")
    assert ("Läkarintyg bifogat", "medical_certificate", 1) in reasons
    assert len(reasons) == 1 + len(m.exceptions_by_reason)

    leads = list(wb["Ledtider"].iter_rows(values_only=True))
    assert leads[0] == ("Robot", "Beslutade", "Median (timmar)", "90:e percentil (timmar)")
    assert leads[-1] == ("Alla", 5, 24.0, 648.0)

    days = list(wb["Per dag"].iter_rows(values_only=True))
    assert days[0] == ("Dag", "Ansökningar", "Beslutade automatiskt")
    assert days[1][0].date() == date(2026, 8, 1) and days[1][1:] == (1, 1)
    assert len(days) == 11

    [reason_chart] = wb["Undantag per orsak"]._charts
    [day_chart] = wb["Per dag"]._charts
    assert reason_chart.tagname == "barChart" and day_chart.tagname == "barChart"
    assert len(day_chart.series) == 2  # applications and automated, side by side


def test_an_empty_period_still_makes_a_workbook(sqlite_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    m = dashboard.metrics(sqlite_db.sessions, start=START, end=END)
    wb = load_workbook(dashboard.write_excel(m, tmp_path / "tom.xlsx"))
    assert list(wb["Ledtider"].iter_rows(values_only=True))[-1] == ("Alla", 0, "–", "–")
    assert wb["Undantag per orsak"]._charts == []
