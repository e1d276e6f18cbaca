"""``CaseRobot``: the Robot Framework keyword library of caserobot's robots.

Thin by design: each keyword calls a service in ``caserobot`` and maps its errors to
Robot Framework's. The library doc builds with ``libdoc caserobot.robotlib.CaseRobot``.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

from robot.api import Failure, logger
from robot.api.deco import keyword, library

from caserobot import credentials, logs
from caserobot.exceptions import CaseRobotError
from caserobot.personnummer import mask
from caserobot.robotlog import JOURNAL, Journal
from caserobot.settings import get_settings


@library(scope="GLOBAL", auto_keywords=False)
class CaseRobot:
    """Processes caserobot work items against the legacy systems.

    The work items come from caserobot's durable queue (filled by the flow's intake step);
    each is read from the e-service, checked against the case system's web UI and the
    registers, decided by the case type's rules and written back into the case system.

    Example:
    | ${stats}= | Process Work Items | ${CASE_TYPE} | seats=4 |
    | Should Be Equal As Integers | ${stats}[application_errors] | 0 |
    """

    def __init__(self) -> None:
        logs.install()
        # Stored credentials (Prefect Secret block) win over the settings' case-system account.
        self._settings = credentials.apply(get_settings())

    @keyword("Process Work Items")
    def process_work_items(
        self,
        case_type: str,
        seats: int | None = None,
        mode: str = "fast",
        run_id: int | None = None,
        as_of: str | None = None,
        process: str | None = None,
    ) -> dict[str, Any]:
        """Claims and processes work items of ``case_type`` until none are left.

        Each item goes through ``process``, a user keyword of this suite whose body is the
        case type's steps in order (see the case type's ``tasks.robot``). The engine runs it
        for many items at once, one per seat, and logs every item as a task of its own in
        the child suite ``Ärenden`` (its steps, their times, the facts, the outcome, and the
        screens of a failure), added to output.xml by the listener
        ``caserobot.robotlog.WorkItemLog``.

        Args:
            case_type: An installed case type (``caserobot case-types``).
            seats: Case-system sessions to use side by side (default: the seat limit).
            mode: ``fast`` fetches read-only screens through the browser session and renders
                only forms that need JavaScript; ``classic`` renders every screen.
            run_id: The registry run these items are processed in.
            as_of: Decision date ``YYYY-MM-DD`` (default: today).
            process: The user keyword that is the process (default: the one the case
                type's own robot names).

        Returns:
            A dictionary of counts (``decided``, ``referred``, ``business_exceptions``,
            ``application_errors``, ``processed``), ``pages``, ``api_calls`` and timings.

        Example:
        | ${stats}= | Process Work Items | ${CASE_TYPE} | seats=2 | as_of=2026-08-15 |
        """
        from caserobot.db import init_db
        from caserobot.queue import WorkQueue
        from caserobot.worker import RobotWorker

        def progress(event: str, data: dict[str, Any]) -> None:
            line = mask(f"{event}: {json.dumps(data, ensure_ascii=False, default=str)}")
            if event in {"started", "seat_unavailable", "waiting_for_seat"}:
                logger.console(line)
            logger.info(line)

        output_dir, suite_source = _robot_paths()
        journal = Journal(output_dir / JOURNAL) if output_dir is not None else None
        try:
            queue = WorkQueue(init_db(self._settings).sessions)
            worker = RobotWorker(
                self._settings,
                queue,
                case_type,
                seats=int(seats) if seats else None,
                mode=mode,  # type: ignore[arg-type]
                run_id=int(run_id) if run_id not in (None, "", "None") else None,
                as_of=date.fromisoformat(as_of) if as_of else None,
                progress=progress,
                tasks=suite_source if process else None,
                process_keyword=process or None,
                journal=journal,
                screenshots=output_dir,
            )
            stats = asyncio.run(worker.run()).as_dict()
        except CaseRobotError as exc:
            raise Failure(str(exc)) from None
        finally:
            if journal is not None:
                journal.close()
        logger.console(f"{case_type}: {json.dumps(stats, ensure_ascii=False)}")
        _save_stats(stats)
        if stats.get("stopped_reason"):
            logger.warn(f"Körningen slutade med ärenden kvar: {stats['stopped_reason']}")
        if stats.get("seat_failures"):
            failures = stats["seat_failures"]
            raise Failure(f"{len(failures)} robotplatser stoppade av fel: {failures[0]}")
        return stats


#: The worker's statistics, beside output.xml, for the flow's run record.
STATS_FILE = "worker-stats.json"


def _robot_paths() -> tuple[Path | None, Path | None]:
    """The run's output directory and the suite's file (None outside a Robot run)."""
    from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

    try:
        out = BuiltIn().get_variable_value("${OUTPUT_DIR}")
        source = BuiltIn().get_variable_value("${SUITE SOURCE}")
    except RobotNotRunningError:
        return None, None
    return (Path(str(out)) if out else None), (Path(str(source)) if source else None)


def _save_stats(stats: dict[str, Any]) -> None:
    out, _ = _robot_paths()
    if out is not None:
        path = out / STATS_FILE
        path.write_text(json.dumps(stats, ensure_ascii=False, default=str), encoding="utf-8")
