"""Writing a decision back into the case system exactly once.

The case system is the source of truth. Three rules keep a write exactly-once and honest:

1. **Read back before writing.** A decision already on the case is compared field by field
   with ours (outcome, motivering, author; a case type may add fields, such as amount and
   month). If it is ours, it is recorded as *recovered* and nothing is written. If it
   differs, or was made by someone else, it is never overwritten and never recorded as
   ours: the item goes
   to a caseworker with both decisions side by side (:func:`conflict`).
2. **Mark before writing.** The item's step becomes ``writing…`` (and the queue notes when),
   so a crash between the write and its record makes the next attempt read back.
3. **Never write again blind.** A write whose answer was lost (:class:`WriteOutcomeUnknown`)
   is resolved by reading back until it shows, for up to the settle window after it began
   (:func:`settle`). Only when the window has passed with nothing on the case may it be
   written again.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from caserobot import outcomes
from caserobot.cases.base import Decided, Facts, Referred, WorkContext
from caserobot.exceptions import ReasonCode, UnexpectedScreen, WriteOutcomeUnknown
from caserobot.legacy.casesystem import CaseRecord, CaseSummary
from caserobot.legacy.casesystem.pages import SYSTEM

C = TypeVar("C")

POLL_EVERY_S = 1.0


def outcome_of(text: str) -> str | None:
    """The outcome a decision on the case page shows (:func:`caserobot.outcomes.read_back`)."""
    return outcomes.read_back(text)


def same_text(a: str, b: str) -> bool:
    """Equal up to whitespace (the case page shows the text on one line)."""
    return " ".join(a.split()) == " ".join(b.split())


def settle_deadline(ctx: WorkContext, step: str) -> float | None:
    """Seconds left until an earlier attempt's write (marked ``step``) must show, or None
    when no such write was under way."""
    if ctx.write_started_at is None or ctx.step != step:
        return None
    elapsed = (datetime.now(UTC) - ctx.write_started_at).total_seconds()
    return max(0.0, ctx.settle_s - elapsed)


async def settle(
    ctx: WorkContext,
    read_back: Callable[[], Awaitable[C]],
    landed: Callable[[C], bool],
    *,
    left_s: float,
) -> C:
    """Read the case back until a write shows, or the settle window is over.

    Returns the case as last read: with the write (it landed) or, once ``left_s`` has
    passed, without it (it never landed: writing again is safe). Raises
    :class:`WriteOutcomeUnknown` when this attempt's polling budget ends first: the item
    then waits in the queue (not counted as an attempt) and the next attempt goes on.
    """
    started = time.monotonic()
    while True:
        case = await read_back()
        waited = time.monotonic() - started
        if landed(case) or waited >= left_s:
            return case
        if waited >= ctx.poll_budget_s:
            raise WriteOutcomeUnknown(
                f"sparandet syns ännu inte på ärendet; väntar upp till {left_s - waited:.0f} s "
                "till innan roboten får skriva igen",
                system=SYSTEM,
                step="avstämning",
            )
        await asyncio.sleep(min(POLL_EVERY_S, max(0.05, left_s - waited)))


def conflict(
    ctx: WorkContext,
    decision: Any,
    facts: Facts,
    legacy_case_id: str,
    found: Sequence[dict[str, Any]],
    why: str,
) -> Referred:
    """A case that already holds a decision which is not (only) ours: for a caseworker.

    The decision basis gets what the case system holds beside the robot's own decision.
    """
    facts.add("beslut_i_ärendesystemet", list(found), SYSTEM)
    facts.add(
        "robotens_beslut",
        {
            "utfall": decision.outcome,
            "belopp": getattr(decision, "amount", None),
            "motivering": decision.motivering,
        },
        "reglerna",
    )
    return Referred(
        reason_codes=[ReasonCode.DECISION_CONFLICT],
        detail=f"Ärendet har redan beslut i ärendesystemet: {why}. Inget har skrivits.",
        facts=facts,
        decision=decision,
        legacy_case_id=legacy_case_id,
    )


def _row(d: Any) -> dict[str, Any]:
    return {
        "datum": d.date,
        "utfall": d.outcome,
        "motivering": d.motivering,
        "diarienummer": d.diarienummer,
        "beslutsfattare": d.decided_by,
    }


def _mismatch(ctx: WorkContext, case: CaseRecord, decision: Any) -> str | None:
    """Why the decisions on the case are not exactly our one decision, or None."""
    if len(case.decisions) != 1:
        return f"{len(case.decisions)} beslut finns på ärendet"
    d = case.decisions[0]
    if d.decided_by != ctx.session.username:
        return f"beslutet är fattat av {d.decided_by or 'okänd'}, inte av roboten"
    if outcome_of(d.outcome) != decision.outcome:
        return f"utfallet är '{d.outcome}', roboten kom fram till {decision.outcome}"
    if not same_text(d.motivering, decision.motivering):
        return "motiveringen skiljer sig från robotens"
    if not d.diarienummer:
        return "beslutet saknar diarienummer"
    return None


async def find_or_create_case(
    ctx: WorkContext,
    pnr12: str,
    case_type: str,
    extern_ref: str,
    *,
    cases: Callable[[], Awaitable[Sequence[CaseSummary]]] | None = None,
    known: Sequence[CaseSummary] | None = None,
) -> CaseRecord:
    """The application's case in the case system: found by its external reference, else
    created, exactly once.

    ``cases`` lists the person's cases (default: the case search, ``session.cases_of``);
    ``known`` is a listing the caller has just read (saves a page). A creation whose
    answer was lost is settled by listing again, as a decision is (:func:`settle`).
    """
    session = ctx.session
    list_cases = cases or (lambda: session.cases_of(pnr12))

    def ours(listed: Sequence[CaseSummary]) -> CaseSummary | None:
        return next(
            (c for c in listed if c.extern_ref == extern_ref and c.case_type == case_type), None
        )

    listed = known if known is not None else await list_cases()
    existing = ours(listed)
    left = settle_deadline(ctx, "writing_case")
    if existing is None and left is not None:  # an earlier creation may still land
        existing = ours(await settle(ctx, list_cases, lambda c: ours(c) is not None, left_s=left))
    if existing is None:
        await ctx.mark_step("writing_case")
        try:
            return await session.create_case(pnr12, case_type, extern_ref)
        except WriteOutcomeUnknown:
            listed = await settle(
                ctx, list_cases, lambda c: ours(c) is not None, left_s=ctx.settle_s
            )
            if (existing := ours(listed)) is None:
                raise
            return await session.case(existing.case_id)
    if existing.diarienummer or ctx.step == "writing":
        return await session.case(existing.case_id)  # may already hold our decision
    return CaseRecord(
        case_id=existing.case_id,
        case_type=existing.case_type,
        status=existing.status,
        extern_ref=existing.extern_ref,
        personnummer=pnr12,
        diarienummer=existing.diarienummer,
        decisions=(),
    )


async def write_once(
    ctx: WorkContext, case: CaseRecord, decision: Any, facts: Facts
) -> Decided | Referred:
    """Write ``decision`` on ``case`` unless it is there; see the module's three rules."""
    session = ctx.session
    written_at: datetime | None = None
    left = settle_deadline(ctx, "writing")
    if left is not None and not case.decisions:  # an earlier write may still be landing
        case = await settle(
            ctx, lambda: session.case(case.case_id), lambda c: bool(c.decisions), left_s=left
        )
    if not case.decisions:
        await ctx.mark_step("writing")
        written_at = datetime.now(UTC)
        try:
            case = await session.write_decision(case.case_id, decision.outcome, decision.motivering)
        except WriteOutcomeUnknown:
            case = await settle(
                ctx,
                lambda: session.case(case.case_id),
                lambda c: bool(c.decisions),
                left_s=ctx.settle_s,
            )
            if not case.decisions:
                raise
        if not case.decisions:
            raise UnexpectedScreen(
                "beslutet syns inte på ärendet efter sparande", system=SYSTEM, step="verifiering"
            )
    why = _mismatch(ctx, case, decision)
    if why is not None:
        if written_at is not None and len(case.decisions) == 1:
            # We wrote and read back something else: the case system changed what we sent.
            raise UnexpectedScreen(
                f"ärendet visar annat än det som skrevs: {why}", system=SYSTEM, step="verifiering"
            )
        return conflict(ctx, decision, facts, case.case_id, [_row(d) for d in case.decisions], why)
    return Decided(
        decision=decision,
        facts=facts,
        legacy_case_id=case.case_id,
        diarienummer=case.decisions[0].diarienummer,
        recovered=written_at is None,
        written_at=written_at,
        verified_at=datetime.now(UTC),
    )
