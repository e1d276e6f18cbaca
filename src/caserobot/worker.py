"""The robot's engine: claims work items and processes them, one coroutine per seat.

One Chromium, one browser context per case-system seat (each a logged-in session), and
shared API clients. Seats work side by side in one event loop: the legacy systems are the
bottleneck, not the CPU, so waiting concurrently is what makes a robot fast. Exactly one
boundary catches errors per item and turns them into the item's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from caserobot import casework
from caserobot.cases import Decided, Referred, Systems, WorkContext, handler_for
from caserobot.cases.caseworker import ActionRefused, CaseworkerActionHandler
from caserobot.exceptions import (
    ApplicationException,
    BusinessException,
    LegacyTimeout,
    NoFreeSeat,
    ReasonCode,
)
from caserobot.legacy import browser as chromium
from caserobot.legacy._http import CallCounter
from caserobot.legacy.casesystem import CaseSystemSession
from caserobot.legacy.casesystem.session import Mode
from caserobot.legacy.eservice import EServiceClient
from caserobot.legacy.income import IncomeRegisterClient
from caserobot.legacy.population import PopulationRegisterClient
from caserobot.legacy.routes import RouteServiceClient
from caserobot.personnummer import mask
from caserobot.queue import WorkQueue
from caserobot.records import DecisionRecord, ExceptionRecord
from caserobot.settings import Settings

ProgressFn = Callable[[str, dict[str, Any]], None]


@dataclass
class WorkerStats:
    decided: int = 0
    recovered: int = 0
    referred: int = 0
    business_exceptions: int = 0
    application_errors: int = 0
    actions_written: int = 0  # caseworkers' decisions written back (not applications)
    actions_failed: int = 0
    durations_ms: list[float] = field(default_factory=list)
    pages: int = 0
    api_calls: int = 0
    elapsed_s: float = 0.0
    startup_s: float = 0.0  # browser launch and logins, before the first item

    @property
    def processed(self) -> int:
        return self.decided + self.referred + self.business_exceptions + self.application_errors

    def as_dict(self) -> dict[str, Any]:
        d = sorted(self.durations_ms)
        return {
            "processed": self.processed,
            "decided": self.decided,
            "recovered": self.recovered,
            "referred": self.referred,
            "business_exceptions": self.business_exceptions,
            "application_errors": self.application_errors,
            "actions_written": self.actions_written,
            "actions_failed": self.actions_failed,
            "pages": self.pages,
            "api_calls": self.api_calls,
            "elapsed_s": round(self.elapsed_s, 3),
            "startup_s": round(self.startup_s, 3),
            "p50_ms": round(statistics.median(d), 1) if d else None,
            "p95_ms": round(d[min(len(d) - 1, int(0.95 * len(d)))], 1) if d else None,
        }


def make_systems(settings: Settings, counter: CallCounter | None = None) -> Systems:
    return Systems(
        eservice=EServiceClient(
            settings.eservice.base_url, timeout_s=settings.eservice.timeout_s, counter=counter
        ),
        population=PopulationRegisterClient(
            settings.population_register.base_url,
            timeout_s=settings.population_register.timeout_s,
            counter=counter,
        ),
        routes=RouteServiceClient(
            settings.route_service.base_url,
            timeout_s=settings.route_service.timeout_s,
            counter=counter,
        ),
        income=IncomeRegisterClient(
            settings.income_register.base_url,
            timeout_s=settings.income_register.timeout_s,
            counter=counter,
        ),
    )


class RobotWorker:
    """Processes the queue of one case type until nothing is left to claim."""

    def __init__(
        self,
        settings: Settings,
        queue: WorkQueue,
        case_type: str,
        *,
        seats: int | None = None,
        mode: Mode = "fast",
        run_id: int | None = None,
        as_of: date | None = None,
        progress: ProgressFn | None = None,
        item_timeout_s: float | None = None,
    ) -> None:
        self.settings = settings
        self.queue = queue
        self.case_type = case_type
        self.handler = handler_for(case_type)
        self.action_handler = CaseworkerActionHandler(case_type)
        self.seats = seats or settings.case_system.seat_limit
        self.mode = mode
        self.run_id = run_id
        self.as_of = as_of
        self.progress = progress or (lambda event, data: None)
        lease = settings.work.lease_seconds
        self.item_timeout_s = item_timeout_s or max(5.0, lease * 0.75)
        self.owner = f"{socket.gethostname()}:{os.getpid()}"
        self.stats = WorkerStats()
        self.counter = CallCounter()

    async def run(self) -> WorkerStats:
        started = time.perf_counter()
        pw, browser = await chromium.launch(self.settings.browser)
        systems = make_systems(self.settings, self.counter)
        sessions: list[CaseSystemSession] = []
        try:
            sessions = await self._open_sessions(browser)
            self.stats.startup_s = time.perf_counter() - started
            self.progress("started", {"seats": len(sessions), "mode": self.mode})
            await asyncio.gather(
                *(self._seat_loop(f"{self.owner}:{n}", s, systems) for n, s in enumerate(sessions))
            )
        finally:
            self.stats.pages = sum(s.pages for s in sessions)
            for session in sessions:
                await session.close()
            await systems.aclose()
            await chromium.shutdown(pw, browser)
            self.stats.api_calls = self.counter.total
            self.stats.elapsed_s = time.perf_counter() - started
        return self.stats

    async def _open_sessions(self, browser: Any) -> list[CaseSystemSession]:
        """Open up to ``seats`` sessions; wait (bounded) until at least one seat is free."""
        sessions: list[CaseSystemSession] = []
        deadline = time.monotonic() + self.settings.case_system.seat_wait_s
        delay = 1.0
        while True:
            while len(sessions) < self.seats:
                session = CaseSystemSession(browser, self.settings.case_system, mode=self.mode)
                try:
                    await session.open()
                except NoFreeSeat:
                    await session.close()
                    break
                sessions.append(session)
            if sessions or time.monotonic() >= deadline:
                break
            self.progress("waiting_for_seat", {"retry_in_s": delay})
            await asyncio.sleep(delay)
            delay = min(delay * 2, 10.0)
        if len(sessions) < self.seats:
            self.progress("seat_unavailable", {"seats_open": len(sessions), "wanted": self.seats})
        if not sessions:
            raise NoFreeSeat(
                "ingen ledig licens i ärendesystemet efter "
                f"{self.settings.case_system.seat_wait_s:.0f} s",
                system="ärendesystemet",
            )
        return sessions

    async def _seat_loop(self, owner: str, session: CaseSystemSession, systems: Systems) -> None:
        lease = self.settings.work.lease_seconds
        idle_since: float | None = None
        while True:
            claimed = await asyncio.to_thread(
                self.queue.claim,
                self.case_type,
                owner,
                lease_seconds=lease,
                run_id=self.run_id,
                max_attempts=self.settings.work.max_attempts,
            )
            if not claimed:
                # Items waiting for a retry backoff, or held by a crashed robot whose lease
                # has not yet run out, become claimable later: wait for them, within bounds.
                pending = await asyncio.to_thread(self.queue.pending, self.case_type)
                now = time.monotonic()
                idle_since = idle_since or now
                if pending == 0 or now - idle_since > lease + 5:
                    return
                await asyncio.sleep(0.5)
                continue
            idle_since = None
            await self._process(owner, claimed[0], session, systems)

    async def _process(
        self, owner: str, item: Any, session: CaseSystemSession, systems: Systems
    ) -> None:
        async def mark_step(step: str) -> None:
            await asyncio.to_thread(self.queue.mark_step, item.id, owner, step)

        ctx = WorkContext(
            item_id=item.id,
            application_id=item.application_id,
            step=item.step,
            systems=systems,
            session=session,
            as_of=self.as_of or date.today(),
            mark_step=mark_step,
            concurrent=self.mode == "fast",
            payload=item.payload,
        )
        if item.kind == "caseworker_action":
            await self._process_action(owner, item, ctx)
            return
        started = time.perf_counter()
        try:
            try:
                result = await asyncio.wait_for(self.handler.process(ctx), self.item_timeout_s)
            except TimeoutError:
                raise LegacyTimeout(
                    f"ärendet tog mer än {self.item_timeout_s:.0f} s", step=item.step
                ) from None
        except BusinessException as exc:
            record = ExceptionRecord(
                reason_codes=[exc.reason.value],
                detail=exc.detail + (f" (fält: {exc.field})" if exc.field else ""),
                decision_basis=ctx.facts.as_dict(),
                due_at=_due_at(item),
            )
            await asyncio.to_thread(self.queue.business_exception, item.id, owner, record)
            self.stats.business_exceptions += 1
            self._emit("business_exception", item, started, reason=exc.reason.value)
        except Exception as exc:  # the one boundary: unknown errors are application errors
            exc, state = await self._application_error(item, owner, exc)
            self.stats.application_errors += 1 if state == "abandoned" else 0
            self._emit("application_exception", item, started, error=mask(str(exc)), state=state)
            await self._recover_session(session)
        else:
            if isinstance(result, Decided):
                await asyncio.to_thread(
                    self.queue.complete, item.id, owner, _decision_record(result)
                )
                self.stats.decided += 1
                self.stats.recovered += int(result.recovered)
                self._emit(
                    "decided",
                    item,
                    started,
                    outcome=result.decision.outcome,
                    diarienummer=result.diarienummer,
                    recovered=result.recovered,
                )
            else:
                record = _referral_record(result).model_copy(update={"due_at": _due_at(item)})
                await asyncio.to_thread(self.queue.business_exception, item.id, owner, record)
                self.stats.referred += 1
                self._emit(
                    "referred",
                    item,
                    started,
                    reasons=[
                        r.value if isinstance(r, ReasonCode) else r for r in result.reason_codes
                    ],
                )

    async def _application_error(
        self, item: Any, owner: str, exc: Exception
    ) -> tuple[ApplicationException, str]:
        """Record a system problem on the item: retried later, or abandoned at the limit."""
        if not isinstance(exc, ApplicationException):
            exc = ApplicationException(f"oväntat fel: {exc.__class__.__name__}: {mask(str(exc))}")
        state = await asyncio.to_thread(
            self.queue.application_exception,
            item.id,
            owner,
            mask(str(exc)),
            max_attempts=self.settings.work.max_attempts,
            backoff_s=self.settings.work.retry_backoff_s,
        )
        return exc, state

    async def _process_action(self, owner: str, item: Any, ctx: WorkContext) -> None:
        """Write a caseworker's action back; the same error boundary as for applications."""
        action_id = int(item.payload["action_id"])
        started = time.perf_counter()
        try:
            try:
                written = await asyncio.wait_for(
                    self.action_handler.process(ctx), self.item_timeout_s
                )
            except TimeoutError:
                raise LegacyTimeout(
                    f"åtgärden tog mer än {self.item_timeout_s:.0f} s", step=item.step
                ) from None
        except (ActionRefused, BusinessException) as exc:  # retrying cannot help
            await asyncio.to_thread(self.queue.abandon, item.id, owner, mask(str(exc)))
            await asyncio.to_thread(
                casework.record_failed, self.queue.sessions, action_id, str(exc)
            )
            self.stats.actions_failed += 1
            self._emit("action_failed", item, started, error=mask(str(exc)))
        except Exception as exc:  # the one boundary, as in _process
            exc, state = await self._application_error(item, owner, exc)
            if state == "abandoned":
                await asyncio.to_thread(
                    casework.record_failed, self.queue.sessions, action_id, str(exc)
                )
                self.stats.actions_failed += 1
            self._emit("application_exception", item, started, error=mask(str(exc)), state=state)
            await self._recover_session(ctx.session)
        else:

            def record(session: Any) -> Any:
                return casework.record_written(
                    session,
                    action_id,
                    legacy_case_id=written.legacy_case_id,
                    diarienummer=written.diarienummer,
                    written_at=written.written_at,
                    recovered=written.recovered,
                )

            await asyncio.to_thread(self.queue.complete_with, item.id, owner, record)
            self.stats.actions_written += 1
            self._emit(
                "action_written",
                item,
                started,
                diarienummer=written.diarienummer,
                recovered=written.recovered,
            )

    def _emit(self, event: str, item: Any, started: float, **data: Any) -> None:
        ms = (time.perf_counter() - started) * 1000
        self.stats.durations_ms.append(ms)
        self.progress(
            event,
            {"item_id": item.id, "application_id": item.application_id, "ms": round(ms, 1), **data},
        )

    async def _recover_session(self, session: CaseSystemSession) -> None:
        # A failed re-login is not an error here: the next item surfaces a lasting problem.
        with contextlib.suppress(Exception):
            await session.login()


def _due_at(item: Any) -> Any:
    return casework.due_at(item.case_type, item.payload, item.created_at)


def _decision_record(result: Decided) -> DecisionRecord:
    d = result.decision
    return DecisionRecord(
        outcome=d.outcome,
        recommended_outcome=d.recommended_outcome,
        rule_set=d.rule_set,
        as_of=d.as_of,
        inputs={"rules": d.inputs, "facts": result.facts.as_dict()},
        trace=d.trace.model_dump(mode="json"),
        reasons=list(d.reasons),
        motivering=d.motivering,
        legacy_case_id=result.legacy_case_id,
        diarienummer=result.diarienummer,
        written_at=result.written_at,
        verified_at=result.verified_at,
        recovered=result.recovered,
    )


def _referral_record(result: Referred) -> ExceptionRecord:
    d = result.decision
    return ExceptionRecord(
        reason_codes=[
            r.value if isinstance(r, ReasonCode) else str(r) for r in result.reason_codes
        ],
        detail=result.detail,
        decision_basis={
            "facts": result.facts.as_dict(),
            "rule_set": d.rule_set if d else None,
            "trace": d.trace.model_dump(mode="json") if d else [],
            "legacy_case_id": result.legacy_case_id,
        },
        recommended_outcome=d.recommended_outcome if d else None,
        draft_motivering=d.motivering if d else None,
    )
