"""Kill the robot process mid-run, run it again: every application still exactly once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

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
