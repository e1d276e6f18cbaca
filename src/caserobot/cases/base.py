"""What every case type's handler shares: the systems it talks to, the facts it collects
(each with its source and fetch time) and the result it hands to the queue."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, Protocol

from caserobot.exceptions import ConfigurationError, Reason, reason_code
from caserobot.itemlog import ItemLog
from caserobot.legacy.casesystem import CaseSystemSession
from caserobot.legacy.eservice import EServiceClient


class Systems:
    """Clients of the API-reached systems, shared by all seats of one robot.

    The e-service (where every application comes from) is ``systems.eservice``; the
    registers are offered by name, ``systems["population"]``, so a case type asks for the
    systems it uses and the core names none of them for it.
    """

    def __init__(self, eservice: EServiceClient, registers: dict[str, Any]) -> None:
        self.eservice = eservice
        self._registers = dict(registers)

    def __getitem__(self, name: str) -> Any:
        try:
            return self._registers[name]
        except KeyError:
            known = ", ".join(sorted(self._registers))
            raise ConfigurationError(
                "robotens system", f"inget system heter {name!r} (finns: {known})"
            ) from None

    def names(self) -> list[str]:
        return sorted(self._registers)

    async def aclose(self) -> None:
        for client in (self.eservice, *self._registers.values()):
            await client.aclose()


@dataclass
class Facts:
    """The decision basis: every fact with its source and when it was fetched."""

    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Told of every fact as it is added (the item's log shows it under its step).
    on_add: Callable[[str, Any, str], None] | None = field(default=None, repr=False, compare=False)

    def add(self, name: str, value: Any, source: str) -> Any:
        self.items[name] = {
            "value": value,
            "source": source,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        if self.on_add is not None:
            self.on_add(name, value, source)
        return value

    def as_dict(self) -> dict[str, dict[str, Any]]:
        return dict(self.items)


@dataclass
class WorkContext:
    """One item's view of the robot: the item, its seat and a way to record progress."""

    item_id: int
    application_id: str
    step: str | None  # progress marker left by an earlier attempt ("writing" = maybe written)
    systems: Systems
    session: CaseSystemSession
    as_of: date
    mark_step: Callable[[str], Awaitable[None]]
    facts: Facts = field(default_factory=lambda: Facts())
    payload: dict[str, Any] = field(default_factory=dict)  # what the intake stored
    concurrent: bool = True  # False: one call after another, as a classic robot works
    write_started_at: datetime | None = None  # an earlier attempt began a write then
    settle_s: float = 120.0  # how long a write of unknown outcome may take to show
    poll_budget_s: float = 10.0  # how long one attempt reads back before the item waits
    web: Callable[[str], Awaitable[Any]] = field(default=lambda name: _no_web(name))
    """``await ctx.web(name)``: this seat's session in a web system the case type brings
    (:attr:`caserobot.discovery.CaseTypePackage.web_systems`), opened on first use."""
    log: ItemLog = field(default_factory=ItemLog)
    """The item's steps as they run, with the facts each collected (for log.html)."""

    def __post_init__(self) -> None:
        if self.facts.on_add is None:
            self.facts.on_add = self.log.fact

    @property
    def eservice_id(self) -> str:
        """The application's id in the e-service (an item of a split application is
        ``<id>/<part>``; its payload holds the application)."""
        application = self.payload.get("application") or {}
        return str(application.get("id") or self.application_id)

    async def gather(self, *aws: Awaitable[Any]) -> list[Any]:
        """Await independent calls side by side (or one by one for a classic robot).

        If one fails, the others are cancelled before the error propagates, so nothing of
        this item keeps using the seat while the robot moves on to the next item.
        """
        if not self.concurrent:
            results: list[Any] = []
            try:
                for aw in aws:
                    results.append(await aw)
            finally:
                for left in aws[len(results) + 1 :]:
                    if asyncio.iscoroutine(left):
                        left.close()
            return results
        tasks = [asyncio.ensure_future(aw) for aw in aws]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise


async def _no_web(name: str) -> Any:
    raise ConfigurationError("robotens system", f"sätet har inget webbsystem {name!r}")


class SeatSessions:
    """The sessions one seat holds in the web systems a case type brings, beside its
    case-system session: each opened when an item first asks for it, kept for the next
    items of the seat, logged out when the seat ends (else it holds a licence)."""

    def __init__(self, open_session: Callable[[str], Any]) -> None:
        self._new = open_session
        self._open: dict[str, Any] = {}
        self._lock = asyncio.Lock()

    async def get(self, name: str) -> Any:
        async with self._lock:
            if name not in self._open:
                session = self._new(name)
                await session.open()  # NoFreeSeat and outages are transient: the item waits
                self._open[name] = session
            return self._open[name]

    def by_system(self, system: str) -> Any | None:
        """The open session whose system is called ``system`` (its ``SYSTEM``), if any."""
        return next((s for s in self._open.values() if getattr(s, "SYSTEM", None) == system), None)

    async def renew_contexts(self) -> None:
        """Each open session to a fresh browser context (see ``WebSession.renew_context``)."""
        async with self._lock:
            for session in self._open.values():
                await session.renew_context()

    def pages(self) -> int:
        """Requests its sessions made to their UIs."""
        return sum(s.pages for s in self._open.values())

    async def aclose(self) -> None:
        for session in self._open.values():
            with contextlib.suppress(Exception):
                await session.close()
        self._open.clear()


@dataclass
class Decided:
    """A decision written back (or found already written) in the case system."""

    decision: Any  # caserobot.rules.Decision
    facts: Facts
    legacy_case_id: str
    diarienummer: str
    recovered: bool
    written_at: datetime | None
    verified_at: datetime


@dataclass
class Referred:
    """A case the rules say a person must decide; goes to the exception queue."""

    reason_codes: list[Reason]
    detail: str
    facts: Facts
    decision: Any | None  # the rules' decision with its recommendation, when there is one
    legacy_case_id: str | None

    @classmethod
    def by_rules(cls, decision: Any, facts: Facts, legacy_case_id: str | None) -> Referred:
        """The rules referred the case (outcome ``refer``): their reason codes, the
        referrals' reasons as the detail, and the decision with its recommendation."""
        codes = [reason_code(c) for c in decision.reason_codes]
        return cls(
            reason_codes=codes,
            detail=" ".join(decision.reasons[: len(codes)]),
            facts=facts,
            decision=decision,
            legacy_case_id=legacy_case_id,
        )


class CaseHandler(Protocol):
    case_type: str

    async def process(self, ctx: WorkContext) -> Decided | Referred: ...
