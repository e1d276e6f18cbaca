"""The registry: legacy systems, robots, runs, exception queue."""

from __future__ import annotations

import pytest

from caserobot import registry
from caserobot.db import Database
from caserobot.queue import ExceptionRecord, WorkQueue


def test_register_legacy_system_upserts_by_name(db: Database) -> None:
    first = registry.register_legacy_system(
        db.sessions, "case-system", "web_ui", "http://127.0.0.1:8702", seat_limit=4
    )
    again = registry.register_legacy_system(
        db.sessions, "case-system", "web_ui", "http://cs:8702", seat_limit=2, description="Ärenden"
    )
    registry.register_legacy_system(db.sessions, "route-service", "api", "http://127.0.0.1:8704")

    assert again.id == first.id
    assert (again.base_url, again.seat_limit, again.description) == ("http://cs:8702", 2, "Ärenden")
    assert again.created_at == first.created_at and again.updated_at >= first.updated_at
    assert registry.get_legacy_system(db.sessions, "case-system") == again
    assert [s.name for s in registry.list_legacy_systems(db.sessions)] == [
        "case-system",
        "route-service",
    ]
    assert registry.get_legacy_system(db.sessions, "nope") is None
    with pytest.raises(ValueError, match="kind"):
        registry.register_legacy_system(db.sessions, "x", "ftp", "ftp://x")  # type: ignore[arg-type]


def test_register_robot_upserts_and_keeps_a_paused_robot_paused(db: Database) -> None:
    first = registry.register_robot(
        db.sessions, "skolskjuts", "0.1.0", "Team A", "skolskjuts", ["case-system"], "Beslut"
    )
    assert (first.status, first.legacy_systems, first.last_run) == (
        "active",
        ["case-system"],
        None,
    )
    registry.set_robot_status(db.sessions, "skolskjuts", "paused")

    again = registry.register_robot(
        db.sessions,
        "skolskjuts",
        "0.2.0",
        "Team B",
        "skolskjuts",
        ["case-system", "population-register"],
        "Beslut v2",
    )

    assert again.id == first.id
    assert (again.version, again.owner, again.description) == ("0.2.0", "Team B", "Beslut v2")
    assert again.legacy_systems == ["case-system", "population-register"]
    assert again.status == "paused"
    assert registry.get_robot(db.sessions, "skolskjuts") == again
    assert registry.get_robot(db.sessions, "nope") is None
    with pytest.raises(registry.NotRegistered, match="robot"):
        registry.set_robot_status(db.sessions, "nope", "active")


def test_runs_start_finish_and_list_newest_first(db: Database) -> None:
    registry.register_robot(db.sessions, "a", "1", "o", "skolskjuts")
    registry.register_robot(db.sessions, "b", "1", "o", "other")
    runs = [registry.start_run(db.sessions, robot, "schedule") for robot in ("a", "b", "a")]
    assert [r.status for r in runs] == ["running"] * 3
    assert runs[0].finished_at is None and runs[0].stats == {}

    finished = registry.finish_run(
        db.sessions, runs[0].id, "completed", {"done": 3, "exceptions": 1}, "/var/runs/1"
    )
    assert finished.status == "completed"
    assert finished.finished_at is not None and finished.finished_at >= finished.started_at
    assert (finished.stats, finished.output_dir) == ({"done": 3, "exceptions": 1}, "/var/runs/1")
    assert registry.get_run(db.sessions, runs[0].id) == finished
    assert registry.get_run(db.sessions, 999_999) is None

    assert [r.id for r in registry.list_runs(db.sessions)] == [r.id for r in reversed(runs)]
    assert [r.id for r in registry.list_runs(db.sessions, robot="a")] == [runs[2].id, runs[0].id]
    assert len(registry.list_runs(db.sessions, limit=1)) == 1

    robots = registry.list_robots(db.sessions)
    assert [r.name for r in robots] == ["a", "b"]
    assert robots[0].last_run is not None and robots[0].last_run.id == runs[2].id
    assert robots[1].last_run is not None and robots[1].last_run.id == runs[1].id
    assert registry.get_robot(db.sessions, "a").last_run.id == runs[2].id  # type: ignore[union-attr]


def test_runs_need_a_registered_robot_and_a_known_status(db: Database) -> None:
    with pytest.raises(registry.NotRegistered, match="robot: 'ghost'"):
        registry.start_run(db.sessions, "ghost", "manual")
    registry.register_robot(db.sessions, "a", "1", "o", "skolskjuts")
    run = registry.start_run(db.sessions, "a", "manual", prefect_flow_run_id="f-1")
    assert run.prefect_flow_run_id == "f-1"
    with pytest.raises(ValueError, match="run status"):
        registry.finish_run(db.sessions, run.id, "ok")  # type: ignore[arg-type]
    with pytest.raises(registry.NotRegistered):
        registry.finish_run(db.sessions, 999_999, "crashed")


def test_exception_queue_lists_open_items_and_resolves_them(db: Database) -> None:
    queue = WorkQueue(db.sessions)
    queue.enqueue_many("skolskjuts", [("ES-1", {}), ("ES-2", {})])
    queue.enqueue("other", "ES-3", {})
    items = queue.claim("skolskjuts", "a", lease_seconds=60, limit=2)
    items += queue.claim("other", "a", lease_seconds=60)
    for item in items:
        queue.business_exception(
            item.id,
            "a",
            ExceptionRecord(reason_codes=["missing_field"], detail=item.application_id),
        )

    open_items = registry.list_exception_items(db.sessions, "skolskjuts")
    assert [e.application_id for e in open_items] == ["ES-1", "ES-2"]
    assert len(registry.list_exception_items(db.sessions)) == 3

    resolved = registry.resolve_exception_item(db.sessions, open_items[0].id, "handläggare")
    assert (resolved.status, resolved.resolved_by) == ("resolved", "handläggare")
    assert resolved.resolved_at is not None
    assert [e.application_id for e in registry.list_exception_items(db.sessions, "skolskjuts")] == [
        "ES-2"
    ]
    assert [
        e.id for e in registry.list_exception_items(db.sessions, "skolskjuts", status="resolved")
    ] == [resolved.id]
    assert len(registry.list_exception_items(db.sessions, status=None)) == 3
    with pytest.raises(registry.NotRegistered):
        registry.resolve_exception_item(db.sessions, 999_999)


# -- issue 13: run liveness and the robot's gate -----------------------------------------

_OWNER = """
import sys, time
from caserobot import registry
from caserobot.db import open_database
db = open_database(sys.argv[1], migrate=False)
run = registry.start_run(db.sessions, "a", "schedule")
print(run.id, flush=True)
while True:
    registry.heartbeat(db.sessions, run.id)
    time.sleep(0.2)
"""


def test_a_run_whose_process_was_killed_is_marked_crashed(db: Database) -> None:
    import os
    import signal
    import subprocess
    import sys

    registry.register_robot(db.sessions, "a", "1", "o", "skolskjuts")
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER, db.url], stdout=subprocess.PIPE, text=True
    )
    try:
        run_id = int(owner.stdout.readline())  # type: ignore[union-attr]
        alive = registry.get_run(db.sessions, run_id)
        assert alive is not None and alive.status == "running"
        assert (alive.host, alive.pid) == (os.uname().nodename, owner.pid)
        assert alive.heartbeat_at is not None
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)

    [listed] = registry.list_runs(db.sessions, robot="a")
    assert listed.id == run_id and listed.status == "crashed"
    assert listed.finished_at is not None
    assert f"processen {owner.pid}" in listed.stats["crash_reason"]
    robot = registry.get_robot(db.sessions, "a")
    assert robot is not None and robot.last_run is not None
    assert robot.last_run.status == "crashed"
    # heartbeats of a crashed run change nothing; a new run starts normally
    assert registry.heartbeat(db.sessions, run_id) is False
    assert registry.start_run(db.sessions, "a", "schedule").status == "running"


def test_the_next_run_marks_a_silent_run_of_another_host_crashed(db: Database) -> None:
    from datetime import timedelta

    from caserobot.db import write_session
    from caserobot.db.models import RunRow

    registry.register_robot(db.sessions, "a", "1", "o", "skolskjuts")
    silent = registry.start_run(db.sessions, "a", "schedule")
    recent = registry.start_run(db.sessions, "a", "schedule")
    mine = registry.start_run(db.sessions, "a", "schedule")  # this process: alive
    with write_session(db.sessions) as session:
        for run_id, age_s in ((silent.id, registry.STALE_AFTER_S + 5), (recent.id, 5)):
            row = session.get(RunRow, run_id)
            row.host, row.pid = "robot-host-2", 4242
            row.heartbeat_at = row.started_at - timedelta(seconds=age_s)

    registry.start_run(db.sessions, "a", "schedule")

    status = {r.id: r.status for r in registry.list_runs(db.sessions, robot="a")}
    assert (status[silent.id], status[recent.id], status[mine.id]) == (
        "crashed",
        "running",
        "running",
    )
    crashed = registry.get_run(db.sessions, silent.id)
    assert crashed is not None and "inte hörts av" in crashed.stats["crash_reason"]


def _at(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    from caserobot.gate import TIMEZONE

    return datetime.fromisoformat(text).replace(tzinfo=TIMEZONE)


def _robot_with_systems(db: Database, **hours: str | None) -> None:
    for name, value in hours.items():
        description = {"arendesystem": "Ärendesystemet (webbgränssnitt)"}.get(name, "")
        registry.register_legacy_system(
            db.sessions, name, "web_ui", "http://x", description=description, opening_hours=value
        )
    registry.register_robot(db.sessions, "sk", "1", "o", "skolskjuts", list(hours))


def test_gate_is_closed_while_the_robot_is_paused(db: Database) -> None:
    from caserobot.gate import gate

    _robot_with_systems(db, arendesystem=None)
    now = _at("2026-12-04T10:00")
    assert gate(db.sessions, "skolskjuts", now).open
    registry.set_robot_status(db.sessions, "sk", "paused")

    closed = gate(db.sessions, "skolskjuts", now)

    assert (closed.open, closed.reason, closed.reopens_at) == (False, "roboten är pausad", None)
    assert gate(db.sessions, "ekonomiskt_bistand", now).open  # another case type
    registry.set_robot_status(db.sessions, "sk", "active")
    assert gate(db.sessions, "skolskjuts", now).open


def test_gate_follows_the_opening_hours_in_swedish_time(db: Database) -> None:
    from datetime import UTC

    from caserobot.gate import gate

    _robot_with_systems(db, arendesystem="mån-fre 06:00-07:00", folkbokforing="07:00-19:00")
    # the defect: a run at 04:46 processed items of a system open 06:00–07:00
    early = gate(db.sessions, "skolskjuts", _at("2026-12-04T04:46"))  # a Friday
    assert not early.open
    assert early.reason == "ärendesystemet har stängt (öppet mån–fre 06:00–07:00)"
    # 06:00 the case system opens but the population register is closed until 07:00,
    # when the case system closes: no time this week when both are open
    assert early.reopens_at is None
    registry.register_legacy_system(
        db.sessions, "folkbokforing", "api", "http://x", opening_hours="05:00-19:00"
    )
    early = gate(db.sessions, "skolskjuts", _at("2026-12-04T04:46"))
    assert early.reopens_at == _at("2026-12-04T06:00")
    # the same instant given in UTC
    assert gate(db.sessions, "skolskjuts", _at("2026-12-04T06:30").astimezone(UTC)).open
    assert not gate(db.sessions, "skolskjuts", _at("2026-12-04T07:00")).open
    saturday = gate(db.sessions, "skolskjuts", _at("2026-12-05T06:30"))
    assert not saturday.open and saturday.reopens_at == _at("2026-12-07T06:00")
    # summer time: 06:30 in Stockholm is 04:30 UTC
    assert gate(db.sessions, "skolskjuts", _at("2026-06-15T06:30")).open
    assert gate(db.sessions, "no-such-type", _at("2026-12-05T03:00")).open
    with pytest.raises(ValueError, match="timezone-aware"):
        gate(db.sessions, "skolskjuts", _at("2026-12-04T06:30").replace(tzinfo=None))


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("07:00-19:00", "07:00-19:00"),
        (" Mån - Fre 07:00–19:00 ; lör 09:00-13:00", "mån-fre 07:00-19:00; lör 09:00-13:00"),
        ("man,ons,fre 06:00-07:00", "mån,ons,fre 06:00-07:00"),
        ("00:00-24:00", "00:00-24:00"),
        ("", None),
    ],
)
def test_opening_hours_are_normalised(text: str, normalised: str | None) -> None:
    from caserobot.gate import parse_opening_hours

    hours = parse_opening_hours(text)
    assert (hours.text if hours else None) == normalised


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("7-19", "TT:MM-TT:MM"),
        ("19:00-07:00", "före slutet"),
        ("25:00-26:00", "TT:MM-TT:MM"),
        ("fredag 07:00-08:00", "okänd veckodag 'fredag'"),
        ("fre-mån 07:00-08:00", "i ordning"),
        ("07:00-08:00" * 20, "högst 100"),
    ],
)
def test_bad_opening_hours_name_the_field(text: str, words: str) -> None:
    from caserobot.exceptions import InputError
    from caserobot.gate import parse_opening_hours

    with pytest.raises(InputError, match=words) as raised:
        parse_opening_hours(text)
    assert raised.value.field == "opening_hours"  # type: ignore[attr-defined]
