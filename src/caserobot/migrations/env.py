"""Alembic environment for caserobot.

Run through :func:`caserobot.db.upgrade` (or :func:`caserobot.db.alembic_config` with
``alembic.command``); there is no alembic.ini. ``config.attributes["connection"]`` may hold
an open connection to migrate; otherwise one is made from ``sqlalchemy.url``.

Two processes may migrate the same database at once: the migration runs in one transaction
that first takes a lock (``BEGIN IMMEDIATE`` on SQLite, an advisory transaction lock on
PostgreSQL), and Alembic reads the current revision only after that, so the second process
finds the schema at head and does nothing.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection, text

from caserobot.db._engine import SQLITE_BEGIN, is_sqlite, make_engine
from caserobot.db._types import UTCDateTime
from caserobot.db.models import Base

#: Key of the PostgreSQL advisory lock held while migrating ("caserobo" as an int64).
PG_MIGRATION_LOCK = 0x63617365726F626F

config = context.config
target_metadata = Base.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Render caserobot's column types as plain SQLAlchemy types in new revisions."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"  # nosec B101  # set by caserobot's own alembic config; narrows the type
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=is_sqlite(url),
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _migrate(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.in_transaction():
        connection = connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
    transaction = nullcontext() if connection.in_transaction() else connection.begin()
    with transaction:
        if connection.dialect.name == "postgresql":
            lock = text("SELECT pg_advisory_xact_lock(:key)")
            connection.execute(lock, {"key": PG_MIGRATION_LOCK})
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            render_item=render_item,
            # Our SQLite engines emit BEGIN themselves, so DDL there is transactional too.
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url is not set"  # nosec B101  # set by caserobot's own alembic config; narrows the type
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            _migrate(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
