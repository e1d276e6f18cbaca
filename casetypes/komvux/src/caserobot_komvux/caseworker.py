"""A caseworker's decision on a Komvux course choice, written back into the case system once."""

from __future__ import annotations

from typing import Any

from caserobot.cases.base import WorkContext
from caserobot.cases.caseworker import (
    ActionWritten,
    personnummer_of,
    write_decision_once,
)
from caserobot.cases.writeback import find_or_create_case

CASE_TYPE = "komvux"


async def write_action(ctx: WorkContext, p: dict[str, Any]) -> ActionWritten:
    """Write a caseworker's decision on one course choice once (caserobot.cases.caseworker).

    The case is the item's (found by the item's reference, ``<application>/<priority>``),
    created if the robot stopped before it made one.
    """
    case_id = p.get("legacy_case_id")
    if not case_id:
        applicant = (p.get("application") or {}).get("applicant") or {}
        pnr = personnummer_of(applicant.get("personnummer"), "sökandens")
        case_id = (await find_or_create_case(ctx, pnr, CASE_TYPE, ctx.application_id)).case_id
    return await write_decision_once(ctx, p, case_id)
