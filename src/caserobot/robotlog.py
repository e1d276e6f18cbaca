"""Each work item of a robot run as a task in Robot Framework's output.xml and log.html.

The engine runs many items at once, so Robot Framework does not execute their steps; it
reads the process (:mod:`caserobot.process`). The engine records what each item did
(:mod:`caserobot.itemlog`) into a journal beside output.xml, one JSON line per finished
item (:class:`Journal`), so memory stays flat however many items a run has. When Robot
Framework has written output.xml, :class:`WorkItemLog` (a listener, ``--listener
caserobot.robotlog.WorkItemLog``) adds the journal to it with Robot's result API as the
child suite ``Ärenden``: one task per item and attempt, its steps as keywords with their
real start times and durations, the facts as messages, the screens of a failure as
images. Robot then writes log.html and report.html from that output.xml, as always.

Task status: PASS, decided (or a caseworker's decision written); SKIP, handed over to a
caseworker (the rules referred it, or the application was wrong); FAIL, a system error
(the item waits and is tried again, or was given up for the administrator). Tags say the
outcome (``utfall:granted``), the reason (``orsak:…``) and the queue state (``kö:…``), so
report.html counts them by tag.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

#: The journal's file name in the run's output directory.
JOURNAL = "work-items.jsonl"
#: The child suite the items go into.
SUITE = "Ärenden"


class Journal:
    """Finished items, appended as JSON lines (thread-safe; flushed per item)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file = path.open("a", encoding="utf-8")

    def __call__(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False, default=str)
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._file.close()


def read(path: Path) -> Iterator[dict[str, Any]]:
    """The journal's items; a last line cut off by a crash is skipped."""
    if not path.exists():
        return
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            try:
                yield json.loads(line)
            except json.JSONDecodeError:
                continue


def add_to_output(output: Path, journal: Path) -> int:
    """Add the journal's items to ``output`` (an output.xml) as tasks. Returns how many.

    Uses Robot Framework's result API (:func:`robot.api.ExecutionResult`, the result
    model's ``create`` methods and ``save``), so statistics and the schema stay Robot's.
    """
    from robot.api import ExecutionResult

    result = ExecutionResult(str(output))
    suite = result.suite.suites.create(
        name=SUITE,
        doc="Ett arbetsobjekt per uppgift: robotens steg med tider, fakta och utfall.",
    )
    count = 0
    for record in read(journal):
        _add_item(suite, record)
        count += 1
    if count == 0:
        return 0
    suite.start_time = min(t.start_time for t in suite.tests)
    suite.end_time = max(t.end_time for t in suite.tests)
    result.save()
    return count


def _add_item(suite: Any, record: dict[str, Any]) -> None:
    start = _local(record["start"])
    test = suite.tests.create(
        name=record["name"],
        doc=f"Arbetsobjekt {record['item_id']} · {record['application_id']}",
        tags=record.get("tags", []),
        status=record["status"],
        message=record.get("message", ""),
        start_time=start,
        elapsed_time=timedelta(milliseconds=record["elapsed_ms"]),
    )
    for step in record.get("steps", []):
        _add_step(test.body, step)
    shots = record.get("screenshots") or []
    if shots:
        kw = test.body.create_keyword(
            name="Skärmbilder vid felet",
            status="FAIL",
            start_time=test.end_time,
            elapsed_time=timedelta(0),
        )
        for shot in shots:
            name = html.escape(shot)
            kw.body.create_message(
                message=f'{name}<br><a href="{name}"><img src="{name}" width="800"></a>',
                level="INFO",
                html=True,
                timestamp=test.end_time,
            )
    if record["status"] != "PASS" or not record.get("steps"):
        level = {"FAIL": "FAIL", "SKIP": "SKIP"}.get(record["status"], "INFO")
        test.body.create_message(message=record.get("message", ""), level=level, timestamp=start)


def _add_step(body: Any, step: dict[str, Any]) -> None:
    kw = body.create_keyword(
        name=step["name"],
        args=step.get("args", []),
        status=step["status"],
        start_time=_local(step["start"]),
        elapsed_time=timedelta(milliseconds=step["elapsed_ms"]),
    )
    for child in step.get("body", []):
        _add_step(kw.body, child)
    for timestamp, level, text, is_html in step.get("messages", []):
        kw.body.create_message(
            message=text, level=level, html=bool(is_html), timestamp=_local(timestamp)
        )


def _local(iso: str) -> datetime:
    """Robot Framework's timestamps are local time without a zone."""
    return datetime.fromisoformat(iso).astimezone().replace(tzinfo=None)


class WorkItemLog:
    """Listener (API v3): adds the run's work items to output.xml before log.html is made.

    Robot Framework calls ``output_file`` once output.xml is complete, then writes
    log.html and report.html from the file (``robot/run.py``), so the items show in both.
    ``robots.run_robot`` passes it; by hand: ``--listener caserobot.robotlog.WorkItemLog``.
    """

    ROBOT_LISTENER_API_VERSION = 3

    def output_file(self, path: str) -> None:
        output = Path(path)
        journal = output.parent / JOURNAL
        if journal.exists():
            add_to_output(output, journal)
