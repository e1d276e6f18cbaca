"""A caseworker's decision on a skolskjuts case, written back into the case system once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from caserobot.cases.base import WorkContext
from caserobot.cases.caseworker import (
    ActionRefused,
    ActionWritten,
    personnummer_of,
    same_motivering,
    written,
)
from caserobot.cases.writeback import outcome_of, settle, settle_deadline
from caserobot.exceptions import UnexpectedScreen, WriteOutcomeUnknown
from caserobot.legacy.casesystem.pages import SYSTEM

CASE_TYPE = "skolskjuts"


async def write_action(ctx: WorkContext, p: dict[str, Any]) -> ActionWritten:
    """Write a caseworker's decision on a skolskjuts case once (see caserobot.cases.caseworker)."""
    session = ctx.session
    case_id = p.get("legacy_case_id") or await _case(ctx, p)

    def read() -> Any:
        return session.case(case_id)

    case = await read()
    if (left := settle_deadline(ctx, "writing")) is not None and not case.decisions:
        case = await settle(ctx, read, lambda c: bool(c.decisions), left_s=left)
    outcome, text = p["outcome"], p["motivering"]
    if case.decisions:
        last = case.decisions[-1]
        if outcome_of(last.outcome) == outcome and same_motivering(last.motivering, text):
            return written(p, case_id, last.diarienummer, recovered=True)
        raise ActionRefused(
            f"ärende {case_id} har redan beslutet '{last.outcome}' ({last.diarienummer}) "
            "i ärendesystemet; handläggarens beslut skrevs inte"
        )
    await ctx.mark_step("writing")
    written_at = datetime.now(UTC)
    try:
        after = await session.write_decision(case_id, outcome, text)
    except WriteOutcomeUnknown:
        after = await settle(ctx, read, lambda c: bool(c.decisions), left_s=ctx.settle_s)
        if not after.decisions:
            raise
    last = after.decisions[-1] if after.decisions else None
    if last is None or outcome_of(last.outcome) != outcome or not last.diarienummer:
        raise UnexpectedScreen(
            "handläggarens beslut syns inte på ärendet efter sparande",
            system=SYSTEM,
            step="verifiering",
        )
    return written(p, case_id, last.diarienummer, recovered=False, at=written_at)

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
