"""Processes the project starts for itself: the legacy stand-ins and Prefect's server.

Each runs as a child process with its log under ``var/logs``; stopping escalates from
SIGTERM to SIGKILL, because a Prefect server or worker may ignore SIGTERM.

Prefect's server holds the legacy systems' passwords and runs what its deployments say, so
the one caserobot starts (when ``PREFECT_API_URL`` is unset) listens on 127.0.0.1 only and
requires basic auth: ``PREFECT_SERVER_API_AUTH_STRING`` on the server, the same string as
``PREFECT_API_AUTH_STRING`` in every client and worker caserobot starts. The string is
generated once into ``var/prefect-auth`` (mode 0600) unless ``CASEROBOT_PREFECT__AUTH_STRING``
gives it. A marker ``var/prefect/caserobot-server.json`` (pid, port) names the server of this
``var`` directory; caserobot attaches to a running server only when the marker's process is
the one listening on the marker's port and the auth string works. Anything else on the port
is never used: caserobot starts its own server on a free port.

That server keeps its data in SQLite under ``var/prefect``, or in the database that
``CASEROBOT_PREFECT__DATABASE_URL`` names (PostgreSQL for more than one worker, see
docs/production.md); the database is checked before the server starts. Workers are started
by :mod:`caserobot.prefect_worker`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import signal
import socket
import subprocess  # nosec B404  # starts caserobot's own services as child processes
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psutil
from sqlalchemy.engine import URL

from caserobot import discovery, prefect_database
from caserobot.exceptions import ApplicationException
from caserobot.settings import Settings

PREFECT_PORT = 4200  # the default of settings.prefect.port


def isolated_env(settings: Settings) -> dict[str, str]:
    """Variables that keep Prefect, Chromium and rpaframework inside ``var/``."""
    var = settings.var_dir
    return {
        "PREFECT_HOME": str(var / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "XDG_CONFIG_HOME": str(var / "xdg" / "config"),
        "XDG_CACHE_HOME": str(var / "xdg" / "cache"),
        "ROBOCORP_HOME": str(var / "robocorp"),
        **_lean_memory(),
    }


def _lean_memory() -> dict[str, str]:
    """Smaller heaps for the robots' processes, unless the operator has set these.

    Measured on a robot at 4 seats (docs/decisions.md): Node's young generation at
    1 MB semi-spaces takes 74 MB off Playwright's driver for about 3 ms more of its CPU per
    case; two malloc arenas take 18 MB off a threaded Python process.
    """
    lean = {"MALLOC_ARENA_MAX": "2", "NODE_OPTIONS": "--max-semi-space-size=1"}
    return {key: os.environ.get(key, value) for key, value in lean.items()}


def apply_isolated_env(settings: Settings) -> None:
    for key, value in isolated_env(settings).items():
        os.environ.setdefault(key, value)


class ManagedProcess:
    """A child process with a log file and a health URL."""

    def __init__(self, name: str, cmd: list[str], log_dir: Path, env: dict[str, str] | None = None):
        self.name = name
        self.cmd = cmd
        self.log_path = log_dir / f"{name}.log"
        self.env = {**os.environ, **(env or {})}
        self.pass_fds: tuple[int, ...] = ()  # open files the child shares (a lock it holds too)
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # nosec B603  # argv list, no shell, built by caserobot from fixed commands
            self.cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
            pass_fds=self.pass_fds,
        )
        return self

    def wait_healthy(self, url: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise ApplicationException(
                    f"{self.name} avslutades direkt (kod {self.proc.returncode}); "
                    f"se {self.log_path}"
                )
            if is_healthy(url):
                return
            time.sleep(0.3)
        raise ApplicationException(
            f"{self.name} blev inte redo inom {timeout_s:.0f} s; se {self.log_path}"
        )

    def stop(self, grace_s: float = 10.0) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(5)
        except ProcessLookupError:
            pass


def is_healthy(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1.0).status_code == 200
    except httpx.HTTPError:
        return False


def start_standins(
    settings: Settings,
    *,
    ui_latency_ms: int = 0,
    api_latency_ms: int = 0,
    seats: int | None = None,
    extra: list[str] | None = None,
) -> ManagedProcess | None:
    """Start the stand-ins on the ports in settings, unless they already answer there."""
    health = f"{settings.eservice.base_url}/_test/health"
    if is_healthy(health):
        return None
    port = lambda url: url.rsplit(":", 1)[-1].split("/")[0]  # noqa: E731
    own = played_web_systems(settings)
    cmd = [
        sys.executable,
        "-m",
        "standins",
        "serve",
        "--eservice-port",
        port(settings.eservice.base_url),
        "--case-port",
        port(settings.case_system.base_url),
        "--population-port",
        port(settings.population_register.base_url),
        "--route-port",
        port(settings.route_service.base_url),
        "--income-port",
        port(settings.income_register.base_url),
        "--seats",
        str(seats or settings.case_system.seat_limit),
        "--ui-latency-ms",
        str(ui_latency_ms),
        "--api-latency-ms",
        str(api_latency_ms),
        *(arg for standin, url in own.items() for arg in ("--port", f"{standin}={port(url)}")),
        *(extra or []),
    ]
    proc = ManagedProcess("standins", cmd, settings.var_dir / "logs").start()
    proc.wait_healthy(health, 30)
    for base in (
        settings.case_system.base_url,
        settings.population_register.base_url,
        settings.route_service.base_url,
        settings.income_register.base_url,
        *own.values(),
    ):
        proc.wait_healthy(f"{base}/_test/health", 10)
    return proc


def played_web_systems(settings: Settings) -> dict[str, str]:
    """The installed case types' own web systems that a stand-in plays: stand-in → the
    base URL the settings give the system (the stand-in is started there)."""
    return {
        spec.standin: settings.web_system(name, spec.defaults).base_url
        for package in discovery.installed().values()
        for name, spec in package.web_systems.items()
        if spec.standin
    }


class PrefectServer(ManagedProcess):
    """Prefect's server started by caserobot; stopping it also removes its marker."""

    def __init__(self, settings: Settings, port: int, env: dict[str, str]) -> None:
        cmd = [sys.executable, "-m", "prefect", "server", "start"]
        cmd += ["--host", "127.0.0.1", "--port", str(port)]
        super().__init__("prefect-server", cmd, settings.var_dir / "logs", env=env)
        self.env.pop("PREFECT_API_URL", None)
        self.env.pop("PREFECT_API_AUTH_STRING", None)
        self.marker = server_marker(settings)
        self.api_url = f"http://127.0.0.1:{port}/api"

    def stop(self, grace_s: float = 10.0) -> None:
        pid = self.proc.pid if self.proc else None
        super().stop(grace_s)
        with contextlib.suppress(OSError, ValueError):
            if json.loads(self.marker.read_text(encoding="utf-8")).get("pid") == pid:
                self.marker.unlink()


def prefect_auth_string(settings: Settings) -> str:
    """The basic-auth string of caserobot's own Prefect server (``user:password``).

    ``CASEROBOT_PREFECT__AUTH_STRING`` if set; else the one in ``var/prefect-auth``, which is
    generated (mode 0600) when missing or empty.
    """
    if settings.prefect.auth_string is not None:
        value = settings.prefect.auth_string.get_secret_value()
        if ":" not in value or len(value) < 16:
            raise ApplicationException(
                "CASEROBOT_PREFECT__AUTH_STRING ska vara 'användare:lösenord', minst 16 tecken"
            )
        return value
    path = settings.var_dir / "prefect-auth"
    with contextlib.suppress(FileNotFoundError):
        value = path.read_text(encoding="utf-8").strip()
        if ":" in value and len(value) >= 16:
            return value
        path.unlink()  # empty or damaged: a new one (the old server cannot be attached to)
    path.parent.mkdir(parents=True, exist_ok=True)
    value = f"caserobot:{secrets.token_urlsafe(32)}"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another caserobot process made it a moment ago
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(value + "\n")
    return value


def server_marker(settings: Settings) -> Path:
    return settings.var_dir / "prefect" / "caserobot-server.json"


def own_prefect_server(settings: Settings) -> str | None:
    """The API URL of the Prefect server caserobot started for this ``var`` directory, if it
    runs; None otherwise.

    Proof, in this order: the marker's process lives and is a Prefect server, it (or a child)
    listens on the marker's port, and that port refuses a request without the auth string
    and answers one with it. Only then has the auth string been sent to that port.
    """
    marker = server_marker(settings)
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        pid, port = int(data["pid"]), int(data["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not _listens(pid, port):
        return None
    api = f"http://127.0.0.1:{port}/api"
    if _auth_status(api, None) != 401 or _auth_status(api, prefect_auth_string(settings)) != 200:
        return None
    return api


def use_prefect(api_url: str, auth_string: str | None) -> None:
    """Point this process (and the processes it starts) at a Prefect API.

    Prefect reads its settings once, at import: if it is imported already, its global
    settings are rebuilt from the environment.
    """
    os.environ["PREFECT_API_URL"] = api_url
    if auth_string:
        os.environ["PREFECT_API_AUTH_STRING"] = auth_string
    else:
        os.environ.pop("PREFECT_API_AUTH_STRING", None)
    if "prefect.context" in sys.modules:
        import prefect.context

        prefect.context.refresh_global_settings_context()


def attach_prefect(settings: Settings) -> str | None:
    """Use ``PREFECT_API_URL`` if set, else caserobot's own running server; never start one.

    Returns the API URL, or None when there is none to use (callers then say so).
    """
    if configured := os.environ.get("PREFECT_API_URL"):
        return configured
    with _server_lock(settings):
        api = own_prefect_server(settings)
    if api:
        use_prefect(api, prefect_auth_string(settings))
    return api


def start_prefect_server(settings: Settings, port: int | None = None) -> PrefectServer | None:
    """Make sure this process talks to a Prefect server; start caserobot's own if needed.

    ``PREFECT_API_URL`` set: that server (an operator's), which must answer; with
    ``PREFECT_API_AUTH_STRING`` when it requires auth. Else the server caserobot started
    earlier for this ``var`` directory (see :func:`own_prefect_server`), else a new one on
    127.0.0.1 with basic auth, on ``settings.prefect.port`` or, when something else holds
    that port, a free one; on the database of :func:`caserobot.prefect_database.checked_url`.
    Returns the new server (the caller stops it) or None.

    Raises:
        ConfigurationError: ``CASEROBOT_PREFECT__DATABASE_URL`` is no URL Prefect can use.
        ApplicationException: the server does not answer, refuses the auth, or won't start;
            its database does not answer; the running server uses another database.
    """
    configured = os.environ.get("PREFECT_API_URL")
    if configured:  # an operator's server: use it, never start another
        if not is_healthy(f"{configured.rstrip('/')}/health"):
            raise ApplicationException(f"Prefect-servern på {configured} svarar inte")
        if _auth_status(configured, os.environ.get("PREFECT_API_AUTH_STRING")) == 401:
            raise ApplicationException(
                f"Prefect-servern på {configured} kräver inloggning: ange PREFECT_API_AUTH_STRING"
            )
        return None
    auth = prefect_auth_string(settings)
    database = prefect_database.checked_url(settings)  # a bad one fails before anything
    with _server_lock(settings):
        if api := own_prefect_server(settings):
            _check_same_database(settings, database)
            use_prefect(api, auth)
            return None
        port = port or settings.prefect.port
        if not _port_free(port):
            port = _free_port()
        env = {
            **isolated_env(settings),
            "PREFECT_SERVER_API_AUTH_STRING": auth,
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(port),
            **prefect_database.server_env(settings),
        }
        server = PrefectServer(settings, port, env)
        server.start()
        try:
            server.wait_healthy(f"{server.api_url}/health", settings.prefect.startup_timeout_s)
            if _auth_status(server.api_url, None) != 401:
                raise ApplicationException(
                    f"Prefect-servern på port {port} kräver ingen inloggning; se {server.log_path}"
                )
            if _auth_status(server.api_url, auth) != 200:
                raise ApplicationException(
                    f"Prefect-servern på port {port} godtar inte inloggningen; se {server.log_path}"
                )
        except BaseException:
            server.stop()
            raise
        marker = {
            "pid": server.proc.pid if server.proc else None,
            "port": port,
            "api_url": server.api_url,
            "database": prefect_database.label(database),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _write_private(server.marker, json.dumps(marker))
    use_prefect(server.api_url, auth)
    return server


def _check_same_database(settings: Settings, database: URL | None) -> None:
    """The running local server must use the database the settings name now."""
    marker = server_marker(settings)
    with contextlib.suppress(OSError, ValueError):
        data: dict[str, Any] = json.loads(marker.read_text(encoding="utf-8"))
        running, wanted = data.get("database", "sqlite"), prefect_database.label(database)
        if running != wanted:
            raise ApplicationException(
                f"Prefect-servern som caserobot startade för {settings.var_dir} (pid "
                f"{data.get('pid')}, port {data.get('port')}) använder databasen {running}, "
                f"inte {wanted}: stoppa den först",
                system="prefect",
            )


def _auth_status(api_url: str, auth_string: str | None) -> int | None:
    """The status of an API request that needs auth when the server has it (None: no answer)."""
    auth = tuple(auth_string.split(":", 1)) if auth_string else None
    try:
        response = httpx.post(
            f"{api_url.rstrip('/')}/flows/filter",
            json={"limit": 1},
            auth=auth,  # type: ignore[arg-type]
            timeout=5.0,
        )
    except httpx.HTTPError:
        return None
    return response.status_code


def _listens(pid: int, port: int) -> bool:
    """Whether process ``pid`` (or one of its children) listens on 127.0.0.1:``port``."""
    try:
        process = psutil.Process(pid)
        family = [process, *process.children(recursive=True)]
        for proc in family:
            for conn in proc.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port == port:
                    return True
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return False
    return False


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


@contextlib.contextmanager
def _server_lock(settings: Settings) -> Iterator[None]:
    """One caserobot process at a time checks for, or starts, this var_dir's server."""
    path = settings.var_dir / "prefect" / "caserobot-server.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start_worker(settings: Settings, **options: Any) -> ManagedProcess | None:
    """Start a Prefect process worker on caserobot's work pool; the options and what it
    returns: :func:`caserobot.prefect_worker.start_worker`."""
    from caserobot.prefect_worker import start_worker as start  # it builds on this module

    return start(settings, **options)
