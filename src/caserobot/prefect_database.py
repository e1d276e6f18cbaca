"""The database of the Prefect server caserobot starts (``CASEROBOT_PREFECT__DATABASE_URL``).

Unset, Prefect keeps its data in SQLite under ``var/prefect``: enough for one worker on one
machine. With several workers Prefect's server belongs on PostgreSQL (see
docs/production.md). The URL is checked before the server starts, so a wrong one gives one
Swedish line, never a server that dies with a traceback in its log: the driver must be one
Prefect's server can use (an async one), and PostgreSQL must answer and take the login.
"""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from caserobot.exceptions import ApplicationException, ConfigurationError
from caserobot.settings import Settings

#: The database drivers Prefect's server can use (it needs an async one).
DRIVERS = ("postgresql+asyncpg", "sqlite+aiosqlite")
SETTING = "CASEROBOT_PREFECT__DATABASE_URL"


def checked_url(settings: Settings) -> URL | None:
    """The database of the local Prefect server (``CASEROBOT_PREFECT__DATABASE_URL``), checked:
    a URL with a driver Prefect can use and, for PostgreSQL, a database that answers and
    takes the login. None: Prefect's SQLite file under ``var/prefect``.

    Raises:
        ConfigurationError: not a URL, no database name, or a driver Prefect cannot use.
        ApplicationException: the database does not answer or refuses the login.
    """
    if settings.prefect.database_url is None:
        return None
    example = "postgresql+asyncpg://användare:lösenord@127.0.0.1:5432/prefect"
    try:
        url = make_url(settings.prefect.database_url.get_secret_value().strip())
    except (ArgumentError, ValueError):  # the message would quote the URL, password and all
        raise ConfigurationError(
            SETTING, f"ingen giltig databas-URL; ange t.ex. {example}"
        ) from None
    if url.drivername not in DRIVERS:
        raise ConfigurationError(
            SETTING,
            f"Prefects server kan inte använda drivrutinen {url.drivername}: "
            f"ange {' eller '.join(DRIVERS)}, t.ex. {example}",
        )
    if url.get_backend_name() == "postgresql":
        if not url.database:
            raise ConfigurationError(SETTING, f"databasens namn saknas, t.ex. {example}")
        _probe_postgres(url)
    return url


def _probe_postgres(url: URL, timeout_s: float = 5.0) -> None:
    """Connect once, the way Prefect's server will (asyncpg), and run ``SELECT 1``."""
    from sqlalchemy.ext.asyncio import create_async_engine

    async def probe() -> None:
        engine = create_async_engine(url, connect_args={"timeout": timeout_s})
        try:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        finally:
            await engine.dispose()

    where = url.render_as_string(hide_password=True)
    with ThreadPoolExecutor(1) as pool:  # an event loop of its own, whoever calls
        try:
            pool.submit(lambda: asyncio.run(probe())).result()
        except Exception as exc:  # noqa: BLE001 - every failure means: no database for Prefect
            raise ApplicationException(
                f"Prefects databas {where} {_database_problem(exc, timeout_s)} ({SETTING})",
                system="prefect",
                step="database",
            ) from None


def _database_problem(exc: BaseException, timeout_s: float) -> str:
    """What went wrong, in Swedish, from asyncpg's (or the socket's) exception."""
    orig: BaseException = getattr(exc, "orig", None) or exc
    kind = type(orig).__name__
    if kind == "InvalidCatalogNameError":
        return "finns inte: skapa den först (CREATE DATABASE)"
    if kind in ("InvalidPasswordError", "InvalidAuthorizationSpecificationError"):
        return "godtar inte inloggningen (användare eller lösenord)"
    if isinstance(orig, TimeoutError):
        return f"svarar inte inom {timeout_s:.0f} s"
    if isinstance(orig, ConnectionRefusedError):
        return "svarar inte (anslutningen nekades)"
    if isinstance(orig, socket.gaierror):
        return "svarar inte (okänd värd)"
    if isinstance(orig, OSError):
        return f"svarar inte ({kind})"
    detail = str(orig).strip().splitlines()
    return f"kan inte användas: {kind}" + (f": {detail[0]}" if detail else "")


def server_env(settings: Settings) -> dict[str, str]:
    """The local server's database for its environment (none: Prefect's SQLite default)."""
    if settings.prefect.database_url is None:
        return {}
    value = settings.prefect.database_url.get_secret_value().strip()
    # Prefect 3.8 reads PREFECT_SERVER_DATABASE_CONNECTION_URL, then its older name
    # PREFECT_API_DATABASE_CONNECTION_URL: both get the URL, so an inherited one cannot win.
    return {
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": value,
        "PREFECT_API_DATABASE_CONNECTION_URL": value,
    }


def label(url: URL | None) -> str:
    """The database as the marker records it: no password."""
    return url.render_as_string(hide_password=True) if url else "sqlite"
