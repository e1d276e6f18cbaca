"""Helpers for end-to-end tests: run intake + the robot engine, check the ledgers."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from datetime import date
from typing import Any

from caserobot.intake import intake
from caserobot.queue import WorkQueue
from caserobot.worker import RobotWorker, WorkerStats

AS_OF = date(2026, 8, 15)


def run_engine(
    settings: Any,
    queue: WorkQueue,
    *,
    seats: int = 4,
    mode: str = "fast",
    run_id: int | None = None,
    case_type: str = "skolskjuts",
) -> WorkerStats:
    asyncio.run(intake(settings, queue, case_type, run_id=run_id))
    worker = RobotWorker(
        settings,
        queue,
        case_type,
        seats=seats,
        mode=mode,  # type: ignore[arg-type]
        run_id=run_id,
        as_of=AS_OF,
        progress=_print_progress if os.environ.get("E2E_PROGRESS") else None,
    )
    return asyncio.run(worker.run())


def _print_progress(event: str, data: Any) -> None:
    """E2E_PROGRESS=1 (with pytest -s): the robot's events with their times, to see where a
    slow test spends its time."""
    print(f"{time.strftime('%H:%M:%S')} {event} {data}", flush=True)


def decisions_by_application(standins: Any) -> Counter[str]:
    """How many decisions the case system received per application (extern_ref)."""
    return Counter(
        e["extern_ref"] for e in standins.ledger("case_system") if e["kind"] == "decision"
    )


def assert_nothing_lost_nothing_twice(
    standins: Any, queue: WorkQueue, submitted: list[str]
) -> None:
    items = {i.application_id: i for i in queue.items(case_type="skolskjuts", limit=100_000)}
    assert sorted(items) == sorted(submitted), "every submitted application has one work item"
    not_final = {
        a: i.state for a, i in items.items() if i.state not in ("done", "business_exception")
    }
    assert not not_final, f"items not finished: {not_final}"
    written = decisions_by_application(standins)
    twice = {a: n for a, n in written.items() if n > 1}
    assert not twice, f"decisions written more than once: {twice}"
    done = {a for a, i in items.items() if i.state == "done"}
    assert set(written) == done, "a decision in the case system for exactly the done items"
    ledger = {e["extern_ref"]: e for e in standins.ledger("case_system") if e["kind"] == "decision"}
    for app_id in done:
        recorded = queue.decision(items[app_id].id)
        assert recorded is not None
        assert recorded.diarienummer == ledger[app_id]["diarienummer"]


def case_ledger(standins: Any, kind: str, case_type: str) -> list[dict[str, Any]]:
    """The case system's ledger entries of one kind (``decision``, ``payment_order``) and type."""
    return [
        e
        for e in standins.ledger("case_system")
        if e["kind"] == kind and e.get("arendetyp") == case_type
    ]
