"""The robot administrator's actions: pause and resume robots, a legacy system's seat limit
and opening hours, retrying a run's failed work items, and the files a run left behind.

Each action is written to the audit log in the transaction of the change it records. The
web UI (pages and ``/api``) calls these; they never reach into the web layer.
"""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from caserobot import audit, gate, registry
from caserobot.db import utcnow, write_session
from caserobot.db.models import LegacySystemRow
from caserobot.exceptions import InputError
from caserobot.queue import WorkQueue
from caserobot.records import LegacySystem, Robot
from caserobot.registry import NotRegistered

__all__ = [
    "RUN_FILES",
    "parse_opening_hours",
    "retry_failed",
    "run_file",
    "set_robot_status",
    "update_legacy_system",
]

Sessions = sessionmaker[Session]

#: Robot Framework's output files of a run that the administrator may open.
RUN_FILES = ("log.html", "report.html", "output.xml")
#: The parts log.html loads (``--splitlog``) and the screens of failed items it shows.
RUN_PARTS = re.compile(r"log-\d{1,7}\.js|skarm-\d{1,12}-\d{1,4}-[a-z-]{1,20}\.png")


def parse_opening_hours(text: str) -> str | None:
    """Opening hours normalised (see :mod:`caserobot.gate` for the format), or None if empty.

    Raises:
        InputError: anything else, naming the field ``opening_hours``.
    """
    hours = gate.parse_opening_hours(text)
    return hours.text if hours else None


def set_robot_status(
    sessions: Sessions, name: str, status: str, *, actor: str, client: str | None = None
) -> Robot:
    """Pause (``"paused"``) or resume (``"active"``) a robot.

    Raises:
        NotRegistered: no such robot.
    """
    before = registry.get_robot(sessions, name)
    if before is None:
        raise NotRegistered("robot", name)
    robot = registry.set_robot_status(sessions, name, status)  # type: ignore[arg-type]
    audit.record_now(
        sessions,
        actor=actor,
        action="robot.resume" if status == "active" else "robot.pause",
        target=f"robot:{name}",
        before={"status": before.status},
        after={"status": robot.status},
        client=client,
    )
    return robot


def update_legacy_system(
    sessions: Sessions,
    name: str,
    *,
    seat_limit: int | None,
    opening_hours: str | None,
    actor: str,
    client: str | None = None,
) -> LegacySystem:
    """Change a legacy system's seat limit and opening hours.

    A new seat limit is set on Prefect's global concurrency limit ``legacy-<name>`` before
    the transaction commits: if Prefect does not answer, nothing changes.

    Raises:
        NotRegistered: no such legacy system.
        InputError: a bad seat limit or opening hours.
        ApplicationException: Prefect's API does not answer.
    """
    from caserobot import orchestration  # Prefect is imported only when needed

    hours = parse_opening_hours(opening_hours or "")
    with write_session(sessions) as session:
        row = session.scalar(select(LegacySystemRow).where(LegacySystemRow.name == name))
        if row is None:
            raise NotRegistered("legacy system", name)
        if seat_limit is not None and not 1 <= seat_limit <= 100:
            raise InputError("seat_limit", "antalet licenser måste vara mellan 1 och 100")
        if seat_limit is None and row.seat_limit is not None:
            raise InputError("seat_limit", "systemet är licensbegränsat: ange antal licenser")
        if seat_limit is not None and row.seat_limit is None:
            raise InputError("seat_limit", "systemet har ingen licensbegränsning att ändra")
        before = {"seat_limit": row.seat_limit, "opening_hours": row.opening_hours}
        after = {"seat_limit": seat_limit, "opening_hours": hours}
        if before == after:
            return LegacySystem.model_validate(row)
        row.seat_limit = seat_limit
        row.opening_hours = hours
        row.updated_at = utcnow()
        audit.record(
            session,
            actor=actor,
            action="legacy_system.update",
            target=f"legacy_system:{name}",
            before=before,
            after=after,
            client=client,
        )
        session.flush()
        if seat_limit is not None and seat_limit != before["seat_limit"]:
            orchestration.sync_seat_limit(name, seat_limit)  # raises: the transaction rolls back
        return LegacySystem.model_validate(row)


def retry_failed(sessions: Sessions, run_id: int, *, actor: str, client: str | None = None) -> int:
    """Put the run's abandoned work items back in the queue; the robot's next run takes them.

    Returns how many items were re-queued.

    Raises:
        NotRegistered: no such run (or its robot is gone).
    """
    run = registry.get_run(sessions, run_id)
    if run is None:
        raise NotRegistered("run", run_id)
    robot = registry.get_robot(sessions, run.robot)
    if robot is None:
        raise NotRegistered("robot", run.robot)
    queue = WorkQueue(sessions)
    ids = [item.id for item in queue.items(run_id=run_id, state="abandoned")]
    count = queue.retry_abandoned(robot.case_type, ids) if ids else 0
    audit.record_now(
        sessions,
        actor=actor,
        action="run.retry_failed",
        target=f"run:{run_id}",
        after={"requeued": count, "work_items": ids},
        client=client,
    )
    return count


def run_file(sessions: Sessions, run_id: int, filename: str) -> Path | None:
    """The path of one of :data:`RUN_FILES` (or :data:`RUN_PARTS`) in the run's output
    directory, if it exists.

    Only those names are served, and only from the directory the registry
    holds for the run, so no other file can be reached.
    """
    if filename not in RUN_FILES and not RUN_PARTS.fullmatch(filename):
        return None
    run = registry.get_run(sessions, run_id)
    if run is None or not run.output_dir:
        return None
    directory = Path(run.output_dir).resolve()
    path = (directory / filename).resolve()
    if path.parent != directory or not path.is_file():
        return None
    return path
