"""Prefect process workers on caserobot's work pool (``caserobot worker``, the demo's).

A municipality may run several workers on purpose: two processes on one machine, or one per
machine. Each polls the same work pool; Prefect hands each flow run to one worker (the one
whose move to ``Pending`` it accepts first). What a robot may use of a legacy system is not
the worker's business: the robot's flow holds slots of Prefect's global concurrency limit
``legacy-<system>`` (:mod:`caserobot.orchestration`), whichever worker runs it.

A worker has a name in Prefect, and one name must not run twice: Prefect would show two
processes as one worker. The guard, in this order:

1. a lock file ``var/prefect/workers/<name>.lock`` (``flock``), held by the process that
   started the worker and by the worker process itself, so it is free again as soon as
   both are gone, however they ended;
2. Prefect's list of the pool's workers: a worker of that name shown online counts as
   running, unless the lock file says its last holder was this host. Then it is one that
   stopped here a moment ago: Prefect shows a stopped worker online until it has missed
   three heartbeats (90 s).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import socket
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import IO

from caserobot.exceptions import ApplicationException, InputError
from caserobot.runtime import ManagedProcess, is_healthy, isolated_env
from caserobot.settings import Settings

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")
READY_TIMEOUT_S = 90.0


class WorkerProcess(ManagedProcess):
    """A ``prefect worker start`` process; stopping it frees its name."""

    def __init__(self, settings: Settings, name: str, cmd: list[str], env: dict[str, str]):
        super().__init__(f"prefect-worker-{name}", cmd, settings.var_dir / "logs", env=env)
        self.worker_name = name
        self.lock: IO[str] | None = None

    def stop(self, grace_s: float = 10.0) -> None:
        super().stop(grace_s)
        if self.lock is not None:
            self.lock.close()  # the worker is gone too: the name is free
            self.lock = None


def default_worker_name() -> str:
    """``caserobot-<host>``: one worker per machine needs no name of its own."""
    host = re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname().split(".")[0]) or "host"
    return f"caserobot-{host}"[:63]


def check_worker_name(name: str) -> str:
    """A worker name that is also a file name: letters, digits, ``.``, ``-``, ``_``.

    Raises:
        InputError: anything else.
    """
    if not _NAME.match(name):
        raise InputError(
            "--name",
            f"'{name}': bokstäver, siffror, '.', '-' och '_', högst 63 tecken, "
            "först en bokstav eller siffra",
        )
    return name


def start_worker(
    settings: Settings,
    *,
    name: str | None = None,
    limit: int | None = None,
    query_seconds: int = 1,
    reuse: bool = True,
) -> WorkerProcess | None:
    """Start a Prefect process worker on caserobot's work pool.

    The worker runs the schedules' flow runs (see :mod:`caserobot.scheduling`) as child
    processes in its own process group, so :meth:`WorkerProcess.stop` ends them with it.
    Needs a reachable Prefect server (``PREFECT_API_URL``, see
    :func:`caserobot.runtime.start_prefect_server`).

    Args:
        name: Its name in Prefect. Default: :func:`default_worker_name`, or with
            ``reuse=False`` that and a random suffix (the demo, which restarts everything,
            gets a fresh name each time).
        limit: The most flow runs it runs at once (Prefect's ``--limit``); None: no limit.
            With a limit, flow runs it cannot take wait for another worker.
        query_seconds: How often it asks for flow runs; Prefect's default (10 s) is most
            of the wait between "run now" and the run starting.
        reuse: When a worker of that name runs already: True returns None (that one
            will do), False raises.

    Returns:
        The started worker (the caller stops it), or None (see ``reuse``).

    Raises:
        InputError: a bad name or limit.
        ApplicationException: Prefect does not answer, the name is taken (``reuse=False``),
            or the worker does not start.
    """
    from prefect.settings import get_current_settings

    from caserobot import scheduling

    if name is None:
        name = default_worker_name() + ("" if reuse else f"-{uuid.uuid4().hex[:8]}")
    check_worker_name(name)
    if limit is not None and limit < 1:
        raise InputError("--limit", "minst 1")
    api = scheduling.api_url()
    if not api or not is_healthy(f"{api}/health"):
        raise ApplicationException(f"Prefect-servern på {api or '(ingen)'} svarar inte")
    scheduling.ensure_work_pool()
    lock, taken = _claim(settings, name)
    if lock is None:
        if reuse:
            return None
        raise ApplicationException(f"{taken}; ge den här workern ett annat namn med --name")
    # The worker's flow runs inherit its environment: the auth string goes there, never into
    # a deployment's job variables (Prefect shows those in its UI).
    auth = get_current_settings().api.auth_string
    env = {
        **isolated_env(settings),
        "PREFECT_API_URL": api,
        **({"PREFECT_API_AUTH_STRING": auth.get_secret_value()} if auth else {}),
        "PREFECT_WORKER_QUERY_SECONDS": str(query_seconds),
        "PREFECT_LOGGING_LEVEL": "INFO",
    }
    cmd = [sys.executable, "-m", "prefect", "worker", "start"]
    cmd += ["--pool", scheduling.WORK_POOL, "--type", "process", "--name", name]
    cmd += ["--limit", str(limit)] if limit else []
    proc = WorkerProcess(settings, name, cmd, env)
    proc.lock, proc.pass_fds = lock, (lock.fileno(),)  # the worker holds its name too
    try:
        before = {w.name: w.last_heartbeat for w in scheduling.workers()}.get(name)
        proc.start()
        _hold(lock, proc)
        _wait_ready(proc, before)
    except BaseException:
        proc.stop()
        raise
    return proc


def _claim(settings: Settings, name: str) -> tuple[IO[str] | None, str]:
    """Lock the name for this process: (the lock file, "") or (None, why it is taken)."""
    from caserobot import scheduling

    path = settings.var_dir / "prefect" / "workers" / f"{name}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o600), "r+", encoding="utf-8")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(lock)
        lock.close()
        pid = holder.get("worker_pid") or holder.get("pid") or "?"
        return None, f"workern {name} kör redan på den här datorn (pid {pid})"
    last_here = _holder(lock).get("host") == socket.gethostname()
    try:
        online = [w for w in scheduling.workers() if w.name == name and w.status == "ONLINE"]
    except BaseException:
        lock.close()
        raise
    if online and not last_here:
        lock.close()
        seen = online[0].last_heartbeat
        when = f", senaste livstecken {seen.astimezone():%H:%M:%S}" if seen else ""
        return None, (
            f"en worker med namnet {name} är online i Prefect{when} (en annan dator eller "
            "var-katalog, eller en som stoppades nyss: Prefect visar den online i upp till 90 s)"
        )
    return lock, ""


def _holder(lock: IO[str]) -> dict[str, object]:
    """Who holds (or last held) the name, as the lock file says."""
    with contextlib.suppress(ValueError):
        lock.seek(0)
        data = json.loads(lock.read() or "{}")
        return data if isinstance(data, dict) else {}
    return {}


def _hold(lock: IO[str], proc: WorkerProcess) -> None:
    lock.seek(0)
    lock.truncate()
    holder = {
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "worker_pid": proc.proc.pid if proc.proc else None,
        "since": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    lock.write(json.dumps(holder))
    lock.flush()


def _wait_ready(proc: WorkerProcess, before: datetime | None) -> None:
    """The worker has no health URL of its own: it is ready once Prefect lists it with a
    heartbeat newer than any its name had before it started."""
    from caserobot import scheduling

    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        seen = {w.name: w.last_heartbeat for w in scheduling.workers()}
        if proc.worker_name in seen and seen[proc.worker_name] != before:
            return
        if proc.proc is not None and proc.proc.poll() is not None:
            raise ApplicationException(
                f"Prefect-workern {proc.worker_name} avslutades direkt (kod "
                f"{proc.proc.returncode}); se {proc.log_path}"
            )
        if time.monotonic() > deadline:
            raise ApplicationException(
                f"Prefect-workern {proc.worker_name} blev inte redo; se {proc.log_path}"
            )
        time.sleep(0.5)
