"""Run the Alembic migrations in ``caserobot/migrations`` from code."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError

from caserobot.db._engine import make_engine

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | URL) -> Config:
    """An Alembic config for ``url``, for ``alembic.command`` (e.g. ``command.revision``)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    rendered = make_url(url).render_as_string(hide_password=False)
    cfg.set_main_option("sqlalchemy.url", rendered.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest revision in ``caserobot/migrations/versions``."""
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None, "no migrations found"  # nosec B101  # invariant: the package ships its migrations; narrows the type
    return head


def current_revision(target: str | URL | Engine) -> str | None:
    """The revision the database is at, or None if it was never migrated."""
    engine, owned = _engine(target)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        if owned:
            engine.dispose()


def upgrade(target: str | URL | Engine, revision: str = "head", *, attempts: int = 3) -> None:
    """Migrate the database to ``revision`` (default: the newest). Idempotent.

    Safe when several processes call it at once: the migration itself takes a lock (see
    ``migrations/env.py``), and if it still fails the database is checked again: at the
    target revision, someone else finished the job; otherwise it is retried.

    Args:
        target: a SQLAlchemy URL, or an engine (needed for in-memory SQLite).
        revision: Alembic revision to migrate to.
        attempts: tries before the last error is raised.
    """
    engine, owned = _engine(target)
    try:
        for attempt in range(1, attempts + 1):
            try:
                with engine.connect() as conn:
                    cfg = alembic_config(engine.url)
                    cfg.attributes["connection"] = conn
                    command.upgrade(cfg, revision)
                return
            except DBAPIError as exc:
                wanted = head_revision() if revision == "head" else revision
                if current_revision(engine) == wanted:
                    log.info("migration raced with another process, which finished it: %s", exc)
                    return
                if attempt == attempts:
                    raise
                log.warning("migration attempt %d failed, retrying: %s", attempt, exc)
                time.sleep(0.2 * attempt)
    finally:
        if owned:
            engine.dispose()


def _engine(target: str | URL | Engine) -> tuple[Engine, bool]:
    if isinstance(target, Engine):
        return target, False
    return make_engine(target), True
