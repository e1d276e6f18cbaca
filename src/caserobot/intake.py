"""Intake: move submitted applications from the e-service into the durable work queue.

An application is marked received in the e-service only after its work item is committed,
so a crash in between loses nothing: the next intake lists it again and the idempotency key
makes the second enqueue a no-op.

A case type that decides an application in parts (say, course by course) splits it
(:attr:`caserobot.discovery.CaseTypePackage.work_items`): each part becomes its own item,
``<application id>/<key>``, all of an application's items in the same transaction. An
application the split finds nothing in (no course choices: bad input) stays one item, so
its handler reports what is wrong.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from caserobot import discovery
from caserobot.legacy.eservice import EServiceClient
from caserobot.queue import WorkQueue
from caserobot.settings import Settings


@dataclass(frozen=True)
class IntakeResult:
    """``listed`` applications; ``enqueued`` and ``already_queued`` count work items (more
    than the applications for a case type that splits them)."""

    listed: int
    enqueued: int
    already_queued: int


async def intake(
    settings: Settings, queue: WorkQueue, case_type: str, *, run_id: int | None = None
) -> IntakeResult:
    client = EServiceClient(settings.eservice.base_url, timeout_s=settings.eservice.timeout_s)
    try:
        applications = await client.list_submitted(case_type)
        split = discovery.package(case_type).splitter()
        results = await asyncio.to_thread(
            queue.enqueue_many,
            case_type,
            [item for a in applications for item in work_items(a, split)],
            run_id=run_id,
        )
        created = sum(1 for _, was_created in results if was_created)
        limiter = asyncio.Semaphore(8)

        async def mark(application_id: str) -> None:
            async with limiter:
                await client.mark_received(application_id)

        await asyncio.gather(*(mark(str(a.get("id"))) for a in applications))
    finally:
        await client.aclose()
    return IntakeResult(
        listed=len(applications), enqueued=created, already_queued=len(results) - created
    )


def work_items(
    application: dict[str, Any], split: Callable[[dict[str, Any]], Any] | None
) -> list[tuple[str, dict[str, Any]]]:
    """The work items of one application: ``(item id, payload)``."""
    app_id = str(application.get("id"))
    parts = list(split(application)) if split is not None else []
    if not parts:
        return [(app_id, {"application": application})]
    return [(f"{app_id}/{key}", {"application": application, "part": part}) for key, part in parts]
