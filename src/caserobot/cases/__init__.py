"""Case types: each package's handler collects its facts and acts on its decision.

Handlers are found through :mod:`caserobot.discovery`; nothing here names a case type.
"""

from __future__ import annotations

from pathlib import Path

from caserobot import discovery
from caserobot.cases.base import (
    CaseHandler,
    Decided,
    Facts,
    Referred,
    SeatSessions,
    Systems,
    WorkContext,
)


def handler_for(
    case_type: str, tasks: Path | None = None, keyword: str | None = None
) -> CaseHandler:
    """A new handler of an installed case type. Raises InputError if none is installed.

    ``tasks``/``keyword``: the robot suite and process keyword to run (by default the
    case type's own robot's).
    """
    handler: CaseHandler = discovery.package(case_type).new_handler(tasks, keyword)
    return handler


__all__ = [
    "CaseHandler",
    "Decided",
    "Facts",
    "Referred",
    "SeatSessions",
    "Systems",
    "WorkContext",
    "handler_for",
]
