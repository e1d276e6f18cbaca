"""The ekonomiskt bistånd flow on Prefect's real runtime: decisions, payments, the report."""

from __future__ import annotations

from collections import Counter

import pytest
from openpyxl import load_workbook

from caserobot import registry, robots
from caserobot.db import init_db
from caserobot.queue import WorkQueue
from tests.utils.e2e import case_ledger

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CASE_TYPE = "ekonomiskt_bistand"


def _flow():  # type: ignore[no-untyped-def]
    return robots.load_flow(robots.load_manifest(CASE_TYPE))


def _ledger(standins, kind: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return case_ledger(standins, kind, CASE_TYPE)


def test_flow_pays_each_grant_once_and_reports_the_amounts(
    prefect_harness, platform_settings, fresh_standins
):
    generated = fresh_standins.generate(30, seed=23, malformed_share=0.07, type=CASE_TYPE)

    result = _flow()(seats=3)

    db = init_db(platform_settings)
    items = WorkQueue(db.sessions).items(case_type=CASE_TYPE)
    assert sorted(i.application_id for i in items) == sorted(generated["ids"])
    assert {i.state for i in items} <= {"done", "business_exception"}
    payments = _ledger(fresh_standins, "payment_order")
    decisions = _ledger(fresh_standins, "decision")
    assert payments, "the mix should hold some clean grants"
    assert max(Counter(e["extern_ref"] for e in decisions).values()) == 1
    assert max(Counter(e["extern_ref"] for e in payments).values()) == 1

    report = result["report"]
    assert report["applications"] == 30
    assert report["granted"] == report["payments"] == len(payments)
    assert report["amount_paid_kr"] == sum(e["belopp"] for e in payments)
    assert report["referred"] + report["business_exception"] == 30 - report["granted"]
    assert report["exceptions_by_reason"]
    run = registry.get_run(db.sessions, result["run_id"])
    assert run.status == "completed" and run.stats["amount_paid_kr"] == report["amount_paid_kr"]

    wb = load_workbook(report["excel"])
    summary = {r[0]: r[1] for r in wb["Sammanfattning"].iter_rows(values_only=True) if r and r[0]}
    assert summary["Utbetalt belopp totalt (kr)"] == report["amount_paid_kr"]
    reasons = {r[1]: r[2] for r in wb["Undantag per orsak"].iter_rows(min_row=2, values_only=True)}
    assert reasons == report["exceptions_by_reason"]


def test_flow_a_second_run_pays_nothing_again(prefect_harness, platform_settings, fresh_standins):
    fresh_standins.generate(8, seed=5, malformed_share=0.0, type=CASE_TYPE)
    flow = _flow()
    flow(seats=2)
    before = _ledger(fresh_standins, "payment_order") + _ledger(fresh_standins, "decision")

    second = flow(seats=2)

    after = _ledger(fresh_standins, "payment_order") + _ledger(fresh_standins, "decision")
    assert after == before
    assert second["report"]["applications"] == 0
