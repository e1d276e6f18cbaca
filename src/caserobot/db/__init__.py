"""caserobot's storage: engine and sessions, ORM models, migrations.

Entry points: :func:`init_db` (settings → migrated :class:`Database`), :func:`make_engine`,
:func:`session_factory`, :func:`upgrade`. The services that use it are
:mod:`caserobot.queue` (work items) and :mod:`caserobot.registry` (robots, runs, legacy
systems, exception queue). See ``README.md`` next to this file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from caserobot.db._engine import (
    is_sqlite,
    make_engine,
    read_session,
    session_factory,
    sqlite_path,
    write_session,
)
from caserobot.db._migrate import (
    MIGRATIONS_DIR,
    alembic_config,
    current_revision,
    head_revision,
    upgrade,
)
from caserobot.db._types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from caserobot.settings import Settings

__all__ = [
    "MIGRATIONS_DIR",
    "Database",
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


@dataclass(frozen=True)
class Database:
    """A migrated database: its URL, engine and sessionmaker."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.engine.dialect.name

    def dispose(self) -> None:
        """Close the engine's pooled connections."""
        self.engine.dispose()


def open_database(url: str, *, migrate: bool = True) -> Database:
    """Engine and sessionmaker for ``url``, migrated to head unless ``migrate`` is False."""
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    return Database(url=url, engine=engine, sessions=session_factory(engine))


def init_db(settings: Settings | None = None, *, migrate: bool = True) -> Database:
    """The database of ``settings`` (default: :func:`caserobot.settings.get_settings`), ready."""
    if settings is None:
        from caserobot.settings import get_settings

        settings = get_settings()
    return open_database(settings.database_url, migrate=migrate)
