"""Writing a caseworker's action back: their decision into the case system, exactly once.

A work item of kind ``caseworker_action`` (made by :mod:`caserobot.casework`) carries the
action in its payload: ``action_id``, ``action`` (accept / decide / request_completion),
``outcome``, ``amount``, ``motivering``, ``legacy_case_id`` and the application.

Exactly once, as for the robot's own decisions (:mod:`caserobot.cases.writeback`): the case
is read back first; a decision that is already there with the caseworker's outcome (and, for
ekonomiskt bistånd, amount and month) is recorded as *recovered* and not written again; the
item is marked (``writing``, ``writing_decision``, ``writing_payment``) before each write.
A *different* decision already on the case (someone decided in the case system directly) is
not overwritten: the action fails with :class:`ActionRefused`, for the caseworker to see.
A write whose answer was lost is resolved by reading back within the settle window, never
by writing again blind (:func:`caserobot.cases.writeback.settle`).

A completion request is sent to the applicant through the e-service
(``POST /api/applications/{id}/completion-requests``), idempotent on the key
``caserobot-action-<id>`` and read back before it is sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from caserobot.cases.base import WorkContext
from caserobot.cases.writeback import outcome_of, settle, settle_deadline
from caserobot.exceptions import CaseRobotError, UnexpectedScreen, WriteOutcomeUnknown
from caserobot.legacy.casesystem import social_pages as sp
from caserobot.legacy.casesystem.pages import SYSTEM
from caserobot.legacy.casesystem.social import SocialServicesScreens
from caserobot.personnummer import InvalidPersonnummer, Personnummer

EB = "ekonomiskt_bistand"
SKOLSKJUTS = "skolskjuts"


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
        if p.get("outcome") not in sp.OUTCOME_VALUES or not p.get("motivering"):
            raise ActionRefused(f"åtgärd {p.get('action_id')}: utfall eller motivering saknas")
        if self.case_type == SKOLSKJUTS:
            return await self._skolskjuts(ctx, p)
        if self.case_type == EB:
            return await self._ekonomiskt_bistand(ctx, p)
        raise ActionRefused(f"ärendetypen {self.case_type} kan inte skrivas tillbaka")

    # -- skolskjuts --------------------------------------------------------------------------

    async def _skolskjuts(self, ctx: WorkContext, p: dict[str, Any]) -> ActionWritten:
        session = ctx.session
        case_id = p.get("legacy_case_id") or await self._skolskjuts_case(ctx, p)

        def read() -> Any:
            return session.case(case_id)

        case = await read()
        if (left := settle_deadline(ctx, "writing")) is not None and not case.decisions:
            case = await settle(ctx, read, lambda c: bool(c.decisions), left_s=left)
        outcome, text = p["outcome"], p["motivering"]
        if case.decisions:
            last = case.decisions[-1]
            if outcome_of(last.outcome) == outcome and _same(last.motivering, text):
                return _written(p, case_id, last.diarienummer, recovered=True)
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
        return _written(p, case_id, last.diarienummer, recovered=False, at=written_at)

    async def _skolskjuts_case(self, ctx: WorkContext, p: dict[str, Any]) -> str:
        """The case of an item that stopped before the robot found it: found, else created."""
        app = p.get("application") or {}
        pnr = _pnr((app.get("child") or {}).get("personnummer"), "elevens")
        pupil = await ctx.session.pupil(pnr)
        if pupil is None:
            raise ActionRefused("eleven finns inte i ärendesystemet; beslut kan inte skrivas")
        app_id = str(app.get("id") or "")
        found = next(
            (c for c in pupil.cases if c.extern_ref == app_id and c.case_type == SKOLSKJUTS), None
        )
        if found is not None:
            return found.case_id
        return (await ctx.session.create_case(pnr, SKOLSKJUTS, app_id)).case_id

    # -- ekonomiskt bistånd ------------------------------------------------------------------

    async def _ekonomiskt_bistand(self, ctx: WorkContext, p: dict[str, Any]) -> ActionWritten:
        screens = SocialServicesScreens(ctx.session)
        app = p.get("application") or {}
        month = str(app.get("month") or "")
        if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            raise ActionRefused("ansökan saknar giltig månad; beslut kan inte skrivas")
        pnr = _pnr((app.get("applicant") or {}).get("personnummer"), "sökandens")
        household = await screens.household(pnr)
        if household is None:
            raise ActionRefused("den sökande har inget hushåll i ärendesystemet")
        case_id = p.get("legacy_case_id") or next(
            (c.case_id for c in household.cases if c.extern_ref == app.get("id")), None
        )
        if case_id is None:
            case_id = (await ctx.session.create_case(pnr, EB, str(app.get("id")))).case_id
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
            if d.outcome != utfall or d.amount != amount or not _same(d.motivering, text):
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
        return _written(p, case_id, found.diarienummer, recovered=written_at is None, at=written_at)

    # -- completion requests -----------------------------------------------------------------

    async def _completion(self, ctx: WorkContext, p: dict[str, Any]) -> ActionWritten:
        eservice = ctx.systems.eservice
        key = completion_key(int(p["action_id"]))
        app_id = ctx.application_id
        sent = next(
            (r for r in await eservice.completion_requests(app_id) if r.get("key") == key), None
        )
        if sent is not None:
            return _written(p, None, sent.get("id"), recovered=True)
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
        return _written(p, None, sent["id"], recovered=False, at=written_at)


def _written(
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


def _same(shown: str, written: str) -> bool:
    """Whether a motivering on the case page is the one written (layout whitespace aside)."""
    return "".join(shown.split()) == "".join(written.split())


def _pnr(value: Any, whose: str) -> str:
    try:
        return Personnummer.parse(str(value or "")).digits
    except InvalidPersonnummer:
        raise ActionRefused(
            f"ansökan saknar giltigt {whose} personnummer; beslut kan inte skrivas"
        ) from None
