"""The circuit breaker's state machine, on a fake clock (the engine tests run it for real)."""

from __future__ import annotations

import asyncio

import pytest

from caserobot.exceptions import (
    BusinessException,
    LegacySystemUnavailable,
    ReasonCode,
    SystemDown,
    UnexpectedScreen,
)
from caserobot.legacy.breaker import Breakers, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def down() -> LegacySystemUnavailable:
    return LegacySystemUnavailable("svarade 503", system="ärendesystemet")


def test_opens_after_consecutive_failures_and_an_answer_resets_the_count() -> None:
    clock = Clock()
    b = CircuitBreaker("x", failure_threshold=3, clock=clock)
    b.failure(down())
    b.failure(down())
    b.failure(UnexpectedScreen("okänd sida"))  # an answer: the system is up
    b.failure(down())
    b.failure(down())
    assert b.state == "closed"
    b.failure(down())
    assert b.state == "open" and b.is_open


def test_an_open_breaker_refuses_calls_then_lets_one_probe_through() -> None:
    clock = Clock()
    b = CircuitBreaker("x", failure_threshold=1, reset_s=2, max_reset_s=8, clock=clock)
    b.failure(down())
    with pytest.raises(SystemDown):
        b.before_call()
    clock.now += 2
    assert b.before_call() is True  # the probe
    with pytest.raises(SystemDown):
        b.before_call()  # one probe at a time
    b.failure(down(), probe=True)
    assert b.retry_in_s() == 4  # doubled
    clock.now += 4
    assert b.before_call() is True
    b.failure(down(), probe=True)
    clock.now += 8
    assert b.before_call() is True
    b.failure(down(), probe=True)
    assert b.retry_in_s() == 8  # capped
    clock.now += 8
    assert b.before_call() is True
    b.success(probe=True)
    assert b.state == "closed" and b.before_call() is False
    status = b.status()
    assert status.calls_while_open == 4 and status.rejected == 2


def test_a_cancelled_probe_is_no_news_and_a_business_answer_means_up() -> None:
    clock = Clock()
    b = CircuitBreaker("x", failure_threshold=1, clock=clock)
    b.failure(down())
    clock.now += 1
    assert b.before_call() is True
    b.failure(asyncio.CancelledError(), probe=True)
    assert b.state == "open" and b.before_call() is True  # the next seat may probe
    b.failure(BusinessException(ReasonCode.PERSON_NOT_FOUND, "finns inte"), probe=True)
    assert b.state == "closed"


def test_changes_are_reported_once_per_outage() -> None:
    seen: list[tuple[str, bool]] = []
    breakers = Breakers(lambda b: seen.append((b.system, b.is_open)), failure_threshold=1)
    b = breakers("ärendesystemet", "http://127.0.0.1:8702")
    b.failure(down())
    b.failure(down())
    b.success()
    b.success()
    assert seen == [("ärendesystemet", True), ("ärendesystemet", False)]
    assert breakers.base_urls == {"ärendesystemet": "http://127.0.0.1:8702"}
