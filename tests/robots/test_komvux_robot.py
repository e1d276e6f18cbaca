"""The Komvux robot through Robot Framework: log.html shows each course choice as a task.

The real robot process (``robots.run_robot``: ``robot`` with the listener that adds the work
items and ``--splitlog``), the stand-ins with the Komvux plugin, headless Chromium, the SQL
queue. Each item's entry is checked against what the queue and the case system hold.
"""

from __future__ import annotations

import asyncio
import re

import pytest
from robot.api import ExecutionResult

from caserobot import discovery, robotlog
from caserobot.db import init_db
from caserobot.intake import intake
from caserobot.queue import WorkQueue
from caserobot.robots import load_manifest, run_robot
from caserobot.runtime import isolated_env
from tests.utils.e2e import AS_OF

pytestmark = pytest.mark.browser

KOMVUX = "komvux"


def test_each_course_choice_is_a_task_with_its_steps_facts_and_outcome(
    platform_settings, fresh_standins, tmp_path
) -> None:
    fresh_standins.generate(12, seed=31, malformed_share=0.1, type=KOMVUX)
    queue = WorkQueue(init_db(platform_settings).sessions)
    asyncio.run(intake(platform_settings, queue, KOMVUX))
    out = tmp_path / "out"

    result = run_robot(
        load_manifest(KOMVUX),
        out,
        variables={"SEATS": 2, "AS_OF": AS_OF.isoformat()},
        env={**isolated_env(platform_settings), "ROBOT_SYSLOG_FILE": "NONE"},
    )

    assert result.status == "PASS", out / "log.html"
    model = ExecutionResult(str(out / "output.xml"))
    [suite] = [s for s in model.suite.suites if s.name == robotlog.SUITE]
    items = {i.id: i for i in queue.items(case_type=KOMVUX, limit=1000)}
    tasks = {int(t.doc.split()[1]): t for t in suite.tests}
    assert set(tasks) == set(items), "one task per work item, no more"
    assert result.stats["items_logged"] == len(items)

    declared = discovery.package(KOMVUX).new_handler().declared
    decisions = {d.application_id: d for d in queue.decisions(case_type=KOMVUX)}
    for item_id, task in tasks.items():
        item = items[item_id]
        if item.state == "done":  # decided and written: every step of the process ran
            assert task.status == "PASS"
            assert task.tags == [f"utfall:{decisions[item.application_id].outcome}"]
            assert [k.name for k in task.body] == [c.name for c in declared.calls]
            assert all(k.status == "PASS" for k in task.body)
            assert decisions[item.application_id].diarienummer in task.message
        else:  # to a caseworker: the rules referred it, or the application was wrong
            assert item.state == "business_exception", (item.state, item.last_error)
            assert task.status == "SKIP" and "handläggare" in task.tags
            steps = [k.name for k in task.body if k.type == "KEYWORD"]
            assert "Write Decision Once And Read Back" not in steps
            assert any(m.level == "SKIP" for m in task.body if m.type == "MESSAGE")
        assert task.elapsed_time.total_seconds() > 0

    # A decided item's facts stand under the steps that collected them, with their source.
    done = next(t for i, t in tasks.items() if items[i].state == "done")
    side = next(k for k in done.body if k.name == "Side By Side")
    person = next(k for k in side.body if k.name == "Look Up Applicant In Population Register")
    assert any("[folkbokföringen (Navet)]" in m.message for m in person.body)
    rules = next(k for k in done.body if k.name == "Apply Rules")
    assert all(m.type == "MESSAGE" for m in rules.body)
    assert any(m.message.startswith("Utfall: ") for m in rules.body)
    assert any("skollagen" in m.message.lower() for m in rules.body)  # legal references

    # log.html in parts that load as they are opened; no personnummer anywhere.
    assert list(out.glob("log-*.js")), "the log is split"
    xml = (out / "output.xml").read_text(encoding="utf-8")
    assert not re.search(r"\b(19|20)\d{6}-?\d{4}\b", xml)
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "utfall:granted" in report or "utfall:denied" in report
