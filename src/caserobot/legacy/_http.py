"""Shared HTTP plumbing for the register APIs: error mapping and short retries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from caserobot.exceptions import (
    ApplicationException,
    LegacySystemUnavailable,
    LegacyTimeout,
    SystemDown,
)
from caserobot.legacy.breaker import CircuitBreaker

T = TypeVar("T")


class CallCounter:
    """Counts calls per system; the benchmark reads it."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = {}

    def add(self, system: str) -> None:
        self.calls[system] = self.calls.get(system, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.calls.values())


async def call(
    system: str,
    step: str,
    send: Callable[[], Awaitable[httpx.Response]],
    *,
    counter: CallCounter | None = None,
    attempts: int = 3,
    breaker: CircuitBreaker | None = None,
) -> httpx.Response:
    """Send a request, mapping transport errors and 5xx to application exceptions.

    Transient failures are retried briefly here; the work-item queue retries the whole
    item with a longer backoff if they persist. With a ``breaker``, every try goes through
    it, and a system it holds as down is not called at all (:class:`SystemDown`).
    """

    async def once() -> httpx.Response:
        if breaker is not None:
            return await breaker.call(send_once)
        return await send_once()

    async def send_once() -> httpx.Response:
        if counter is not None:
            counter.add(system)
        try:
            response = await send()
        except httpx.TimeoutException as exc:
            raise LegacyTimeout(f"{system} svarade inte i tid", system=system, step=step) from exc
        except httpx.TransportError as exc:
            raise LegacySystemUnavailable(
                f"{system} kan inte nås: {exc.__class__.__name__}", system=system, step=step
            ) from exc
        if response.status_code >= 500:
            raise LegacySystemUnavailable(
                f"{system} svarade {response.status_code}", system=system, step=step
            )
        return response

    retrying = AsyncRetrying(
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.2, max=2),
        retry=retry_if_exception(
            lambda e: isinstance(e, ApplicationException) and not isinstance(e, SystemDown)
        ),
        reraise=True,
    )
    async for attempt in retrying:
        with attempt:
            return await once()
    raise AssertionError("unreachable")  # pragma: no cover


def new_client(base_url: str, timeout_s: float) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    return httpx.AsyncClient(base_url=base_url, timeout=timeout_s, limits=limits)


class ApiClient:
    """Base of the register clients: one pooled httpx client, calls counted and mapped."""

    SYSTEM = "api"

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 10.0,
        counter: CallCounter | None = None,
        breaker: CircuitBreaker | None = None,
    ) -> None:
        self._http = new_client(base_url, timeout_s)
        self._counter = counter
        self.breaker = breaker

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _call(
        self, step: str, send: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        return await call(self.SYSTEM, step, send, counter=self._counter, breaker=self.breaker)
