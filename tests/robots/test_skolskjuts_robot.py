"""Acceptance run of the Robot Framework robot: output.xml and the case system's ledger."""

from __future__ import annotations

import pytest
from robot.api import ExecutionResult

from caserobot.db import init_db
from caserobot.queue import WorkQueue
from caserobot.robots import load_manifest, run_robot
from caserobot.runtime import isolated_env
from tests.utils.e2e import AS_OF, assert_nothing_lost_nothing_twice

pytestmark = pytest.mark.browser


def test_robot_processes_the_queue_and_its_log_shows_it(
    platform_settings, fresh_standins, tmp_path
):
    import asyncio

    from caserobot.intake import intake

    generated = fresh_standins.generate(15, seed=9, malformed_share=0.1)
    queue = WorkQueue(init_db(platform_settings).sessions)
    asyncio.run(intake(platform_settings, queue, "skolskjuts"))

    result = run_robot(
        load_manifest("skolskjuts"),
        tmp_path / "out",
        variables={"SEATS": 2, "AS_OF": AS_OF.isoformat()},
        env=isolated_env(platform_settings),
    )

    assert result.status == "PASS", tmp_path / "out" / "log.html"
    assert (tmp_path / "out" / "log.html").exists() and (tmp_path / "out" / "report.html").exists()
    model = ExecutionResult(str(tmp_path / "out" / "output.xml"))
    task = model.suite.tests[0]
    assert task.name == "Process Skolskjuts Applications" and task.status == "PASS"
    messages = [
        m.message for kw in task.body for m in getattr(kw, "body", []) if hasattr(m, "message")
    ]
    assert any(msg.startswith("decided:") for msg in messages)
    assert_nothing_lost_nothing_twice(fresh_standins, queue, generated["ids"])
    # The engine's own figures travel beside output.xml to the run record.
    assert (tmp_path / "out" / "worker-stats.json").exists()
    assert result.stats["seats_opened"] == 2 and "stopped_reason" not in result.stats


def test_robot_fails_clearly_when_the_case_system_is_down(platform_settings, tmp_path, monkeypatch):
    monkeypatch.setenv("CASEROBOT_CASE_SYSTEM__BASE_URL", "http://127.0.0.1:9")
    result = run_robot(
        load_manifest("skolskjuts"),
        tmp_path / "out",
        variables={"SEATS": 1},
        env={
            **isolated_env(platform_settings),
            "CASEROBOT_CASE_SYSTEM__BASE_URL": "http://127.0.0.1:9",
            # A system that is down is waited for (600 s by default) before the run gives up.
            "CASEROBOT_WORK__OUTAGE_WAIT_S": "3",
        },
    )
    assert result.status == "FAIL"
    model = ExecutionResult(str(tmp_path / "out" / "output.xml"))
    message = model.suite.tests[0].message
    assert "ärendesystemet" in message and "Traceback" not in message


def test_robot_log_never_shows_a_personnummer(platform_settings, fresh_standins, tmp_path):
    import asyncio
    import re

    from caserobot.intake import intake

    fresh_standins.generate(4, seed=2, malformed_share=0.0)
    queue = WorkQueue(init_db(platform_settings).sessions)
    asyncio.run(intake(platform_settings, queue, "skolskjuts"))
    result = run_robot(
        load_manifest("skolskjuts"),
        tmp_path / "out",
        variables={"SEATS": 1},
        env={**isolated_env(platform_settings), "ROBOT_SYSLOG_FILE": "NONE"},
    )
    assert result.status == "PASS"
    xml = (tmp_path / "out" / "output.xml").read_text()
    assert "decided:" in xml or "referred:" in xml
    assert not re.search(r"\b(19|20)\d{6}-?\d{4}\b", xml)
