"""The canary tells Prefect: a layout change is the event ``caserobot.canary.layout-changed``
on Prefect's real server (an automation there can mail the administrator); without a Prefect
API nothing is sent and nothing fails."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from caserobot import canary, registry
from caserobot.intake import intake
from caserobot.queue import WorkQueue
from tests.fixtures.platform import apply_standins_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _changed(standins, db, monkeypatch):  # type: ignore[no-untyped-def]
    settings = apply_standins_env(standins, monkeypatch)
    registry.register_robot(db.sessions, "skolskjuts", "1.0.0", "test", "skolskjuts")
    standins.generate(1, seed=9, malformed_share=0.0)
    asyncio.run(intake(settings, WorkQueue(db.sessions), "skolskjuts"))
    assert asyncio.run(canary.check_robot(settings, db.sessions, "skolskjuts")).ok
    standins.configure("case_system", layout_variant="v2")
    return asyncio.run(canary.check_robot(settings, db.sessions, "skolskjuts"))


def test_a_change_is_an_event_in_prefect(
    prefect_harness, fresh_standins, sqlite_db, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PREFECT_API_URL", prefect_harness)
    result = _changed(fresh_standins, sqlite_db, monkeypatch)
    assert not result.ok and result.event_sent is True
    body = {"filter": {"event": {"name": [canary.EVENT]}}, "limit": 10}
    deadline = time.monotonic() + 30
    events: list[dict] = []  # type: ignore[type-arg]
    while not events and time.monotonic() < deadline:
        answer = httpx.post(f"{prefect_harness}/events/filter", json=body, timeout=10)
        answer.raise_for_status()
        events = answer.json()["events"]
        time.sleep(0.5)
    [event] = events
    assert event["resource"]["prefect.resource.id"] == "caserobot.robot.skolskjuts"
    assert event["payload"]["paused"] is True
    titles = {s["title"] for s in event["payload"]["screens"]}
    assert {"elevsidan", "skollistan"} <= titles  # no case yet: its screens unchecked


def test_without_prefect_the_pause_and_the_audit_are_enough(
    fresh_standins, sqlite_db, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = _changed(fresh_standins, sqlite_db, monkeypatch)
    assert not result.ok and result.paused and result.event_sent is None
