"""Fixtures for the storage tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from caserobot.db import Database
from caserobot.queue import WorkQueue


class FakeClock:
    """A clock that only moves when told to."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 8, 3, 8, 0, tzinfo=UTC))


@pytest.fixture
def queue(db: Database, clock: FakeClock) -> WorkQueue:
    return WorkQueue(db.sessions, clock=clock)
