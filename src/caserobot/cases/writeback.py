"""Writing a decision back into the case system exactly once.

The case system is the source of truth: before writing, the handler has read the case
(when an earlier attempt may have written). If a decision is already there, it is recorded
as *recovered* and nothing is written. Otherwise the item is marked ``writing`` in the queue
first, so that a crash between the write and its record makes the next attempt read back.
"""

from __future__ import annotations

from datetime import UTC, datetime

from caserobot.cases.base import Decided, Facts, WorkContext
from caserobot.exceptions import UnexpectedScreen
from caserobot.legacy.casesystem import CaseRecord
from caserobot.legacy.casesystem.pages import SYSTEM

_OUTCOME_WORDS = {
    "granted": {"bifall", "beviljas", "beviljat"},
    "denied": {"avslag", "avslås", "avslaget"},
}


def outcome_of(text: str) -> str | None:
    word = text.strip().lower()
    return next((o for o, words in _OUTCOME_WORDS.items() if word in words), None)


async def write_once(ctx: WorkContext, case: CaseRecord, decision, facts: Facts) -> Decided:  # type: ignore[no-untyped-def]
    if case.decisions:
        last = case.decisions[-1]
        return Decided(
            decision=decision,
            facts=facts,
            legacy_case_id=case.case_id,
            diarienummer=last.diarienummer,
            recovered=True,
            written_at=None,
            verified_at=datetime.now(UTC),
        )
    await ctx.mark_step("writing")
    written_at = datetime.now(UTC)
    after = await ctx.session.write_decision(case.case_id, decision.outcome, decision.motivering)
    if not after.decisions:
        raise UnexpectedScreen(
            "beslutet syns inte på ärendet efter sparande", system=SYSTEM, step="verifiering"
        )
    last = after.decisions[-1]
    if outcome_of(last.outcome) != decision.outcome or not last.diarienummer:
        raise UnexpectedScreen(
            f"ärendet visar utfall '{last.outcome}' diarienummer '{last.diarienummer}', "
            f"väntade {decision.outcome}",
            system=SYSTEM,
            step="verifiering",
        )
    return Decided(
        decision=decision,
        facts=facts,
        legacy_case_id=case.case_id,
        diarienummer=last.diarienummer,
        recovered=False,
        written_at=written_at,
        verified_at=datetime.now(UTC),
    )
