"""A caseworker's decision on an ekonomiskt bistånd case, written back once: the decision
for the month and, for a grant, its payment order (see caserobot.cases.caseworker)."""

from __future__ import annotations

import re
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
from caserobot.cases.writeback import settle, settle_deadline
from caserobot.exceptions import UnexpectedScreen, WriteOutcomeUnknown
from caserobot.legacy.casesystem.pages import SYSTEM
from caserobot_ekonomiskt_bistand import pages as sp
from caserobot_ekonomiskt_bistand.screens import SocialServicesScreens

CASE_TYPE = "ekonomiskt_bistand"


async def write_action(ctx: WorkContext, p: dict[str, Any]) -> ActionWritten:
    """Write a caseworker's decision (and a grant's payment order) once, per month."""
    screens = SocialServicesScreens(ctx.session)
    app = p.get("application") or {}
    month = str(app.get("month") or "")
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
        raise ActionRefused("ansökan saknar giltig månad; beslut kan inte skrivas")
    pnr = personnummer_of((app.get("applicant") or {}).get("personnummer"), "sökandens")
    household = await screens.household(pnr)
    if household is None:
        raise ActionRefused("den sökande har inget hushåll i ärendesystemet")
    case_id = p.get("legacy_case_id") or next(
        (c.case_id for c in household.cases if c.extern_ref == app.get("id")), None
    )
    if case_id is None:
        case_id = (await ctx.session.create_case(pnr, CASE_TYPE, str(app.get("id")))).case_id
    def read() -> Any:
        return screens.case(case_id)

    def decided(c: sp.EbCase) -> bool:
        return any(d.month == month for d in c.decisions)

    def paid(c: sp.EbCase) -> bool:
        return any(x.month == month for x in c.payments)

    case = await read()
    if (left := settle_deadline(ctx, "writing_decision")) is not None and not decided(case):
        case = await settle(ctx, read, decided, left_s=left)
    if (left := settle_deadline(ctx, "writing_payment")) is not None and not paid(case):
        case = await settle(ctx, read, paid, left_s=left)
    outcome, text = p["outcome"], p["motivering"]
    utfall = sp.OUTCOME_VALUES[outcome]
    amount = int(p.get("amount") or 0) if outcome == "granted" else 0
    written_at: datetime | None = None

    ours = [d for d in case.decisions if d.month == month]
    if ours:
        d = ours[-1]
        if d.outcome != utfall or d.amount != amount or not same_motivering(d.motivering, text):
            raise ActionRefused(
                f"ärende {case_id} har redan beslut för {month} ({d.outcome}, {d.amount} kr, "
                f"{d.diarienummer}); handläggarens beslut skrevs inte"
            )
        found = d
    else:
        await ctx.mark_step("writing_decision")
        written_at = datetime.now(UTC)
        try:
            case = await screens.write_decision(case_id, outcome, amount, month, text)
        except WriteOutcomeUnknown:
            case = await settle(ctx, read, decided, left_s=ctx.settle_s)
            if not decided(case):
                raise
        found = next((d for d in case.decisions if d.month == month), None)
        if found is None or found.outcome != utfall or not found.diarienummer:
            raise UnexpectedScreen(
                "handläggarens beslut syns inte på ärendet efter sparande",
                system=SYSTEM,
                step="verifiering",
            )
    if outcome == "granted" and not any(x.month == month for x in case.payments):
        if not household.account:
            raise ActionRefused("hushållet saknar utbetalningskonto i ärendesystemet")
        await ctx.mark_step("writing_payment")
        written_at = written_at or datetime.now(UTC)
        try:
            case = await screens.order_payment(case_id, amount, month, household.account)
        except WriteOutcomeUnknown:
            case = await settle(ctx, read, paid, left_s=ctx.settle_s)
            if not paid(case):
                raise
        payment = next((x for x in case.payments if x.month == month), None)
        if payment is None or payment.amount != amount or not payment.number:
            raise UnexpectedScreen(
                "utbetalningen syns inte på ärendet efter beställning",
                system=SYSTEM,
                step="verifiering",
            )
    return written(p, case_id, found.diarienummer, recovered=written_at is None, at=written_at)
