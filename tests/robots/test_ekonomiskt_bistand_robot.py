"""Acceptance run of the ekonomiskt bistånd robot: output.xml and the case system's ledger."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest
from robot.api import ExecutionResult

from caserobot.db import init_db
from caserobot.intake import intake
from caserobot.queue import WorkQueue
from caserobot.robots import load_manifest, run_robot
from caserobot.runtime import isolated_env

pytestmark = pytest.mark.browser

CASE_TYPE = "ekonomiskt_bistand"


def test_eb_robot_processes_the_queue_and_writes_each_grant_once(
    platform_settings, fresh_standins, tmp_path
):
    generated = fresh_standins.generate(15, seed=4, malformed_share=0.1, type=CASE_TYPE)
    queue = WorkQueue(init_db(platform_settings).sessions)
    asyncio.run(intake(platform_settings, queue, CASE_TYPE))

    result = run_robot(
        load_manifest(CASE_TYPE),
        tmp_path / "out",
        variables={"SEATS": 2},
        env=isolated_env(platform_settings),
    )

    assert result.status == "PASS", tmp_path / "out" / "log.html"
    model = ExecutionResult(str(tmp_path / "out" / "output.xml"))
    task = model.suite.tests[0]
    assert task.name == "Process Ekonomiskt Bistand Applications" and task.status == "PASS"
    items = {i.application_id: i for i in queue.items(case_type=CASE_TYPE)}
    assert sorted(items) == sorted(generated["ids"])
    assert {i.state for i in items.values()} <= {"done", "business_exception"}
    done = {a for a, i in items.items() if i.state == "done"}
    ledger = [e for e in fresh_standins.ledger("case_system") if e.get("arendetyp") == CASE_TYPE]
    decisions = Counter(e["extern_ref"] for e in ledger if e["kind"] == "decision")
    payments = Counter(e["extern_ref"] for e in ledger if e["kind"] == "payment_order")
    assert done and set(decisions) == set(payments) == done
    assert max(decisions.values()) == max(payments.values()) == 1
