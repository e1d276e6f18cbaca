"""End to end: a real Prefect worker picks up "run now" of a schedule and the run completes."""

from __future__ import annotations

import json
import time
from pathlib import Path
from uuid import UUID

import pytest
from prefect.client.orchestration import get_client

from caserobot import robots, runtime, scheduling
from caserobot.settings import Settings

PROJECT = Path(__file__).parent / "project"


@pytest.fixture
def tiny_robot(monkeypatch: pytest.MonkeyPatch) -> str:
    """The ``tiny`` robot (tests/scheduling/project/robots: a robot that is no case type's,
    its flow a file next to its robot.yaml) beside the installed case types' robots."""
    monkeypatch.setattr(robots, "ROBOTS_DIR", PROJECT / "robots")
    return "tiny"


@pytest.mark.slow
def test_worker_runs_a_run_now_to_completed(scheduling_settings: Settings, tiny_robot: str) -> None:
    created = scheduling.create_schedule(
        tiny_robot, "0 3 1 1 *", actor="admin", parameters={"greeting": "god morgon"}
    )
    assert created.entrypoint == "flow.py:tiny"
    worker = runtime.start_worker(scheduling_settings)
    assert worker is not None
    try:
        assert any(w.status == "ONLINE" for w in scheduling.workers())
        assert runtime.start_worker(scheduling_settings) is None  # one is enough
        flow_run_id = scheduling.run_now(created.name, actor="admin")
        state = _wait_final(flow_run_id, timeout_s=240)
    finally:
        worker.stop()
    assert state == "Completed", (worker.log_path.read_text(errors="replace"))[-3000:]
    seen = json.loads((scheduling_settings.var_dir / "tiny-run.json").read_text())
    assert seen == {
        "greeting": "god morgon",
        "trigger": "run-now",
        "var_dir": str(scheduling_settings.var_dir),
    }
    [last] = scheduling.get_schedule(created.name).last_runs
    assert (last.id, last.state, last.trigger) == (flow_run_id, "Completed", "run-now")


def _wait_final(flow_run_id: str, timeout_s: float) -> str:
    """The flow run's final state name; the timeout only guards against a hang."""
    deadline = time.monotonic() + timeout_s
    with get_client(sync_client=True) as client:
        while True:
            state = client.read_flow_run(UUID(flow_run_id)).state
            if state is not None and state.is_final():
                return state.name
            if time.monotonic() > deadline:
                return f"not final: {state.name if state else None}"
            time.sleep(0.5)
