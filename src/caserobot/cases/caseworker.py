"""Writing a caseworker's action back: their decision into the case system, exactly once.

A work item of kind ``caseworker_action`` (made by :mod:`caserobot.casework`) carries the
action in its payload: ``action_id``, ``action`` (accept / decide / request_completion),
``outcome``, ``amount``, ``motivering``, ``legacy_case_id`` and the application.

Exactly once, as for the robot's own decisions (:mod:`caserobot.cases.writeback`): the case
is read back first; a decision that is already there with the caseworker's outcome (and, for
a case type that decides an amount, the amount and period) is recorded as *recovered* and not
written again; the item is marked (``writing``, ``writing_decision``, ...) before each write.
A *different* decision already on the case (someone decided in the case system directly) is
not overwritten: the action fails with :class:`ActionRefused`, for the caseworker to see.
A write whose answer was lost is resolved by reading back within the settle window, never
by writing again blind (:func:`caserobot.cases.writeback.settle`).

How a decision is written is the case type's: its package names a ``caseworker`` function
(``"module:function"``, ``async (ctx, payload) -> ActionWritten``) that this handler calls
with a payload whose outcome and motivering are checked; completion requests are the core's.

A completion request is sent to the applicant through the e-service
(``POST /api/applications/{id}/completion-requests``), idempotent on the key
``caserobot-action-<id>`` and read back before it is sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from caserobot import discovery, outcomes
from caserobot.cases.base import WorkContext
from caserobot.cases.writeback import outcome_of, settle, settle_deadline
from caserobot.exceptions import CaseRobotError, UnexpectedScreen, WriteOutcomeUnknown
from caserobot.legacy.casesystem.pages import SYSTEM
from caserobot.personnummer import InvalidPersonnummer, Personnummer


class ActionRefused(CaseRobotError):
    """The action cannot be written (not retried): the caseworker must act in the system."""


@dataclass(frozen=True)
class ActionWritten:
    action_id: int
    legacy_case_id: str | None
    diarienummer: str | None  # a completion request: the e-service's reference
    written_at: datetime
    recovered: bool


def completion_key(action_id: int) -> str:
    return f"caserobot-action-{action_id}"


class CaseworkerActionHandler:
    """Writes one caseworker action of ``case_type``."""

    def __init__(self, case_type: str) -> None:
        self.case_type = case_type

    async def process(self, ctx: WorkContext) -> ActionWritten:
        p = ctx.payload
        if p.get("action") == "request_completion":
            return await self._completion(ctx, p)
        if outcomes.spec(str(p.get("outcome"))) is None or not p.get("motivering"):
            raise ActionRefused(f"åtgärd {p.get('action_id')}: utfall eller motivering saknas")
        write = discovery.package(self.case_type).caseworker_writer()
        if write is None:
            raise ActionRefused(f"ärendetypen {self.case_type} kan inte skrivas tillbaka")
        written: ActionWritten = await write(ctx, p)
        return written

    # -- completion requests -----------------------------------------------------------------

    async def _completion(self, ctx: WorkContext, p: dict[str, Any]) -> ActionWritten:
        eservice = ctx.systems.eservice
        key = completion_key(int(p["action_id"]))
        app_id = ctx.eservice_id
        sent = next(
            (r for r in await eservice.completion_requests(app_id) if r.get("key") == key), None
        )
        if sent is not None:
            return written(p, None, sent.get("id"), recovered=True)
        await ctx.mark_step("writing_completion")
        written_at = datetime.now(UTC)
        sent = await eservice.request_completion(
            app_id, key, p["motivering"], requested_by=str(p.get("actor") or "")
        )
        if sent.get("key") != key or not sent.get("id"):
            raise UnexpectedScreen(
                "e-tjänsten bekräftade inte begäran om komplettering",
                system="e-tjänst",
                step="verifiering",
            )
        return written(p, None, sent["id"], recovered=False, at=written_at)


def written(
    p: dict[str, Any],
    case_id: str | None,
    diarienummer: str | None,
    *,
    recovered: bool,
    at: datetime | None = None,
) -> ActionWritten:
    return ActionWritten(
        action_id=int(p["action_id"]),
        legacy_case_id=case_id,
        diarienummer=diarienummer,
        written_at=at or datetime.now(UTC),
        recovered=recovered,
    )


async def write_decision_once(ctx: WorkContext, p: dict[str, Any], case_id: str) -> ActionWritten:
    """Write a caseworker's decision (``outcome`` and ``motivering`` of the payload) on the
    case-system case ``case_id`` once: read back first, settle a lost answer by reading
    back, refuse to write over someone else's decision. For case types whose decision is
    an outcome and a text (a case type that decides an amount writes its own)."""
    session = ctx.session

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


def same_motivering(shown: str, text: str) -> bool:
    """Whether a motivering on the case page is the one written (layout whitespace aside)."""
    return "".join(shown.split()) == "".join(text.split())


def personnummer_of(value: Any, whose: str) -> str:
    """The digits of an application's personnummer, or ActionRefused naming whose it is."""
    try:
        return Personnummer.parse(str(value or "")).digits
    except InvalidPersonnummer:
        raise ActionRefused(
            f"ansökan saknar giltigt {whose} personnummer; beslut kan inte skrivas"
        ) from None
