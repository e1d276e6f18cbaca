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
