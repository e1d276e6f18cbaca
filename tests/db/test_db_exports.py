"""The public surface of the storage layer, pinned."""

from __future__ import annotations

import caserobot.db
import caserobot.queue
import caserobot.registry


def test_db_exports() -> None:
    assert sorted(caserobot.db.__all__) == [
        "Database",
        "MIGRATIONS_DIR",
        "UTCDateTime",
        "alembic_config",
        "current_revision",
        "head_revision",
        "init_db",
        "is_sqlite",
        "make_engine",
        "open_database",
        "read_session",
        "session_factory",
        "sqlite_path",
        "upgrade",
        "utcnow",
        "write_session",
    ]


def test_queue_exports() -> None:
    assert sorted(caserobot.queue.__all__) == [
        "Decision",
        "DecisionRecord",
        "ExceptionItem",
        "ExceptionRecord",
        "LeaseLost",
        "WorkItem",
        "WorkQueue",
        "idempotency_key",
        "new_owner_id",
    ]


def test_registry_exports() -> None:
    assert sorted(caserobot.registry.__all__) == [
        "NotRegistered",
        "finish_run",
        "get_legacy_system",
        "get_robot",
        "get_run",
        "heartbeat",
        "list_exception_items",
        "list_legacy_systems",
        "list_robots",
        "list_runs",
        "mark_crashed_runs",
        "register_legacy_system",
        "register_robot",
        "report_system_health",
        "resolve_exception_item",
        "set_robot_status",
        "start_run",
    ]


def test_every_export_exists() -> None:
    for module in (caserobot.db, caserobot.queue, caserobot.registry):
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"
