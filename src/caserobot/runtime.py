"""Processes the project starts for itself: the legacy stand-ins and Prefect's server.

Each runs as a child process with its log under ``var/logs``; stopping escalates from
SIGTERM to SIGKILL, because a Prefect server or worker may ignore SIGTERM.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from caserobot.exceptions import ApplicationException
from caserobot.settings import Settings

PREFECT_PORT = 4200


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
    }


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
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            self.cmd, stdout=log, stderr=subprocess.STDOUT, env=self.env, start_new_session=True
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
        *(extra or []),
    ]
    proc = ManagedProcess("standins", cmd, settings.var_dir / "logs").start()
    proc.wait_healthy(health, 30)
    for base in (
        settings.case_system.base_url,
        settings.population_register.base_url,
        settings.route_service.base_url,
        settings.income_register.base_url,
    ):
        proc.wait_healthy(f"{base}/_test/health", 10)
    return proc


def start_prefect_server(settings: Settings, port: int = PREFECT_PORT) -> ManagedProcess | None:
    """Start Prefect's own server (SQLite under var/prefect) and point this process at it."""
    configured = os.environ.get("PREFECT_API_URL")
    if configured:  # an operator's server: use it, never start another
        if not is_healthy(f"{configured}/health"):
            raise ApplicationException(f"Prefect-servern på {configured} svarar inte")
        return None
    api = f"http://127.0.0.1:{port}/api"
    if is_healthy(f"{api}/health"):
        os.environ["PREFECT_API_URL"] = api
        return None
    env = isolated_env(settings)
    env.pop("PREFECT_API_URL", None)
    cmd = [
        sys.executable,
        "-m",
        "prefect",
        "server",
        "start",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    proc = ManagedProcess("prefect-server", cmd, settings.var_dir / "logs", env=env)
    proc.env.pop("PREFECT_API_URL", None)
    proc.start()
    proc.wait_healthy(f"{api}/health", 120)
    os.environ["PREFECT_API_URL"] = api
    return proc


def start_worker(
    settings: Settings, *, query_seconds: int = 1, reuse: bool = True
) -> ManagedProcess | None:
    """Start a Prefect process worker on caserobot's work pool, unless one is online already.

    ``reuse=False`` starts one even then: Prefect shows a worker that stopped a moment ago as
    online until its heartbeat lapses, and a second worker is harmless (each flow run is
    claimed by one). The demo, which restarts everything, uses that.

    The worker runs the schedules' flow runs (see :mod:`caserobot.scheduling`) as child
    processes in its own process group, so :meth:`ManagedProcess.stop` ends them with it.
    Needs a reachable Prefect server (``PREFECT_API_URL``, see :func:`start_prefect_server`).
    """
    import uuid

    from caserobot import scheduling

    api = scheduling.api_url()
    if not api or not is_healthy(f"{api}/health"):
        raise ApplicationException(f"Prefect-servern på {api or '(ingen)'} svarar inte")
    scheduling.ensure_work_pool()
    if reuse and any(w.status == "ONLINE" for w in scheduling.workers()):
        return None
    name = f"caserobot-{uuid.uuid4().hex[:8]}"
    env = {
        **isolated_env(settings),
        "PREFECT_API_URL": api,
        # The default (10 s) is most of the wait between "run now" and the run starting.
        "PREFECT_WORKER_QUERY_SECONDS": str(query_seconds),
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    cmd = [sys.executable, "-m", "prefect", "worker", "start"]
    cmd += ["--pool", scheduling.WORK_POOL, "--type", "process", "--name", name]
    proc = ManagedProcess("prefect-worker", cmd, settings.var_dir / "logs", env=env).start()
    deadline = time.monotonic() + 90
    # The worker has no health URL of its own; it is ready once Prefect lists it in the pool.
    while not any(w.name == name for w in scheduling.workers()):
        if proc.proc is not None and proc.proc.poll() is not None:
            raise ApplicationException(
                f"Prefect-workern avslutades direkt (kod {proc.proc.returncode}); "
                f"se {proc.log_path}"
            )
        if time.monotonic() > deadline:
            proc.stop()
            raise ApplicationException(f"Prefect-workern blev inte redo; se {proc.log_path}")
        time.sleep(0.5)
    return proc
