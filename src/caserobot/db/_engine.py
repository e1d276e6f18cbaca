"""Engines and sessions for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

#: How long a SQLite connection waits for another process's write lock, milliseconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000

#: Execution option read by the SQLite ``begin`` hook: "DEFERRED" (default) or "IMMEDIATE".
SQLITE_BEGIN = "caserobot_sqlite_begin"


def is_sqlite(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str | URL) -> Path | None:
    """The database file of a SQLite URL, or None for in-memory databases."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str | URL, **kwargs: Any) -> Engine:
    """An engine for ``url``, set up for several processes sharing one database.

    SQLite gets WAL mode, a busy timeout and foreign keys on every connection, and the
    pysqlite transaction recipe from SQLAlchemy's documentation: the driver no longer
    issues its own ``BEGIN``; the engine's ``begin`` event does, so a transaction can
    start with ``BEGIN IMMEDIATE`` (see :func:`write_session`) and DDL is transactional.
    """
    url = make_url(url)
    if url.get_backend_name() != "sqlite":
        kwargs.setdefault("pool_pre_ping", True)
        return create_engine(url, **kwargs)

    path = sqlite_path(url)
    if path is None:
        # One shared connection, or every connection would see its own empty database.
        kwargs.setdefault("poolclass", StaticPool)
        kwargs.setdefault("connect_args", {"check_same_thread": False})
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # pysqlite: do not emit BEGIN/COMMIT itself
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            if path is not None:
                cursor.execute("PRAGMA journal_mode = WAL")
                cursor.execute("PRAGMA synchronous = NORMAL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "DEFERRED")
        if mode not in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE"):
            raise ValueError(f"unknown SQLite transaction mode {mode!r}")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """The sessionmaker every caserobot service takes. Objects stay readable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def write_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction that is going to write; commits on success, rolls back on error.

    On SQLite it starts with ``BEGIN IMMEDIATE``: it takes the database's write lock up
    front (waiting up to the busy timeout), so concurrent writers queue instead of failing
    with "database is locked" when a read would have to turn into a write. On PostgreSQL it
    is an ordinary transaction; row locks are the caller's business (``FOR UPDATE``).
    """
    with sessions() as session, session.begin():
        session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
        yield session


@contextmanager
def read_session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One read-only transaction (rolled back at the end)."""
    with sessions() as session:
        yield session
