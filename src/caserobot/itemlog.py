"""What one work item did, step by step, for the robot's log.html.

The engine records each item's steps as they run (:class:`ItemLog`: start, duration,
status, the facts each step collected, the error that ended it); :mod:`caserobot.robotlog`
writes them into Robot Framework's ``output.xml`` as one task per item.
"""

from __future__ import annotations

import contextvars
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from caserobot.exceptions import BusinessException
from caserobot.personnummer import mask


@dataclass
class StepRecord:
    name: str
    start: datetime
    args: list[str] = field(default_factory=list)
    elapsed_ms: float = 0.0
    status: str = "PASS"  # PASS / FAIL
    # (time, level, text, html)
    messages: list[tuple[str, str, str, bool]] = field(default_factory=list)
    body: list[StepRecord] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "args": self.args,
            "start": self.start.isoformat(),
            "elapsed_ms": round(self.elapsed_ms, 1),
            "status": self.status,
            "messages": self.messages,
            "body": [s.as_dict() for s in self.body],
        }


_current: contextvars.ContextVar[StepRecord | None] = contextvars.ContextVar(
    "caserobot_step", default=None
)


class ItemLog:
    """The steps of one work item as they ran: start, duration, status and messages.

    Steps side by side run in their own asyncio tasks; each task sees its own current step
    (a context variable), so a fact lands under the step that collected it.
    """

    def __init__(self) -> None:
        self.started = datetime.now(UTC)
        self._t0 = time.perf_counter()
        self.steps: list[StepRecord] = []

    @contextmanager
    def step(self, name: str, args: list[str] | None = None) -> Iterator[StepRecord]:
        parent = _current.get()
        record = StepRecord(name, datetime.now(UTC), list(args or []))
        (parent.body if parent is not None else self.steps).append(record)
        token = _current.set(record)
        t0 = time.perf_counter()
        try:
            yield record
        except BaseException as exc:
            record.status = "FAIL"
            record.messages.append(_message("FAIL", _describe(exc)))
            raise
        finally:
            record.elapsed_ms = (time.perf_counter() - t0) * 1000
            _current.reset(token)

    def message(self, text: str, level: str = "INFO", html: bool = False) -> None:
        """A line under the step running now (or under the item, if none is)."""
        current = _current.get()
        if current is not None:
            current.messages.append(_message(level, text, html))

    def fact(self, name: str, value: Any, source: str) -> None:
        """A fact as the step that collected it shows it (personnummer masked)."""
        shown = json.dumps(value, ensure_ascii=False, default=str)
        if len(shown) > 2000:
            shown = shown[:2000] + " …"
        self.message(mask(f"{name} = {shown}  [{source}]"))

    def elapsed_ms(self) -> float:
        return (time.perf_counter() - self._t0) * 1000


def _message(level: str, text: str, html: bool = False) -> tuple[str, str, str, bool]:
    return (datetime.now(UTC).isoformat(), level, text, html)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BusinessException):  # "reason: detail (fält: …)": why it is handed over
        return mask(str(exc))
    return mask(f"{exc.__class__.__name__}: {exc}") if str(exc) else exc.__class__.__name__


def item_record(
    log: ItemLog,
    *,
    name: str,
    item_id: int,
    application_id: str,
    kind: str,
    status: str,
    message: str,
    tags: list[str],
    screenshots: list[str] | None = None,
) -> dict[str, Any]:
    """One line of the run's work-item journal: the item as a task of log.html.

    ``status``: ``PASS`` (decided, or a caseworker's decision written), ``SKIP`` (handed
    over to a caseworker) or ``FAIL`` (a system error: the item waits or was given up).
    """
    return {
        "name": mask(name),
        "item_id": item_id,
        "application_id": mask(application_id),
        "kind": kind,
        "start": log.started.isoformat(),
        "elapsed_ms": round(log.elapsed_ms(), 1),
        "status": status,
        "message": mask(message),
        "tags": tags,
        "screenshots": list(screenshots or []),
        "steps": [s.as_dict() for s in log.steps],
    }
