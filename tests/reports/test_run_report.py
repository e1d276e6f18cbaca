"""The run report built from the registry: counts, exceptions by reason, amounts paid, Excel."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from openpyxl import load_workbook
from rich.console import Console

from caserobot import registry
from caserobot.exceptions import ReasonCode, reason_codes, reason_label
from caserobot.queue import WorkQueue
from caserobot.records import DecisionRecord, ExceptionRecord
from caserobot.reports import build_run_report, print_summary, write_excel
from caserobot_ekonomiskt_bistand.reasons import BistandReason
from caserobot_skolskjuts.reasons import SkolskjutsReason

CASE_TYPE = "ekonomiskt_bistand"


def _payment_facts(amount: int) -> dict:
    return {
        "facts": {
            "utbetalning": {
                "value": {"belopp": amount, "månad": "2026-12", "utbetalningsnummer": "U-1"},
                "source": "ärendesystemet",
                "fetched_at": "2026-11-23T10:00:00+00:00",
            }
        }
    }


def _run_with(db, grants: list[int], referrals: list[list[str]]) -> int:  # type: ignore[no-untyped-def]
    registry.register_robot(
        db.sessions,
        name="eb",
        version="1",
        owner="test",
        case_type=CASE_TYPE,
        legacy_systems=[],
        description="",
    )
    run = registry.start_run(db.sessions, "eb", trigger="test")
    queue = WorkQueue(db.sessions)
    n = len(grants) + len(referrals)
    queue.enqueue_many(CASE_TYPE, [(f"A{i}", {}) for i in range(n)], run_id=run.id)
    items = queue.claim(CASE_TYPE, "t", lease_seconds=60, run_id=run.id, limit=n)
    items.sort(key=lambda i: int(i.application_id[1:]))
    for item, amount in zip(items, grants, strict=False):
        queue.complete(
            item.id,
            "t",
            DecisionRecord(
                outcome="granted",
                rule_set="ekonomiskt_bistand/test",
                as_of=date(2026, 12, 1),
                inputs=_payment_facts(amount),
                diarienummer=f"D-{item.id}",
            ),
        )
    for item, reasons in zip(items[len(grants) :], referrals, strict=True):
        queue.business_exception(
            item.id,
            "t",
            ExceptionRecord(
                reason_codes=reasons,
                recommended_outcome="granted",
            ),
        )
    return run.id


def test_amounts_paid_and_exceptions_by_reason(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_id = _run_with(
        db,
        grants=[4200, 11_380, 7000],
        referrals=[
            [BistandReason.FIRST_APPLICATION],
            [BistandReason.RENT_ABOVE_CAP, BistandReason.FIRST_APPLICATION],
        ],
    )
    report = build_run_report(db.sessions, run_id)
    s = report.summary()
    assert (s["applications"], s["granted"], s["referred"]) == (5, 3, 2)
    assert (s["payments"], s["amount_paid_kr"]) == (3, 22_580)
    assert s["automation_rate"] == 0.6
    assert s["exceptions_by_reason"] == {"first_application": 2, "rent_above_cap": 1}

    path = write_excel(report, tmp_path / "r.xlsx")
    wb = load_workbook(path)
    summary = {r[0]: r[1] for r in wb["Sammanfattning"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Utbetalt belopp totalt (kr)"] == 22_580
    assert summary["Utbetalningar beställda"] == 3
    assert summary["Medelbelopp per hushåll (kr)"] == 7527
    reasons = list(wb["Undantag per orsak"].iter_rows(values_only=True))
    assert reasons[0] == ("Orsak", "Orsakskod", "Antal")
    assert reasons[1] == ("Första ansökan", "first_application", 2)
    cases = list(wb["Ärenden"].iter_rows(values_only=True))
    assert cases[0][-1] == "Utbetalt (kr)"
    assert sorted(r[-1] for r in cases[1:] if r[-1] is not None) == [4200, 7000, 11_380]

    console = Console(record=True, width=120)
    print_summary(report, console)
    text = console.export_text()
    assert "Hyran över kommunens tak" in text
    assert "Utbetalningar beställda: 3, totalt 22 580 kr" in text


def test_case_types_without_payments_show_no_amounts(db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    run_id = _run_with(db, grants=[], referrals=[[SkolskjutsReason.TAXI_REQUESTED]])
    report = build_run_report(db.sessions, run_id)
    assert report.summary()["payments"] == 0
    wb = load_workbook(write_excel(report, tmp_path / "r.xlsx"))
    labels = [r[0] for r in wb["Sammanfattning"].iter_rows(values_only=True)]
    assert "Utbetalt belopp totalt (kr)" not in labels


def test_every_reason_code_has_a_swedish_label() -> None:
    """The core's codes and every installed case type's, each with a label of its own."""
    codes = reason_codes()
    assert set(ReasonCode) <= set(codes.values())
    assert {SkolskjutsReason.TAXI_REQUESTED, BistandReason.RENT_ABOVE_CAP} <= set(codes.values())
    labels = {code: reason.label for code, reason in codes.items()}
    assert all(labels.values()) and len(set(labels.values())) == len(labels)
    assert reason_label("rent_above_cap") == "Hyran över kommunens tak"
    assert reason_label("finns_inte") == "finns_inte"  # an old code is shown as it is
