"""The registry: legacy systems, robots, their runs, and the caseworkers' exception queue.

Every function takes the sessionmaker of a migrated database (``init_db().sessions``) as
its first argument, runs in its own transaction, and returns frozen records from
:mod:`caserobot.records`, never ORM objects.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import psutil
from pydantic_core import to_jsonable_python
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from caserobot.db import read_session, utcnow, write_session
from caserobot.db.models import (
    LEGACY_SYSTEM_KINDS,
    ROBOT_STATUSES,
    RUN_STATUSES,
    ExceptionItemRow,
    LegacySystemRow,
    RobotRow,
    RunRow,
)
from caserobot.exceptions import CaseRobotError
from caserobot.records import (
    ExceptionItem,
    ExceptionStatus,
    LegacySystem,
    LegacySystemKind,
    Robot,
    RobotStatus,
    Run,
    RunStatus,
)

__all__ = [
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

Sessions = sessionmaker[Session]

#: How often the process that owns a running run records that it is alive (seconds).
HEARTBEAT_S = 10.0
#: A run on another host whose owner has not been heard from for this long has crashed.
#: On the owner's own host the process table answers at once (see :func:`mark_crashed_runs`).
STALE_AFTER_S = 90.0


class NotRegistered(CaseRobotError, LookupError):
    """A robot, run, legacy system or exception item that the registry does not know."""

    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"unknown {kind}: {key!r}")


# -- legacy systems ----------------------------------------------------------------------


def register_legacy_system(
    sessions: Sessions,
    name: str,
    kind: LegacySystemKind,
    base_url: str,
    *,
    seat_limit: int | None = None,
    description: str = "",
    opening_hours: str | None = None,
) -> LegacySystem:
    """Add a legacy system, or update the one with this name.

    ``opening_hours`` (``"HH:MM-HH:MM"``) is only changed when given, so an administrator's
    setting survives the robot registering its systems again at the start of each run.
    """
    _check(kind, LEGACY_SYSTEM_KINDS, "legacy system kind")
    now = utcnow()
    with write_session(sessions) as session:
        row = session.scalar(select(LegacySystemRow).where(LegacySystemRow.name == name))
        if row is None:
            row = LegacySystemRow(name=name, created_at=now)
            session.add(row)
        row.kind = kind
        row.base_url = base_url
        row.seat_limit = seat_limit
        row.description = description
        if opening_hours is not None:
            row.opening_hours = opening_hours or None
        row.updated_at = now
        session.flush()
        return LegacySystem.model_validate(row)


def report_system_health(
    sessions: Sessions, base_url: str, *, down: bool, failure: str | None = None
) -> None:
    """A robot's circuit breaker saw the system at ``base_url`` go down or come back.

    For the administrator's view of the legacy systems. Keeps the first ``down_since`` of
    an outage; a system not in the registry is ignored.
    """
    now = utcnow()
    with write_session(sessions) as session:
        query = select(LegacySystemRow).where(LegacySystemRow.base_url == base_url.rstrip("/"))
        for row in session.scalars(query):
            _health(row, now, down, failure)


def _health(row: LegacySystemRow, now: datetime, down: bool, failure: str | None) -> None:
    row.health_at = now
    if down:
        row.down_since = row.down_since or now
        row.last_failure = (failure or "")[:1000]
    else:
        row.down_since = None


def get_legacy_system(sessions: Sessions, name: str) -> LegacySystem | None:
    with read_session(sessions) as session:
        row = session.scalar(select(LegacySystemRow).where(LegacySystemRow.name == name))
        return LegacySystem.model_validate(row) if row is not None else None


def list_legacy_systems(sessions: Sessions) -> list[LegacySystem]:
    with read_session(sessions) as session:
        rows = session.scalars(select(LegacySystemRow).order_by(LegacySystemRow.name))
        return [LegacySystem.model_validate(row) for row in rows]


# -- robots ------------------------------------------------------------------------------


def register_robot(
    sessions: Sessions,
    name: str,
    version: str,
    owner: str,
    case_type: str,
    legacy_systems: Iterable[str] = (),
    description: str = "",
) -> Robot:
    """Add a robot, or update the one with this name (version, owner, …).

    Re-registering keeps the robot's status: a paused robot stays paused.
    """
    now = utcnow()
    with write_session(sessions) as session:
        row = session.scalar(select(RobotRow).where(RobotRow.name == name))
        if row is None:
            row = RobotRow(name=name, status="active", created_at=now)
            session.add(row)
        row.version = version
        row.owner = owner
        row.case_type = case_type
        row.legacy_systems = list(legacy_systems)
        row.description = description
        row.updated_at = now
        session.flush()
        return Robot.model_validate(row)


def set_robot_status(sessions: Sessions, name: str, status: RobotStatus) -> Robot:
    """Pause or resume a robot. Raises :class:`NotRegistered` for an unknown robot."""
    _check(status, ROBOT_STATUSES, "robot status")
    with write_session(sessions) as session:
        row = _robot_row(session, name)
        row.status = status
        row.updated_at = utcnow()
        session.flush()
        return Robot.model_validate(row)


def get_robot(sessions: Sessions, name: str) -> Robot | None:
    """The robot with its last run, or None."""
    mark_crashed_runs(sessions, name)
    with read_session(sessions) as session:
        row = session.scalar(select(RobotRow).where(RobotRow.name == name))
        if row is None:
            return None
        return _robot(row, _last_runs(session, [name]).get(name))


def list_robots(sessions: Sessions) -> list[Robot]:
    """Every robot, by name, each with its last run (``Robot.last_run``)."""
    mark_crashed_runs(sessions)
    with read_session(sessions) as session:
        rows = list(session.scalars(select(RobotRow).order_by(RobotRow.name)))
        last = _last_runs(session, [row.name for row in rows])
        return [_robot(row, last.get(row.name)) for row in rows]


# -- runs --------------------------------------------------------------------------------


def start_run(
    sessions: Sessions, robot: str, trigger: str, prefect_flow_run_id: str | None = None
) -> Run:
    """Record that ``robot`` starts running now (status ``running``), owned by this process.

    The run records this host and process id; the owner keeps it alive with
    :func:`heartbeat`. Earlier runs of the robot whose owner is gone are marked ``crashed``
    first.

    Args:
        trigger: what started it, e.g. ``"manual"``, ``"schedule"``, ``"cli"``.

    Raises:
        NotRegistered: the robot is not registered.
    """
    mark_crashed_runs(sessions, robot)
    now = utcnow()
    with write_session(sessions) as session:
        _robot_row(session, robot)
        row = RunRow(
            robot=robot,
            trigger=trigger,
            prefect_flow_run_id=prefect_flow_run_id,
            status="running",
            started_at=now,
            stats={},
            host=socket.gethostname(),
            pid=os.getpid(),
            heartbeat_at=now,
        )
        session.add(row)
        session.flush()
        return Run.model_validate(row)


def finish_run(
    sessions: Sessions,
    run_id: int,
    status: RunStatus,
    stats: Mapping[str, Any] | None = None,
    output_dir: str | None = None,
) -> Run:
    """Record the end of a run: its final status, statistics and output directory.

    Raises:
        NotRegistered: no run with this id.
    """
    _check(status, RUN_STATUSES, "run status")
    with write_session(sessions) as session:
        row = session.get(RunRow, run_id)
        if row is None:
            raise NotRegistered("run", run_id)
        row.status = status
        row.finished_at = utcnow()
        if stats is not None:
            row.stats = to_jsonable_python(dict(stats))
        if output_dir is not None:
            row.output_dir = str(output_dir)
        session.flush()
        return Run.model_validate(row)


def heartbeat(sessions: Sessions, run_id: int) -> bool:
    """Record that the run's owner is alive now; False once the run is no longer running."""
    with write_session(sessions) as session:
        result = session.execute(
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.status == "running")
            .values(heartbeat_at=utcnow())
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def mark_crashed_runs(sessions: Sessions, robot: str | None = None) -> list[int]:
    """Mark ``crashed`` every running run (of ``robot``, or of all) whose owner is gone.

    The owner is gone when, on this host, its process no longer exists (or the process id
    now belongs to a process started after the run); a run owned by another host (or
    recorded without an owner) is gone when its last heartbeat is older than
    :data:`STALE_AFTER_S`. Returns the ids marked. Called by :func:`start_run`,
    :func:`list_runs`, :func:`get_run`, :func:`get_robot` and :func:`list_robots`.
    """
    query = select(RunRow.id, RunRow.host, RunRow.pid, RunRow.started_at, RunRow.heartbeat_at)
    query = query.where(RunRow.status == "running")
    if robot is not None:
        query = query.where(RunRow.robot == robot)
    now = utcnow()
    with read_session(sessions) as session:
        running = list(session.execute(query))
    gone = {
        row.id: reason
        for row in running
        if (reason := _owner_gone(row.host, row.pid, row.started_at, row.heartbeat_at, now))
    }
    if not gone:
        return []
    with write_session(sessions) as session:
        for run_id, reason in gone.items():
            row = session.get(RunRow, run_id)
            if row is None or row.status != "running":
                continue
            row.status = "crashed"
            row.finished_at = now
            row.stats = {**(row.stats or {}), "crash_reason": reason}
    return sorted(gone)


def get_run(sessions: Sessions, run_id: int) -> Run | None:
    mark_crashed_runs(sessions)
    with read_session(sessions) as session:
        row = session.get(RunRow, run_id)
        return Run.model_validate(row) if row is not None else None


def list_runs(sessions: Sessions, robot: str | None = None, limit: int = 20) -> list[Run]:
    """The newest runs first, of one robot or of all (crashed runs marked first)."""
    mark_crashed_runs(sessions, robot)
    query = select(RunRow).order_by(RunRow.started_at.desc(), RunRow.id.desc()).limit(limit)
    if robot is not None:
        query = query.where(RunRow.robot == robot)
    with read_session(sessions) as session:
        return [Run.model_validate(row) for row in session.scalars(query)]


# -- the caseworkers' exception queue ----------------------------------------------------


def list_exception_items(
    sessions: Sessions,
    case_type: str | None = None,
    status: ExceptionStatus | None = "open",
) -> list[ExceptionItem]:
    """Exception items, oldest first; ``status=None`` lists every status."""
    query = select(ExceptionItemRow).order_by(ExceptionItemRow.id)
    if case_type is not None:
        query = query.where(ExceptionItemRow.case_type == case_type)
    if status is not None:
        query = query.where(ExceptionItemRow.status == status)
    with read_session(sessions) as session:
        return [ExceptionItem.model_validate(row) for row in session.scalars(query)]


def resolve_exception_item(
    sessions: Sessions, exception_id: int, resolved_by: str | None = None
) -> ExceptionItem:
    """Mark an exception item handled by a caseworker.

    Raises:
        NotRegistered: no exception item with this id.
    """
    with write_session(sessions) as session:
        row = session.get(ExceptionItemRow, exception_id)
        if row is None:
            raise NotRegistered("exception item", exception_id)
        row.status = "resolved"
        row.resolved_at = utcnow()
        row.resolved_by = resolved_by
        session.flush()
        return ExceptionItem.model_validate(row)


# -- internals ---------------------------------------------------------------------------


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}, not {value!r}")


def _owner_gone(
    host: str | None,
    pid: int | None,
    started_at: datetime,
    heartbeat_at: datetime | None,
    now: datetime,
) -> str | None:
    """Why the run's owner is gone, in Swedish, or None while it may be alive."""
    if host == socket.gethostname() and pid:
        try:
            process = psutil.Process(pid)
            reused = process.create_time() > started_at.timestamp() + 1
            if process.status() != psutil.STATUS_ZOMBIE and not reused:
                return None
        except psutil.AccessDenied:  # another user's process: it exists
            return None
        except psutil.NoSuchProcess:  # includes a zombie
            pass
        return f"processen {pid} på {host} finns inte längre"
    last = heartbeat_at or started_at
    if now - last > timedelta(seconds=STALE_AFTER_S):
        where = f"processen {pid} på {host}" if host else "körningen"
        return f"{where} har inte hörts av sedan {last:%Y-%m-%d %H:%M:%S} UTC"
    return None


def _robot_row(session: Session, name: str) -> RobotRow:
    row = session.scalar(select(RobotRow).where(RobotRow.name == name))
    if row is None:
        raise NotRegistered("robot", name)
    return row


def _last_runs(session: Session, robots: list[str]) -> dict[str, Run]:
    if not robots:
        return {}
    newest = (
        select(RunRow.robot, func.max(RunRow.id).label("id"))
        .where(RunRow.robot.in_(robots))
        .group_by(RunRow.robot)
        .subquery()
    )
    rows = session.scalars(select(RunRow).join(newest, RunRow.id == newest.c.id))
    return {row.robot: Run.model_validate(row) for row in rows}


def _robot(row: RobotRow, last_run: Run | None) -> Robot:
    robot = Robot.model_validate(row)
    return robot.model_copy(update={"last_run": last_run}) if last_run else robot
