"""Circuit breakers: one per legacy system, shared by every seat and client of a robot.

A system that keeps failing (connection refused, 5xx, timeouts) is not called again until a
back-off has passed; then a single probe call goes through (half-open). If it succeeds the
system is back and calls flow again; if it fails the back-off doubles, up to a ceiling.
While the breaker is open the robot claims no new items (``RobotWorker``), items that were
in flight go back to the queue without using up an attempt, and the number of calls made
to the system during the outage stays bounded: about ``log2(max_reset_s / reset_s)`` plus
``outage / max_reset_s`` probes per robot.

Only failures that say the *system* is unwell count (:func:`caserobot.exceptions
.is_transient` minus seat and session problems); a business exception or an unexpected
screen is an answer, so it closes the breaker like any other answer.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from caserobot.exceptions import (
    LegacySystemUnavailable,
    LegacyTimeout,
    SystemDown,
    WriteOutcomeUnknown,
)

T = TypeVar("T")
State = Literal["closed", "open", "half_open"]


def counts_as_down(exc: BaseException) -> bool:
    """A failure that says the system itself is unreachable or failing."""
    return isinstance(exc, LegacySystemUnavailable | LegacyTimeout | WriteOutcomeUnknown) and (
        not isinstance(exc, SystemDown)
    )


@dataclass(frozen=True)
class BreakerStatus:
    system: str
    state: State
    consecutive_failures: int
    down_since: float | None  # monotonic seconds, None when closed
    next_probe_in_s: float | None
    calls_while_open: int  # probes let through while the system was considered down
    rejected: int  # calls refused without reaching the system
    last_error: str | None


class CircuitBreaker:
    """The breaker of one system.

    Args:
        system: the system's name, as in error messages.
        failure_threshold: consecutive failures that open the breaker.
        reset_s: first back-off before a probe; doubles on each failed probe.
        max_reset_s: ceiling of the back-off.
        clock: monotonic seconds (tests pass a fake one).
    """

    def __init__(
        self,
        system: str,
        *,
        failure_threshold: int = 5,
        reset_s: float = 1.0,
        max_reset_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[CircuitBreaker], None] | None = None,
    ) -> None:
        self.system = system
        self._on_change = on_change
        self.failure_threshold = failure_threshold
        self.reset_s = reset_s
        self.max_reset_s = max_reset_s
        self._clock = clock
        self.state: State = "closed"
        self.consecutive_failures = 0
        self._delay = reset_s
        self._opened_at: float | None = None
        self._next_probe_at = 0.0
        self._probe_in_flight = False
        self.calls_while_open = 0
        self.rejected = 0
        self.last_error: str | None = None

    # -- the protocol -----------------------------------------------------------------------

    def before_call(self) -> bool:
        """Admit a call or raise :class:`SystemDown`. Returns True if the call is a probe."""
        if self.state == "closed":
            return False
        now = self._clock()
        if self.state == "open" and now >= self._next_probe_at:
            self.state = "half_open"
        if self.state == "half_open" and not self._probe_in_flight:
            self._probe_in_flight = True
            self.calls_while_open += 1
            return True
        self.rejected += 1
        raise SystemDown(
            f"{self.system} är nere (försöker igen om {self.retry_in_s():.0f} s)",
            system=self.system,
        )

    def success(self, probe: bool = False) -> None:
        if probe or self.state != "closed":
            self._probe_in_flight = False
        was_down = self._opened_at is not None
        self.state = "closed"
        self.consecutive_failures = 0
        self._delay = self.reset_s
        self._opened_at = None
        self.last_error = None
        if was_down and self._on_change is not None:
            self._on_change(self)

    def failure(self, exc: BaseException, probe: bool = False) -> None:
        if not isinstance(exc, Exception):  # cancelled, not answered: no news either way
            if probe:
                self._probe_in_flight = False
                if self.state == "half_open":
                    self.state = "open"  # another seat may probe at once
            return
        if not counts_as_down(exc):
            self.success(probe)  # the system answered: it is up
            return
        self.last_error = str(exc)
        self.consecutive_failures += 1
        if probe or self.state == "half_open":
            self._probe_in_flight = False
            self._delay = min(self._delay * 2, self.max_reset_s)
            self._open()
        elif self.state == "closed" and self.consecutive_failures >= self.failure_threshold:
            self._open()

    async def call(self, send: Callable[[], Awaitable[T]]) -> T:
        """Run ``send()`` through the breaker."""
        probe = self.before_call()
        try:
            result = await send()
        except BaseException as exc:
            self.failure(exc, probe)
            raise
        self.success(probe)
        return result

    # -- what the robot asks ----------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """Whether new work should wait (open, or half-open with its probe out)."""
        return self.state != "closed"

    def retry_in_s(self) -> float:
        if self.state == "closed":
            return 0.0
        return max(0.0, self._next_probe_at - self._clock())

    def down_for_s(self) -> float:
        return 0.0 if self._opened_at is None else self._clock() - self._opened_at

    def status(self) -> BreakerStatus:
        return BreakerStatus(
            system=self.system,
            state=self.state,
            consecutive_failures=self.consecutive_failures,
            down_since=self._opened_at,
            next_probe_in_s=None if self.state == "closed" else round(self.retry_in_s(), 1),
            calls_while_open=self.calls_while_open,
            rejected=self.rejected,
            last_error=self.last_error,
        )

    def _open(self) -> None:
        now = self._clock()
        went_down = self._opened_at is None
        if went_down:
            self._opened_at = now
        self.state = "open"
        self._next_probe_at = now + self._delay
        if went_down and self._on_change is not None:
            self._on_change(self)


class Breakers:
    """The breakers of one robot process, by system name (created on first use).

    ``on_change(breaker)`` is called when a system goes down or comes back.
    """

    def __init__(
        self, on_change: Callable[[CircuitBreaker], None] | None = None, **options: float
    ) -> None:
        self._options = options
        self._on_change = on_change
        self._by_system: dict[str, CircuitBreaker] = {}
        self.base_urls: dict[str, str] = {}

    def __call__(self, system: str, base_url: str | None = None) -> CircuitBreaker:
        if system not in self._by_system:
            self._by_system[system] = CircuitBreaker(
                system,
                on_change=self._on_change,
                **self._options,  # type: ignore[arg-type]
            )
        if base_url:
            self.base_urls[system] = base_url
        return self._by_system[system]

    def open_ones(self) -> list[CircuitBreaker]:
        return [b for b in self._by_system.values() if b.is_open]

    def statuses(self) -> list[BreakerStatus]:
        return [b.status() for b in self._by_system.values()]
