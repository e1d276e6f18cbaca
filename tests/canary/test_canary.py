"""The UI-drift canary end to end: real stand-ins over HTTP, headless Chromium, SQLite.

A robot's first runs record the layout of every screen it uses; when the case system
switches to layout v2, the next run writes nothing (the case system's own ledger), pauses the
robot, audits what changed and leaves every item waiting. An administrator accepts the new
layout only once the page objects read it; the robot then runs again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime

import pytest

from caserobot import audit, canary, registry
from caserobot.queue import WorkQueue
from tests.fixtures.platform import apply_standins_env
from tests.utils.e2e import run_engine

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EB = "ekonomiskt_bistand"
WRITES = ("case_created", "decision", "payment_order")


def _register(db, case_type: str) -> str:  # type: ignore[no-untyped-def]
    registry.register_robot(db.sessions, case_type, "1.0.0", "test", case_type, ["arendesystem"])
    return case_type


def _writes(standins) -> list[dict]:  # type: ignore[no-untyped-def,type-arg]
    return [e for e in standins.ledger("case_system") if e["kind"] in WRITES]


def _generate(standins, case_type: str, count: int, seed: int) -> list[str]:  # type: ignore[no-untyped-def]
    kind = None if case_type == "skolskjuts" else case_type
    return list(standins.generate(count, seed=seed, malformed_share=0.0, type=kind)["ids"])


def _cli(settings, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env["CASEROBOT_DATABASE__URL"] = settings.database.url
    return subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "caserobot.cli", "canary", *args],
        capture_output=True, text=True, env=env, timeout=180, check=False,
    )


@pytest.mark.parametrize("case_type", ["skolskjuts", EB])
def test_a_changed_layout_pauses_the_robot_before_any_write(
    case_type, fresh_standins, sqlite_db, monkeypatch
):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("CASEROBOT_DATABASE__URL", sqlite_db.url)
    settings = apply_standins_env(fresh_standins, monkeypatch)
    robot = _register(sqlite_db, case_type)
    queue = WorkQueue(sqlite_db.sessions)
    screens = canary.screen_set(case_type).screens

    # The default layout: passes, and is recorded (a case's screens once the robot has one).
    _generate(fresh_standins, case_type, 3, seed=5)
    first = run_engine(settings, queue, case_type=case_type)
    assert first.stopped_reason is None and first.processed == 3
    _generate(fresh_standins, case_type, 2, seed=6)
    second = run_engine(settings, queue, case_type=case_type)
    assert second.stopped_reason is None and second.processed == 2
    state = canary.state(sqlite_db.sessions, robot)
    assert state is not None and state.status == "ok"
    assert state.screens_accepted == len(screens), "every screen's layout is recorded"
    baselines = audit.entries(sqlite_db.sessions, action_prefix="canary.baseline")
    assert baselines and {e.actor for e in baselines} == {"canary"}

    # Layout v2: the next run writes nothing, pauses the robot, and says what changed.
    waiting = _generate(fresh_standins, case_type, 6, seed=7)
    fresh_standins.configure("case_system", layout_variant="v2")
    writes_before = len(_writes(fresh_standins))
    stats = run_engine(settings, queue, case_type=case_type)

    assert len(_writes(fresh_standins)) == writes_before, "nothing written on a changed layout"
    assert stats.processed == 0
    assert stats.stopped_reason and stats.stopped_reason.startswith(
        "Ärendesystemets skärmar har ändrats"
    )
    assert registry.get_robot(sqlite_db.sessions, robot).status == "paused"
    items = {i.application_id: i for i in queue.items(case_type=case_type)}
    assert {(items[a].state, items[a].attempts) for a in waiting} == {("new", 0)}
    [entry] = audit.entries(sqlite_db.sessions, action_prefix="canary.layout_changed")
    assert entry.actor == "canary" and entry.target == f"robot:{robot}"
    assert entry.before == {"status": "active"} and entry.after["status"] == "paused"
    assert set(entry.after["screens"]) == {s.title for s in screens}, "every screen changed"
    decision_form = next(s for s in screens if s.name == "beslut")
    assert any("nytt obligatoriskt fält 'delgivning'" in f
               for f in entry.after["screens"][decision_form.title])

    # Accepting is refused while the page objects cannot read the new screens.
    with pytest.raises(canary.CanaryError, match="Sidobjekten läser ännu inte"):
        canary.accept(sqlite_db.sessions, robot, canary.screen_set(case_type), actor="admin")
    assert registry.get_robot(sqlite_db.sessions, robot).status == "paused"

    # "Fixed": the page objects and the screens agree again (here: the system back on v1).
    # A check from the shell, then the administrator accepts; the robot runs again.
    fresh_standins.configure("case_system", layout_variant="v1")
    checked = _cli(settings, "check", robot)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert registry.get_robot(sqlite_db.sessions, robot).status == "paused", "until accepted"
    accepted = _cli(settings, "accept", robot)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    assert "återupptagen" in accepted.stdout
    assert registry.get_robot(sqlite_db.sessions, robot).status == "active"
    [entry] = audit.entries(sqlite_db.sessions, action_prefix="canary.accept")
    assert entry.actor.startswith("cli:") and entry.after["status"] == "active"

    again = run_engine(settings, queue, case_type=case_type)
    assert again.stopped_reason is None and again.processed == len(waiting)
    items = {i.application_id: i for i in queue.items(case_type=case_type)}
    assert {items[a].state for a in waiting} <= {"done", "business_exception"}
    assert len(_writes(fresh_standins)) > writes_before, "the robot writes again"


def test_a_layout_change_mid_run_stops_the_writes(fresh_standins, sqlite_db, monkeypatch):  # type: ignore[no-untyped-def]
    """The case system switches to v2 while the robot works: the first unexpected screen
    makes the canary check again; the robot pauses and writes nothing more, beyond the one
    write a seat may have read its screen for before the switch. Prints how many writes
    landed after the switch."""
    settings = apply_standins_env(fresh_standins, monkeypatch)
    robot = _register(sqlite_db, "skolskjuts")
    queue = WorkQueue(sqlite_db.sessions)
    submitted = _generate(fresh_standins, "skolskjuts", 40, seed=11)
    fresh_standins.configure("case_system", latency_ms=40)
    result: dict[str, object] = {}
    worker = threading.Thread(target=lambda: result.update(stats=run_engine(settings, queue)))
    worker.start()
    deadline = time.monotonic() + 120
    while sum(e["kind"] == "decision" for e in fresh_standins.ledger("case_system")) < 4:
        assert time.monotonic() < deadline and worker.is_alive()
        time.sleep(0.05)
    fresh_standins.configure("case_system", layout_variant="v2")
    switched_at = datetime.now(UTC)
    seq = max(e["seq"] for e in fresh_standins.ledger("case_system"))
    worker.join(180)
    assert not worker.is_alive()
    stats = result["stats"]

    after = Counter(e["kind"] for e in fresh_standins.ledger("case_system") if e["seq"] > seq)
    items = queue.items(case_type="skolskjuts", limit=1000)
    late = Counter(i.state for i in items if i.finished_at and i.finished_at > switched_at)
    untouched = sum(i.state == "new" and i.attempts == 0 for i in items)
    print(f"\nmid-run switch: writes after it {dict(after)}; items finished after it "
          f"{dict(late)}; states {dict(Counter(i.state for i in items))}; never claimed "
          f"{untouched} of {len(submitted)}; "
          f"stopped: {stats.stopped_reason!r:.60}")  # type: ignore[attr-defined]
    # A seat that read its form before the switch may still send that one write: the change
    # cannot show before the next screen is read. Beyond that, nothing is written.
    assert after["decision"] + after["case_created"] <= stats.seats_opened, after  # type: ignore[attr-defined]
    assert late["business_exception"] == 0, "no wrong referral from a changed screen"
    before = {e["extern_ref"] for e in fresh_standins.ledger("case_system")
              if e["kind"] == "decision" and e["seq"] <= seq}
    done_late = {i.application_id for i in items
                 if i.state == "done" and i.finished_at and i.finished_at > switched_at}
    written_after = {e["extern_ref"] for e in fresh_standins.ledger("case_system")
                     if e["kind"] == "decision" and e["seq"] > seq}
    assert done_late <= before | written_after, "done only with its decision in the system"
    assert registry.get_robot(sqlite_db.sessions, robot).status == "paused"
    assert stats.stopped_reason and "skärmar har ändrats" in stats.stopped_reason  # type: ignore[attr-defined]
    assert untouched > 0, "the robot stopped claiming"
    assert {i.state for i in items} <= {"done", "business_exception", "new",
                                        "application_exception"}
    caught = [i for i in items if i.state == "application_exception"]
    assert all(i.attempts == 0 and "skärmar har ändrats" in (i.last_error or "")
               for i in caught), "items caught in the change wait without using an attempt"
    [entry] = audit.entries(sqlite_db.sessions, action_prefix="canary.layout_changed")
    assert "elevsidan" in entry.after["screens"]


def test_overhead_of_a_check(fresh_standins, sqlite_db, monkeypatch):  # type: ignore[no-untyped-def]
    """What one check costs before a batch (printed; bounded loosely)."""
    settings = apply_standins_env(fresh_standins, monkeypatch)
    import asyncio

    from caserobot.legacy import browser as chromium
    from caserobot.legacy.casesystem import CaseSystemSession

    for case_type in ("skolskjuts", EB):
        robot = _register(sqlite_db, case_type)
        queue = WorkQueue(sqlite_db.sessions)
        _generate(fresh_standins, case_type, 2, seed=21)
        run_engine(settings, queue, case_type=case_type)

        async def checks(case_type: str = case_type, robot: str = robot) -> list[float]:
            pw, browser = await chromium.launch(settings.browser)
            try:
                async with CaseSystemSession(browser, settings.case_system) as session:
                    out = []
                    await canary.check(  # records the case's screens, first seen now
                        session, canary.screen_set(case_type), sqlite_db.sessions, robot
                    )
                    for _ in range(5):
                        started = time.perf_counter()
                        r = await canary.check(
                            session, canary.screen_set(case_type), sqlite_db.sessions, robot
                        )
                        assert r.ok and {s.status for s in r.screens} == {"ok"}
                        out.append((time.perf_counter() - started) * 1000)
                    return out
            finally:
                await chromium.shutdown(pw, browser)

        times = sorted(asyncio.run(checks()))
        print(f"\ncanary check {case_type}: {len(canary.screen_set(case_type).screens)} "
              f"screens, median {times[2]:.0f} ms (min {times[0]:.0f}, max {times[-1]:.0f})")
        assert times[2] < 2000


def test_a_first_run_on_a_changed_layout_writes_nothing(fresh_standins, sqlite_db, monkeypatch):  # type: ignore[no-untyped-def]
    """No layout accepted yet (a new robot, or benchmarks/chaos.py --layout-change): what the
    page objects rely on is missing, so the very first run pauses before any write."""
    settings = apply_standins_env(fresh_standins, monkeypatch)
    robot = _register(sqlite_db, EB)
    waiting = _generate(fresh_standins, EB, 4, seed=13)
    fresh_standins.configure("case_system", layout_variant="v2")
    stats = run_engine(settings, WorkQueue(sqlite_db.sessions), case_type=EB)
    assert _writes(fresh_standins) == [] and stats.processed == 0
    assert registry.get_robot(sqlite_db.sessions, robot).status == "paused"
    items = WorkQueue(sqlite_db.sessions).items(case_type=EB)
    assert sorted(i.application_id for i in items if i.state == "new") == sorted(waiting)
    state = canary.state(sqlite_db.sessions, robot)
    assert state is not None and state.status == "changed" and state.screens_accepted == 0
    assert "hushållssidan" in {c["title"] for c in state.changes}


def test_two_first_checks_at_once_record_the_layout_once(fresh_standins, sqlite_db, monkeypatch):  # type: ignore[no-untyped-def]
    """Two runs of a robot starting together (two workers) both find no accepted layout; the
    one that records second meets the first's rows (a unique-key conflict on PostgreSQL),
    compares with them and records nothing twice."""
    import asyncio

    from sqlalchemy import func, select
    from sqlalchemy.exc import IntegrityError

    from caserobot.canary import _check
    from caserobot.db.models import CanaryScreenRow
    from caserobot.legacy import browser as chromium
    from caserobot.legacy.casesystem import CaseSystemSession

    settings = apply_standins_env(fresh_standins, monkeypatch)
    robot = _register(sqlite_db, "skolskjuts")
    _generate(fresh_standins, "skolskjuts", 2, seed=21)
    run_engine(settings, WorkQueue(sqlite_db.sessions))
    with sqlite_db.sessions() as s:  # the engine's own check recorded them: start afresh
        s.query(CanaryScreenRow).delete()
        s.commit()
    real, calls = _check._record, []

    def other_run_first(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            real(*args)  # the other run records the first layouts a moment earlier ...
            raise IntegrityError("INSERT INTO canary_screens", {}, Exception("duplicate key"))
        return real(*args)

    monkeypatch.setattr(_check, "_record", other_run_first)

    async def first_check() -> canary.CanaryResult:
        pw, browser = await chromium.launch(settings.browser)
        try:
            async with CaseSystemSession(browser, settings.case_system) as session:
                screens = canary.screen_set("skolskjuts")
                return await canary.check(session, screens, sqlite_db.sessions, robot)
        finally:
            await chromium.shutdown(pw, browser)

    result = asyncio.run(first_check())
    assert len(calls) == 2 and result.ok
    assert {s.status for s in result.screens} == {"ok"}  # ... and this one compares with them
    with sqlite_db.sessions() as s:
        rows = s.scalar(select(func.count()).select_from(CanaryScreenRow))
    assert rows == len(canary.screen_set("skolskjuts").screens)
