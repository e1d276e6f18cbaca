"""A caseworker's decision on a skolskjuts case, written back into the case system once."""

from __future__ import annotations

from typing import Any

from caserobot.cases.base import WorkContext
from caserobot.cases.caseworker import (
    ActionRefused,
    ActionWritten,
    personnummer_of,
    write_decision_once,
)

CASE_TYPE = "skolskjuts"


async def write_action(ctx: WorkContext, p: dict[str, Any]) -> ActionWritten:
    """Write a caseworker's decision on a skolskjuts case once (see caserobot.cases.caseworker)."""
    case_id = p.get("legacy_case_id") or await _case(ctx, p)
    return await write_decision_once(ctx, p, case_id)


async def _case(ctx: WorkContext, p: dict[str, Any]) -> str:
    """The case of an item that stopped before the robot found it: found, else created."""
    app = p.get("application") or {}
    pnr = personnummer_of((app.get("child") or {}).get("personnummer"), "elevens")
    pupil = await ctx.session.pupil(pnr)
    if pupil is None:
        raise ActionRefused("eleven finns inte i ärendesystemet; beslut kan inte skrivas")
    app_id = str(app.get("id") or "")
    found = next(
        (c for c in pupil.cases if c.extern_ref == app_id and c.case_type == CASE_TYPE), None
    )
    if found is not None:
        return found.case_id
    return (await ctx.session.create_case(pnr, CASE_TYPE, app_id)).case_id
