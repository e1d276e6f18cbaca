"""A small chaos run over the real path: nothing lost, nothing written twice or wrongly.

``benchmarks/chaos.py`` as a user runs it: its own stand-ins, Prefect server and worker, the
skolskjuts robot as Robot Framework under a flow run, 5xx, hangs, slow saves and lost answers
on every stand-in, the robot's process tree killed once mid-run and the case system down for
a few seconds. Its last line is the JSON this test checks.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHAOS = Path(__file__).resolve().parents[2] / "benchmarks" / "chaos.py"


def test_a_small_chaos_run_loses_nothing_and_writes_nothing_twice_or_wrongly(tmp_path):
    args = ["--cases", "10", "--case-type", "skolskjuts", "--error-rate", "0.1",
            "--hang-rate", "0.02", "--slow-write-rate", "0.1", "--lost-answer-rate", "0.1",
            "--kill-robot", "1", "--kill-worker", "0", "--outage-s", "6", "--seed", "5",
            "--time-limit-s", "420"]
    done = subprocess.run(
        [sys.executable, str(CHAOS), *args], capture_output=True, text=True, timeout=560,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])

    explain = json.dumps(result, indent=1) + done.stderr[-3000:]
    assert result["cases"] == 10
    assert (result["lost"], result["duplicates"], result["wrong_writes"]) == (0, 0, 0), explain
    assert result["terminal"] is True, explain
    # The faults really happened: the run was not a quiet one.
    assert result["robot_kills"] == 1, explain
    assert result["outage_started_s"] is not None and result["calls_during_outage"] >= 0
    assert sum(result["faults"].values()) > 0, explain
    assert result["items_by_state"].get("done", 0) > 0, explain
