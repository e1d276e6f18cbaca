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
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from caserobot import casework, discovery, gate, outcomes, registry
from caserobot.canary import CanaryGuard
from caserobot.cases import (
    Decided,
    Referred,
    SeatSessions,
    Systems,
    WorkContext,
    handler_for,
)
from caserobot.cases.caseworker import ActionRefused, CaseworkerActionHandler
from caserobot.exceptions import (
    ApplicationException,
    BusinessException,
    LegacyTimeout,
    NoFreeSeat,
    is_transient,
)
from caserobot.itemlog import item_record
from caserobot.legacy import browser as chromium
from caserobot.legacy._http import CallCounter
from caserobot.legacy.breaker import Breakers, CircuitBreaker
from caserobot.legacy.casesystem import CaseSystemSession
from caserobot.legacy.casesystem.pages import SYSTEM as CASE_SYSTEM
from caserobot.legacy.eservice import EServiceClient
from caserobot.legacy.income import IncomeRegisterClient
from caserobot.legacy.population import PopulationRegisterClient
from caserobot.legacy.routes import RouteServiceClient
from caserobot.legacy.web import Mode
from caserobot.personnummer import mask
from caserobot.queue import WorkQueue
from caserobot.records import DecisionRecord, ExceptionRecord
from caserobot.settings import Settings

ProgressFn = Callable[[str, dict[str, Any]], None]
JournalFn = Callable[[dict[str, Any]], None]  # one finished item (caserobot.itemlog)
GATE_EVERY_S = 5.0  # how often a running robot asks whether it is paused or out of hours


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
    transient_errors: int = 0  # system failures: the item waits, no attempt used
    seats_opened: int = 0  # most seats open at once
    seat_failures: list[str] = field(default_factory=list)  # seats that stopped on an error
    context_renewals: int = 0  # seats moved to a fresh browser context (flat memory)
    stopped_reason: str | None = None  # why the run ended with items still waiting
    breakers: list[dict[str, Any]] = field(default_factory=list)  # per system, at the end

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
            "transient_errors": self.transient_errors,
            "seats_opened": self.seats_opened,
            "context_renewals": self.context_renewals,
            "seat_failures": list(self.seat_failures),
            "stopped_reason": self.stopped_reason,
            "breakers": list(self.breakers),
            "p50_ms": round(statistics.median(d), 1) if d else None,
            "p95_ms": round(d[min(len(d) - 1, int(0.95 * len(d)))], 1) if d else None,
        }


def make_breakers(
    settings: Settings, on_change: Callable[[CircuitBreaker], None] | None = None
) -> Breakers:
    return Breakers(
        on_change,
        failure_threshold=settings.work.breaker_threshold,
        max_reset_s=settings.work.breaker_max_probe_s,
    )


def make_systems(
    settings: Settings, counter: CallCounter | None = None, breakers: Breakers | None = None
) -> Systems:
    def client(cls: Any, api: Any) -> Any:
        breaker = breakers(cls.SYSTEM, api.base_url) if breakers is not None else None
        return cls(api.base_url, timeout_s=api.timeout_s, counter=counter, breaker=breaker)

    return Systems(
        client(EServiceClient, settings.eservice),
        {
            "population": client(PopulationRegisterClient, settings.population_register),
            "routes": client(RouteServiceClient, settings.route_service),
            "income": client(IncomeRegisterClient, settings.income_register),
        },
    )


class RobotWorker:
    """Processes the queue of one case type until nothing is left to claim.

    Faults stay small: an error inside one item is that item's (one boundary, in
    :meth:`_process`), a seat that fails stops alone, a legacy system that is down stops
    the claiming (its circuit breaker) until a probe finds it back, and an item that meets
    a system failure waits in the queue without using up its attempts.
    """

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
        tasks: Path | None = None,
        process_keyword: str | None = None,
        journal: JournalFn | None = None,
        screenshots: Path | None = None,
    ) -> None:
        """``tasks``/``process_keyword``: the Robot suite and the keyword in it that is the
        process (default: the case type's robot's); ``journal`` is given every finished
        item with its steps (for log.html); ``screenshots``: where a failed item's screens
        are saved (None: none are taken)."""
        self.settings = settings
        self.queue = queue
        self.case_type = case_type
        self.handler = handler_for(case_type, tasks, process_keyword)
        self.journal = journal
        self.screenshot_dir = screenshots
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
        self.breakers = make_breakers(settings, self._system_health_changed)
        self._health_reports: set[asyncio.Task[None]] = set()
        self._sessions: list[CaseSystemSession] = []
        self._seat_tasks: list[asyncio.Task[None]] = []
        self._browser: Any = None
        self._web_pages = 0  # pages read by the seats in the case type's own web systems
        self._probing = False  # one seat at a time tries a system that was down
        self._gate_checked_at = float("-inf")
        self._gate_reason: str | None = None
        # UI-drift canary (issue 13, caserobot.canary): screens checked before any claim.
        self.canary = CanaryGuard(queue.sessions, case_type, self.progress)

    async def run(self) -> WorkerStats:
        started = time.perf_counter()
        pw, browser = await chromium.launch(self.settings.browser)
        self._browser = browser
        systems = make_systems(self.settings, self.counter, self.breakers)
        try:
            opened = await self._open_sessions(browser)
            # UI-drift canary (issue 13): a changed screen starts no seat; the robot is paused.
            if (stop := await self.canary.before_batch(opened[0])) is not None:
                self.stats.stopped_reason = stop
                self._sessions.extend(opened)  # logged out below
                opened = []
            for session in opened:
                self._start_seat(session, systems)
            self.stats.startup_s = time.perf_counter() - started
            self.progress("started", {"seats": len(self._sessions), "mode": self.mode})
            grower = asyncio.create_task(self._grow_seats(browser, systems))
            try:
                while running := [t for t in self._seat_tasks if not t.done()]:
                    await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                    for task in self._seat_tasks:  # the process is dying: let it
                        if task.done() and not task.cancelled() and task.exception():
                            raise task.exception()  # type: ignore[misc]
            finally:
                grower.cancel()
                await asyncio.gather(grower, return_exceptions=True)
        finally:
            for task in self._seat_tasks:
                task.cancel()
            await asyncio.gather(*self._seat_tasks, return_exceptions=True)
            self.stats.pages = sum(s.pages for s in self._sessions) + self._web_pages
            for session in self._sessions:
                with contextlib.suppress(Exception):
                    await session.close()
            await systems.aclose()
            await chromium.shutdown(pw, browser)
            self.stats.api_calls = self.counter.total
            self.stats.elapsed_s = time.perf_counter() - started
            await asyncio.gather(*self._health_reports, return_exceptions=True)
            self.stats.breakers = [
                {k: v for k, v in vars(b).items() if k != "down_since"}
                for b in self.breakers.statuses()
            ]
        return self.stats

    # -- seats ---------------------------------------------------------------------------

    def _new_session(self, browser: Any) -> CaseSystemSession:
        return CaseSystemSession(
            browser,
            self.settings.case_system,
            mode=self.mode,
            breaker=self.breakers(CASE_SYSTEM, self.settings.case_system.base_url),
        )

    def _start_seat(self, session: CaseSystemSession, systems: Systems) -> None:
        n = len(self._sessions)
        self._sessions.append(session)
        self.stats.seats_opened = max(self.stats.seats_opened, len(self._sessions))
        self._seat_tasks.append(asyncio.create_task(self._seat(n, session, systems)))

    async def _open_sessions(self, browser: Any) -> list[CaseSystemSession]:
        """Open up to ``seats`` sessions; wait (bounded) until at least one seat is free.

        Seats of a crashed robot free up when their sessions time out (``seat_wait_s``); a
        case system that is down is waited for as long as an outage (``outage_wait_s``).
        Whatever fails, the sessions already open are logged out, never left holding a
        licence.
        """
        sessions: list[CaseSystemSession] = []
        started = time.monotonic()
        delay = 1.0
        try:
            while True:
                error: ApplicationException | None = None
                while len(sessions) < self.seats:
                    session = self._new_session(browser)
                    try:
                        await session.open()
                    except ApplicationException as exc:
                        if not is_transient(exc):
                            raise
                        error = exc
                        break
                    sessions.append(session)
                if sessions:
                    break
                # No free seat: wait for the seats to free up; the system down: for its return.
                if isinstance(error, NoFreeSeat):
                    wait_s = self.settings.case_system.seat_wait_s
                else:
                    wait_s = self.settings.work.outage_wait_s
                if time.monotonic() - started >= wait_s:
                    raise error or NoFreeSeat("ingen ledig licens", system=CASE_SYSTEM)
                self.progress("waiting_for_seat", {"retry_in_s": delay, "error": mask(str(error))})
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        except BaseException:
            for session in sessions:
                with contextlib.suppress(Exception):
                    await session.close()
            raise
        if len(sessions) < self.seats:
            self.progress("seat_unavailable", {"seats_open": len(sessions), "wanted": self.seats})
        return sessions

    async def _grow_seats(self, browser: Any, systems: Systems) -> None:
        """Seats that were taken at start-up are tried again while there is work."""
        delay = 5.0
        while len(self._sessions) < self.seats:
            await asyncio.sleep(delay)
            if self.breakers.open_ones():
                continue
            pending = await asyncio.to_thread(self.queue.pending, self.case_type)
            if pending <= len(self._sessions):
                continue
            session = self._new_session(browser)
            try:
                await session.open()
            except ApplicationException:
                delay = min(delay * 2, 60.0)
                continue
            self._start_seat(session, systems)
            self.progress("seat_opened", {"seats": len(self._sessions)})
            delay = 5.0

    async def _seat(self, n: int, session: CaseSystemSession, systems: Systems) -> None:
        """One seat: its sessions, and ``items_per_seat`` lanes that work on items side by
        side through them. A lane that fails stops alone; the seat's others go on."""
        web = SeatSessions(self._web_session)
        seat = _Seat()
        lanes = 1 if self.mode == "classic" else self.settings.work.items_per_seat
        tasks = [
            asyncio.create_task(self._lane(n, f"{self.owner}:{n}.{k}", session, systems, web, seat))
            for k in range(lanes)
        ]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._web_pages += web.pages()
            await web.aclose()

    async def _lane(self, n: int, owner: str, *seat: Any) -> None:
        """One lane of seat ``n``: :meth:`_seat_loop` with the seat's parts."""
        try:
            await self._seat_loop(owner, *seat)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            message = mask(f"{exc.__class__.__name__}: {exc}")
            self.stats.seat_failures.append(message)
            self.progress("seat_failed", {"seat": n, "error": message})

    def _web_session(self, name: str) -> Any:
        """A new session in the case type's web system ``name`` (not yet open)."""
        package = discovery.package(self.case_type)
        cls = package.web_session_class(name)
        settings = self.settings.web_system(name, package.web_systems[name].defaults)
        return cls(
            self._browser,
            settings,
            mode=self.mode,
            breaker=self.breakers(cls.SYSTEM, settings.base_url),
        )

    async def _seat_loop(
        self,
        owner: str,
        session: CaseSystemSession,
        systems: Systems,
        web: SeatSessions,
        seat: _Seat,
    ) -> None:
        lease = self.settings.work.lease_seconds
        renew_every = self.settings.work.renew_context_every
        idle_since: float | None = None
        while True:
            if renew_every and seat.since_renewal >= renew_every:
                async with seat.alone():
                    if seat.since_renewal >= renew_every:  # not renewed by another lane
                        await self._renew_contexts(session, web)
                        seat.since_renewal = 0
            stop = await self._hold()
            if stop is not None:
                self.stats.stopped_reason = stop
                return
            probing = self._take_probe()
            try:
                claimed = await asyncio.to_thread(
                    self.queue.claim,
                    self.case_type,
                    owner,
                    lease_seconds=lease,
                    run_id=self.run_id,
                    max_attempts=self.settings.work.max_attempts,
                )
                if claimed:
                    idle_since = None
                    seat.since_renewal += 1
                    async with seat.item():
                        await self._process_contained(owner, claimed[0], session, systems, web)
                    continue
            finally:
                if probing:
                    self._probing = False
            # Items waiting for a backoff, or held by a robot that may have crashed (their
            # lease runs out), become claimable later: wait for them, within bounds.
            pending = await asyncio.to_thread(self.queue.pending, self.case_type)
            now = time.monotonic()
            idle_since = idle_since or now
            if pending == 0:
                return
            if now - idle_since > lease + 5:
                self.stats.stopped_reason = (
                    f"{pending} ärenden väntar fortfarande; nästa körning tar dem"
                )
                return
            await asyncio.sleep(0.5)

    async def _renew_contexts(self, session: CaseSystemSession, web: SeatSessions) -> None:
        """The seat's sessions to fresh browser contexts, between two items; a failure here
        is the system's (the next item meets it and handles it as usual), never the seat's."""
        with contextlib.suppress(ApplicationException):
            await session.renew_context()
            await web.renew_contexts()
            self.stats.context_renewals += 1

    async def _hold(self) -> str | None:
        """Wait while a legacy system is down; a reason to stop claiming, or None to claim.

        Stops when the robot is paused or a system it uses is outside its opening hours
        (:func:`caserobot.gate.gate`; items stay waiting for the next run), or when a system
        has been down for longer than ``outage_wait_s``.
        """
        if (stop := await self.canary.hold()) is not None:  # UI-drift canary (issue 13)
            return stop
        if (closed := await self._gate_closed()) is not None:
            return closed
        while down := self.breakers.open_ones():
            longest = max(b.down_for_s() for b in down)
            if longest > self.settings.work.outage_wait_s:
                names = ", ".join(b.system for b in down)
                return (
                    f"{names} har varit nere i {longest:.0f} s; ärendena väntar kvar i kön "
                    "och tas av nästa körning"
                )
            if min(b.retry_in_s() for b in down) <= 0 and not self._probing:
                return None  # time for one probe: this seat goes (see _take_probe)
            await asyncio.sleep(0.5)
        return None

    def _system_health_changed(self, breaker: CircuitBreaker) -> None:
        """Tell the registry (and so the administrator) that a system went down or came back."""
        down = breaker.is_open
        self.progress(
            "system_down" if down else "system_up",
            {"system": breaker.system, "error": mask(breaker.last_error or "")},
        )
        base_url = self.breakers.base_urls.get(breaker.system)
        if base_url is None:
            return

        async def report() -> None:
            with contextlib.suppress(Exception):  # the robot goes on even if this fails
                await asyncio.to_thread(
                    registry.report_system_health,
                    self.queue.sessions,
                    base_url,
                    down=down,
                    failure=mask(breaker.last_error or ""),
                )

        task = asyncio.get_running_loop().create_task(report())
        self._health_reports.add(task)
        task.add_done_callback(self._health_reports.discard)

    async def _gate_closed(self) -> str | None:
        now = time.monotonic()
        if now >= self._gate_checked_at + GATE_EVERY_S:
            self._gate_checked_at = now
            answer = await asyncio.to_thread(
                gate.gate, self.queue.sessions, self.case_type, datetime.now(UTC)
            )
            self._gate_reason = None if answer.open else answer.reason
            if self._gate_reason:
                self.progress("gate_closed", {"reason": self._gate_reason})
        return self._gate_reason

    def _take_probe(self) -> bool:
        if self.breakers.open_ones() and not self._probing:
            self._probing = True
            return True
        return False

    # -- one item ------------------------------------------------------------------------

    async def _process_contained(
        self,
        owner: str,
        item: Any,
        session: CaseSystemSession,
        systems: Systems,
        web: SeatSessions,
    ) -> None:
        """The last guard: even recording an outcome may fail (the database, a lost lease).

        The item then keeps its lease until it runs out and is taken again from its step;
        the seat goes on with the next item.
        """
        try:
            await self._process(owner, item, session, systems, web)
        except Exception as exc:
            self.progress(
                "item_not_recorded",
                {
                    "item_id": item.id,
                    "application_id": item.application_id,
                    "error": mask(f"{exc.__class__.__name__}: {exc}"),
                },
            )

    async def _process(
        self,
        owner: str,
        item: Any,
        session: CaseSystemSession,
        systems: Systems,
        web: SeatSessions | None = None,
    ) -> None:
        async def mark_step(step: str) -> None:
            await self.canary.before_write()  # UI-drift canary (issue 13): none after a change
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
            write_started_at=item.write_started_at,
            settle_s=self.settings.case_system.write_settle_s,
            poll_budget_s=min(10.0, self.item_timeout_s / 3),
        )
        if web is not None:
            ctx.web = web.get
        if item.kind == "caseworker_action":
            await self._process_action(owner, item, ctx, web)
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
            self._journal(
                item,
                ctx,
                "SKIP",
                f"Till handläggare: {record.detail}",
                ["handläggare", f"orsak:{exc.reason.value}"],
            )
        except Exception as exc:  # the one boundary: unknown errors are application errors
            exc = await self.canary.classify(exc, session)  # UI-drift canary (issue 13)
            shots = await self._screenshots(item, exc, session, web)
            exc, state = await self._application_error(item, owner, exc, ctx)
            self.stats.application_errors += 1 if state == "abandoned" else 0
            self._emit("application_exception", item, started, error=mask(str(exc)), state=state)
            self._journal(
                item, ctx, "FAIL", _failure_text(exc, state), ["systemfel", f"kö:{state}"], shots
            )
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
                label = outcomes.label(result.decision.outcome)
                self._journal(
                    item,
                    ctx,
                    "PASS",
                    f"Beslut: {label}, diarienummer {result.diarienummer}"
                    + (" (fanns redan, skrevs inte igen)" if result.recovered else ""),
                    [f"utfall:{result.decision.outcome}", *(["återfunnet"] * result.recovered)],
                )
            else:
                record = _referral_record(result).model_copy(update={"due_at": _due_at(item)})
                await asyncio.to_thread(self.queue.business_exception, item.id, owner, record)
                self.stats.referred += 1
                self._emit(
                    "referred",
                    item,
                    started,
                    reasons=[str(r) for r in result.reason_codes],
                )
                self._journal(
                    item,
                    ctx,
                    "SKIP",
                    f"Till handläggare: {result.detail}",
                    ["handläggare", *(f"orsak:{r}" for r in result.reason_codes)],
                )

    async def _application_error(
        self, item: Any, owner: str, exc: Exception, ctx: WorkContext | None = None
    ) -> tuple[ApplicationException, str]:
        """Record a system problem on the item: retried later, or abandoned at the limit.

        A failure of the system (down, 5xx, no answer, a write still settling) lets the
        item wait without using an attempt. The message says what the case system already
        holds, so an administrator never retries blind.
        """
        if not isinstance(exc, ApplicationException):
            exc = ApplicationException(f"oväntat fel: {exc.__class__.__name__}: {mask(str(exc))}")
        transient = is_transient(exc)
        self.stats.transient_errors += int(transient)
        message = mask(str(exc))
        if ctx is not None and (written := ctx.facts.items.get("beslut")):
            value = written.get("value") or {}
            message += (
                f" — beslutet finns redan i ärendesystemet (diarienummer "
                f"{value.get('diarienummer', '?')}); det skrivs inte igen"
            )
        work = self.settings.work
        state = await asyncio.to_thread(
            self.queue.application_exception,
            item.id,
            owner,
            message,
            max_attempts=work.max_attempts,
            backoff_s=work.retry_backoff_s,
            transient=transient,
            max_transient=work.max_transient_failures,
            max_backoff_s=work.max_backoff_s,
        )
        return exc, state

    async def _process_action(
        self, owner: str, item: Any, ctx: WorkContext, web: SeatSessions | None = None
    ) -> None:
        """Write a caseworker's action back; the same error boundary as for applications."""
        action_id = int(item.payload["action_id"])
        started = time.perf_counter()

        async def write() -> Any:
            with ctx.log.step("Write Caseworker Decision Once And Read Back"):
                return await self.action_handler.process(ctx)

        try:
            try:
                written = await asyncio.wait_for(write(), self.item_timeout_s)
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
            self._journal(item, ctx, "FAIL", f"Åtgärden nekades: {exc}", ["åtgärd", "nekad"])
        except Exception as exc:  # the one boundary, as in _process
            exc = await self.canary.classify(exc, ctx.session)  # UI-drift canary (issue 13)
            shots = await self._screenshots(item, exc, ctx.session, web)
            exc, state = await self._application_error(item, owner, exc)
            if state == "abandoned":
                await asyncio.to_thread(
                    casework.record_failed, self.queue.sessions, action_id, str(exc)
                )
                self.stats.actions_failed += 1
            self._emit("application_exception", item, started, error=mask(str(exc)), state=state)
            self._journal(
                item, ctx, "FAIL", _failure_text(exc, state), ["åtgärd", f"kö:{state}"], shots
            )
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
            self._journal(
                item,
                ctx,
                "PASS",
                f"Handläggarens beslut skrivet, diarienummer {written.diarienummer}",
                ["åtgärd", "skriven"],
            )

    # -- the item's log --------------------------------------------------------------------

    def _journal(
        self,
        item: Any,
        ctx: WorkContext,
        status: str,
        message: str,
        tags: list[str],
        screenshots: list[str] | None = None,
    ) -> None:
        """Hand the finished item with its steps to the journal (log.html), if any."""
        if self.journal is None:
            return
        if item.kind == "caseworker_action":
            name = f"Handläggarbeslut {item.payload.get('action_id')} · {item.application_id}"
        else:
            name = f"Ansökan {item.application_id}"
        if item.attempts > 1:
            name += f" (försök {item.attempts})"
        record = item_record(
            ctx.log,
            name=name,
            item_id=item.id,
            application_id=item.application_id,
            kind=item.kind,
            status=status,
            message=message,
            tags=tags,
            screenshots=screenshots,
        )
        with contextlib.suppress(Exception):  # the log must never cost an item its outcome
            self.journal(record)

    async def _screenshots(
        self, item: Any, exc: Exception, session: CaseSystemSession, web: SeatSessions | None
    ) -> list[str]:
        """The screens of the system that failed (the case system if none is named), saved
        beside the log; file names, for the item's log entry."""
        if self.screenshot_dir is None:
            return []
        system = exc.system if isinstance(exc, ApplicationException) else None
        chosen: Any = session
        if system and web is not None:
            chosen = web.by_system(system) or session
        stem = self.screenshot_dir / f"skarm-{item.id}-{item.attempts}"
        try:
            shots = await asyncio.wait_for(chosen.screenshots(stem), 15)
        except Exception:  # a screenshot is evidence, never a reason to lose the item
            return []
        return [p.name for p in shots]

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


class _Seat:
    """What a seat's lanes share: the items since the last context renewal, and a gate so a
    renewal happens while no lane is inside an item (and none starts one meanwhile)."""

    def __init__(self) -> None:
        self.since_renewal = 0
        self._busy = 0
        self._alone = False
        self._changed = asyncio.Condition()

    @contextlib.asynccontextmanager
    async def item(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._alone)
            self._busy += 1
        try:
            yield
        finally:
            async with self._changed:
                self._busy -= 1
                self._changed.notify_all()

    @contextlib.asynccontextmanager
    async def alone(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: not self._alone)
            self._alone = True
            await self._changed.wait_for(lambda: self._busy == 0)
        try:
            yield
        finally:
            async with self._changed:
                self._alone = False
                self._changed.notify_all()


def _failure_text(exc: Exception, state: str) -> str:
    what = {
        "application_exception": "försöks igen senare",
        "abandoned": "gavs upp: till robotadministratören",
    }.get(state, state)
    return f"Systemfel ({what}): {mask(str(exc))}"


def _due_at(item: Any) -> Any:
    try:
        return casework.due_at(item.case_type, item.payload, item.created_at)
    except Exception:  # a due date must never cost the item its place in the queue
        return None


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
        reason_codes=[str(r) for r in result.reason_codes],
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
