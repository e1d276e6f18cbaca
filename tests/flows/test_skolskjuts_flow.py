"""The skolskjuts flow on Prefect's real runtime: 50 applications end to end."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from prefect.client.orchestration import get_client

from caserobot import registry, robots
from caserobot.db import init_db
from caserobot.queue import WorkQueue
from tests.utils.e2e import assert_nothing_lost_nothing_twice

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_flow_decides_50_applications_none_lost_none_twice(
    prefect_harness, platform_settings, fresh_standins
):
    generated = fresh_standins.generate(50, seed=17, malformed_share=0.06)
    flow = robots.load_flow(robots.load_manifest("skolskjuts"))

    result = flow(seats=4, as_of="2026-08-15")

    db = init_db(platform_settings)
    queue = WorkQueue(db.sessions)
    assert_nothing_lost_nothing_twice(fresh_standins, queue, generated["ids"])
    report = result["report"]
    assert report["applications"] == 50
    assert (
        sum(
            report[k]
            for k in ("granted", "denied", "referred", "business_exception", "abandoned", "pending")
        )
        == 50
    )
    run = registry.get_run(db.sessions, result["run_id"])
    assert run.status == "completed" and run.prefect_flow_run_id
    assert registry.get_robot(db.sessions, "skolskjuts").version == "1.0.0"
    # the e-service saw every application marked received
    received = {
        e["application_id"]
        for e in fresh_standins.ledger("eservice")
        if e["kind"] == "application_received"
    }
    assert received == set(generated["ids"])
    # the seat limit is a Prefect global concurrency limit
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name("legacy-arendesystem")
    assert limit.limit == platform_settings.case_system.seat_limit
    # the Excel report adds up
    wb = load_workbook(report["excel"])
    rows = list(wb["Ärenden"].iter_rows(min_row=2, values_only=True))
    assert len(rows) == 50


def test_flow_a_second_run_writes_nothing_again(prefect_harness, platform_settings, fresh_standins):
    fresh_standins.generate(6, seed=3, malformed_share=0.0)
    flow = robots.load_flow(robots.load_manifest("skolskjuts"))
    flow(seats=2, as_of="2026-08-15")
    before = [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]

    second = flow(seats=2, as_of="2026-08-15")

    after = [e for e in fresh_standins.ledger("case_system") if e["kind"] == "decision"]
    assert after == before
    assert second["report"]["applications"] == 0
