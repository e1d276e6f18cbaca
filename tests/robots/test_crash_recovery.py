"""Kill the robot process mid-run, run it again: every application still exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from caserobot import robots
from caserobot.db import init_db
from caserobot.intake import intake
from caserobot.queue import WorkQueue
from caserobot.robots import load_manifest, run_robot
from caserobot.runtime import isolated_env
from tests.fixtures.platform import apply_standins_env
from tests.utils.e2e import AS_OF, assert_nothing_lost_nothing_twice, decisions_by_application

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_killed_robot_leaves_nothing_lost_and_nothing_written_twice(
    fresh_standins, monkeypatch, tmp_path
):
    monkeypatch.setenv("CASEROBOT_WORK__LEASE_SECONDS", "4")
    # A write the kill interrupted may still land: the next robot reads back this long before
    # it may write again (the settle window; 120 s by default, short here like the lease).
    monkeypatch.setenv("CASEROBOT_CASE_SYSTEM__WRITE_SETTLE_S", "4")
    settings = apply_standins_env(fresh_standins, monkeypatch, tmp_path / "var")
    # seats held by the killed robot's sessions free up when they time out, as in real systems
    fresh_standins.configure("case_system", session_timeout_s=5)
    generated = fresh_standins.generate(30, seed=23, malformed_share=0.05)
    queue = WorkQueue(init_db(settings).sessions)
    asyncio.run(intake(settings, queue, "skolskjuts"))
    manifest = load_manifest("skolskjuts")
    env = {**os.environ, **isolated_env(settings)}
    cmd = [
        sys.executable,
        "-m",
        "robot",
        "--rpa",
        "--outputdir",
        str(tmp_path / "first"),
        "--console",
        "none",
        "--variable",
        "SEATS:4",
        "--variable",
        f"AS_OF:{AS_OF}",
        str(manifest.tasks_path),
    ]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True)
    deadline = time.monotonic() + 120
    while sum(decisions_by_application(fresh_standins).values()) < 5:
        assert proc.poll() is None, "the robot finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the robot and its Chromium, mid-write or not
    proc.wait(10)
    written_at_kill = sum(decisions_by_application(fresh_standins).values())
    assert 5 <= written_at_kill < 30

    time.sleep(4.5)  # leases of the killed robot run out
    result = run_robot(
        manifest,
        tmp_path / "second",
        variables={"SEATS": 4, "AS_OF": AS_OF},
        env=isolated_env(settings),
    )

    assert result.status == "PASS"
    assert_nothing_lost_nothing_twice(fresh_standins, queue, generated["ids"])


KILLER = Path(__file__).parents[1] / "flows" / "project" / "robots"


def test_a_truncated_output_xml_is_a_crashed_attempt_not_an_error(monkeypatch, tmp_path) -> None:
    """The first attempt of the ``killer`` robot is killed mid-run: its output.xml is cut."""
    monkeypatch.setattr(robots, "ROBOTS_DIR", KILLER)
    monkeypatch.setenv("KILLER_MARKER", str(tmp_path / "killed-once"))
    manifest = load_manifest("killer")

    first = run_robot(manifest, tmp_path / "attempt-1", variables={"RUN_ID": 1})
    second = run_robot(manifest, tmp_path / "attempt-2", variables={"RUN_ID": 1})

    assert (tmp_path / "attempt-1" / "output.xml").stat().st_size > 0
    assert first.status == "CRASHED" and first.returncode == -signal.SIGKILL
    assert first.error is not None and "output.xml kan inte läsas" in first.error
    assert (second.status, second.stats) == ("PASS", {"tasks_passed": 2, "tasks_failed": 0})


_STARTER = """
import sys
from pathlib import Path
from caserobot.robots import RobotManifest, run_robot
suite = Path(sys.argv[1])
manifest = RobotManifest(name="sleeper", version="0", owner="t", case_type="x",
                         directory=suite.parent, tasks=suite.name)
run_robot(manifest, Path(sys.argv[2]), variables={})
"""


def test_the_robot_process_dies_with_the_process_that_started_it(tmp_path) -> None:
    """A robot never works on for a run whose owner (the flow's process) was killed."""
    import psutil

    suite = tmp_path / "sleeper.robot"
    suite.write_text("*** Tasks ***\nSleep\n    Sleep    120s\n", encoding="utf-8")
    starter = subprocess.Popen(
        [sys.executable, "-c", _STARTER, str(suite), str(tmp_path / "out")],
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    robot = None
    while robot is None:  # started and past exec (before it, it is a copy of the starter)
        assert time.monotonic() < deadline and starter.poll() is None
        for child in psutil.Process(starter.pid).children():
            if "robot" in child.cmdline():
                robot = child
        time.sleep(0.1)

    starter.kill()  # SIGKILL: no chance to clean up
    starter.wait(10)

    gone, alive = psutil.wait_procs([robot], timeout=10)
    assert robot in gone and not alive


def test_a_killed_flow_process_leaves_its_run_crashed_not_running(
    prefect_harness, platform_settings, fresh_standins
) -> None:
    """``caserobot run`` killed mid-run: the run is "crashed" at once and its robot stops."""
    import psutil

    from caserobot import registry

    fresh_standins.generate(40, seed=29, malformed_share=0.0)
    db = init_db(platform_settings)
    cmd = [sys.executable, "-m", "caserobot.cli.__main__", "run", "skolskjuts", "--seats", "1"]
    cmd += ["--as-of", str(AS_OF)]
    env = {**os.environ, "PREFECT_API_URL": prefect_harness}
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        while sum(decisions_by_application(fresh_standins).values()) < 2:
            assert proc.poll() is None, "the run ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.1)
        [running] = registry.list_runs(db.sessions, robot="skolskjuts")
        assert (running.status, running.pid) == ("running", proc.pid)
        robot = next(
            p for p in psutil.Process(proc.pid).children(recursive=True) if "robot" in p.cmdline()
        )

        os.kill(proc.pid, signal.SIGKILL)  # the flow's process only
        proc.wait(10)

        [crashed] = registry.list_runs(db.sessions, robot="skolskjuts")
        assert crashed.id == running.id and crashed.status == "crashed"
        assert f"processen {proc.pid}" in crashed.stats["crash_reason"]
        _, alive = psutil.wait_procs([robot], timeout=15)
        assert not alive, "the robot worked on for a crashed run"
        written = sum(decisions_by_application(fresh_standins).values())
        time.sleep(2)
        assert sum(decisions_by_application(fresh_standins).values()) == written
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of its process group
