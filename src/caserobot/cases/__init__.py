"""Case types: each package's handler collects its facts and acts on its decision.

Handlers are found through :mod:`caserobot.discovery`; nothing here names a case type.
"""

from __future__ import annotations

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


def handler_for(case_type: str) -> CaseHandler:
    """A new handler of an installed case type. Raises InputError if none is installed."""
    handler: CaseHandler = discovery.package(case_type).new_handler()
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
