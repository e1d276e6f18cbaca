"""What the engine logs of each item for log.html, when an item fails: the step that failed,
the error, and the screens the seat last showed (real stand-ins, real headless Chromium)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from caserobot.intake import intake
from caserobot.queue import WorkQueue
from caserobot.worker import RobotWorker
from tests.fixtures.platform import apply_standins_env
from tests.utils.e2e import AS_OF

pytestmark = pytest.mark.browser

PNG = b"\x89PNG\r\n\x1a\n"


def test_a_failed_item_shows_the_step_the_error_and_the_seats_screens(
    fresh_standins, sqlite_db, monkeypatch, tmp_path
) -> None:
    # The route service refuses every call: each item fails at its walking distances,
    # after the case system's screens were read; the robot stops once the outage lasts.
    monkeypatch.setenv("CASEROBOT_WORK__OUTAGE_WAIT_S", "2")
    monkeypatch.setenv("CASEROBOT_WORK__BREAKER_MAX_PROBE_S", "1")
    settings = apply_standins_env(fresh_standins, monkeypatch)
    fresh_standins.generate(4, seed=12, malformed_share=0.0)
    fresh_standins.configure("route", fail_rate=1.0)
    queue = WorkQueue(sqlite_db.sessions)
    asyncio.run(intake(settings, queue, "skolskjuts"))
    logged: list[dict[str, Any]] = []

    worker = RobotWorker(
        settings,
        queue,
        "skolskjuts",
        seats=1,
        as_of=AS_OF,
        journal=logged.append,
        screenshots=tmp_path,
    )
    stats = asyncio.run(worker.run())

    assert stats.decided == 0 and stats.stopped_reason, stats.as_dict()
    failed = [r for r in logged if r["status"] == "FAIL"]
    assert failed, logged
    for record in failed:
        assert record["message"].startswith("Systemfel") and "vägtjänsten" in record["message"]
        assert "kö:application_exception" in record["tags"]
        # The step that failed, inside the step side by side that ran it, says why.
        side = [s for s in record["steps"] if s["name"] == "Side By Side"][-1]
        [measure] = [s for s in side["body"] if s["name"] == "Measure Walking Distances"]
        assert measure["status"] == "FAIL" and side["status"] == "FAIL"
        assert "vägtjänsten" in measure["messages"][-1][2]
        # Steps before it passed, and their facts are there.
        assert record["steps"][0]["status"] == "PASS"
        # The seat's screens: the last screen read, rendered.
        assert record["screenshots"], record
        for name in record["screenshots"]:
            assert name.startswith(f"skarm-{record['item_id']}-")
            assert (tmp_path / name).read_bytes().startswith(PNG)
    assert any(n.endswith("senast-last.png") for r in failed for n in r["screenshots"])
    # No form was in the seat's page (the items failed before writing), and a fast seat
    # holds no page while it only reads: nothing rendered to show beside the screen read.
    assert not any(n.endswith("sida.png") for r in failed for n in r["screenshots"])
