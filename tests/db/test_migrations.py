"""Migrations, engines and column types on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError, StatementError

from caserobot.db import (
    Database,
    alembic_config,
    current_revision,
    head_revision,
    init_db,
    make_engine,
    sqlite_path,
    upgrade,
    write_session,
)
from caserobot.db.models import Base, RobotRow, RunRow
from caserobot.settings import Settings

TABLES = {"legacy_systems", "robots", "runs", "work_items", "decisions", "exception_items"}


def test_upgrade_creates_every_table_and_matches_the_models(empty_db_url: str) -> None:
    assert current_revision(empty_db_url) is None

    upgrade(empty_db_url)

    engine = make_engine(empty_db_url)
    try:
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
    assert current_revision(empty_db_url) == head_revision()


def test_upgrade_is_idempotent_and_downgrade_reverses_it(empty_db_url: str) -> None:
    upgrade(empty_db_url)
    upgrade(empty_db_url)
    assert current_revision(empty_db_url) == head_revision()

    command.downgrade(alembic_config(empty_db_url), "base")
    engine = make_engine(empty_db_url)
    try:
        assert not TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()

    upgrade(empty_db_url)
    assert current_revision(empty_db_url) == head_revision()


def test_init_db_migrates_the_sqlite_file_under_var_dir(tmp_path: Path) -> None:
    settings = Settings(var_dir=tmp_path / "var")

    database = init_db(settings)
    try:
        assert database.url == f"sqlite:///{tmp_path / 'var' / 'caserobot.db'}"
        assert sqlite_path(database.url) == tmp_path / "var" / "caserobot.db"
        assert (tmp_path / "var" / "caserobot.db").exists()
        assert current_revision(database.engine) == head_revision()
    finally:
        database.dispose()


def test_in_memory_sqlite_keeps_its_schema_across_sessions() -> None:
    engine = make_engine("sqlite://")
    try:
        upgrade(engine)
        with engine.connect() as conn:
            assert "work_items" in inspect(conn).get_table_names()
    finally:
        engine.dispose()


def test_sqlite_connections_use_wal_busy_timeout_and_foreign_keys(sqlite_db: Database) -> None:
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000


def test_sqlite_write_session_takes_the_write_lock_up_front(sqlite_db: Database) -> None:
    path = sqlite_path(sqlite_db.url)
    with write_session(sqlite_db.sessions) as session:
        session.execute(select(1))  # only a read so far, yet the lock is held
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_sqlite_rolls_back_ddl_and_dml_together(sqlite_db: Database) -> None:
    with pytest.raises(RuntimeError), sqlite_db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE scratch (x INTEGER)"))
        raise RuntimeError("roll back")
    assert "scratch" not in inspect(sqlite_db.engine).get_table_names()


def test_foreign_keys_are_enforced(db: Database) -> None:
    with pytest.raises(IntegrityError), db.sessions.begin() as session:
        session.add(RunRow(robot="no-such-robot", trigger="test", stats={}))


def test_datetimes_are_stored_in_utc_and_come_back_aware(db: Database) -> None:
    stockholm = timezone(timedelta(hours=2))
    created = datetime(2026, 8, 1, 10, 0, 0, 123456, tzinfo=stockholm)
    with db.sessions.begin() as session:
        session.add(
            RobotRow(
                name="r",
                version="1",
                owner="o",
                case_type="skolskjuts",
                legacy_systems=["case-system"],
                created_at=created,
            )
        )
    with db.sessions() as session:
        robot = session.scalars(select(RobotRow)).one()
        assert robot.created_at == created
        assert robot.created_at.tzinfo == UTC
        assert robot.created_at.hour == 8
        assert robot.legacy_systems == ["case-system"]


def test_naive_datetimes_are_refused(db: Database) -> None:
    with pytest.raises(StatementError, match="naive datetime"), db.sessions.begin() as session:
        session.add(
            RobotRow(
                name="r", version="1", owner="o", case_type="c", created_at=datetime(2026, 8, 1)
            )
        )
