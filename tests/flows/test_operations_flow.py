"""The flow obeys the robot administrator: pause, opening hours; a killed robot is retried."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from prefect import flow
from robot.api import ExecutionResult
from robot.errors import DataError

from caserobot import registry, robots
from caserobot.db import init_db
from caserobot.gate import TIMEZONE
from caserobot.orchestration import run_case_robot
from caserobot.queue import WorkQueue

pytestmark = [pytest.mark.slow]

PROJECT = Path(__file__).parent / "project"


def _skolskjuts_flow():  # type: ignore[no-untyped-def]
    return robots.load_flow(robots.load_manifest("skolskjuts"))


def _register_skolskjuts(db) -> None:  # type: ignore[no-untyped-def]
    manifest = robots.load_manifest("skolskjuts")
    registry.register_robot(
        db.sessions,
        manifest.name,
        manifest.version,
        manifest.owner,
        manifest.case_type,
        manifest.legacy_systems,
    )


def _decisions(standins) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e for e in standins.ledger("case_system") if e["kind"] == "decision"]


def test_a_paused_robot_starts_no_run(prefect_harness, platform_settings, fresh_standins) -> None:
    fresh_standins.generate(6, seed=5, malformed_share=0.0)
    db = init_db(platform_settings)
    _register_skolskjuts(db)
    registry.set_robot_status(db.sessions, "skolskjuts", "paused")

    state = _skolskjuts_flow()(seats=1, as_of="2026-08-15", return_state=True)

    assert state.is_cancelled(), state
    assert state.message == "Roboten skolskjuts är pausad: ingen körning startades"
    assert registry.list_runs(db.sessions, robot="skolskjuts") == []
    assert _decisions(fresh_standins) == []
    received = [e for e in fresh_standins.ledger("eservice") if e["kind"] == "application_received"]
    assert received == []  # not even the intake ran


def test_outside_opening_hours_the_run_processes_nothing_and_says_why(
    prefect_harness, platform_settings, fresh_standins
) -> None:
    generated = fresh_standins.generate(5, seed=7, malformed_share=0.0)
    db = init_db(platform_settings)
    _register_skolskjuts(db)
    queue = WorkQueue(db.sessions)
    queue.enqueue_many("skolskjuts", [(app_id, {}) for app_id in generated["ids"]])
    # open for one minute, twelve hours from now: closed now, whatever the time of day
    opens = datetime.now(TIMEZONE) + timedelta(hours=12)
    hours = f"{opens:%H:%M}-{opens + timedelta(minutes=1):%H:%M}"
    if opens.hour == 23 and opens.minute == 59:
        hours = "23:58-23:59"
    registry.register_legacy_system(
        db.sessions, "arendesystem", "web_ui", "http://x", seat_limit=4, opening_hours=hours
    )

    result = _skolskjuts_flow()(seats=1, as_of="2026-08-15")

    run = registry.get_run(db.sessions, result["run_id"])
    assert run is not None and run.status == "completed"
    assert run.stats["closed_reason"].startswith("ärendesystemet har stängt (öppet ")
    assert run.stats["waiting"] == 5 and run.stats["reopens_at"] is not None
    assert result["report"]["closed_reason"] == run.stats["closed_reason"]
    assert queue.counts("skolskjuts")["new"] == 5  # waiting, not failed
    assert _decisions(fresh_standins) == []


def test_a_robot_killed_mid_run_is_retried_and_the_report_still_works(
    prefect_harness, platform_settings, fresh_standins, monkeypatch, tmp_path
) -> None:
    monkeypatch.setattr(robots, "ROBOTS_DIR", PROJECT / "robots")
    monkeypatch.setenv("KILLER_MARKER", str(tmp_path / "first-attempt-killed"))

    @flow(name="killer")
    def killer() -> dict:
        return run_case_robot("killer")  # type: ignore[return-value]

    result = killer()

    run_dir = platform_settings.var_dir / "runs" / f"run-{result['run_id']}"
    killed = run_dir / "attempt-1" / "output.xml"
    assert killed.stat().st_size > 0
    with pytest.raises(DataError):  # truncated: the kill came mid-write
        ExecutionResult(str(killed))
    assert result["robot"]["output_dir"] == str(run_dir / "attempt-2")
    assert ExecutionResult(str(run_dir / "attempt-2" / "output.xml")).suite.status == "PASS"
    db = init_db(platform_settings)
    run = registry.get_run(db.sessions, result["run_id"])
    assert run is not None and run.status == "completed"
    assert Path(result["report"]["excel"]).exists()
