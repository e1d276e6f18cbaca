"""Intake: move submitted applications from the e-service into the durable work queue.

An application is marked received in the e-service only after its work item is committed,
so a crash in between loses nothing: the next intake lists it again and the idempotency key
makes the second enqueue a no-op.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from caserobot.legacy.eservice import EServiceClient
from caserobot.queue import WorkQueue
from caserobot.settings import Settings


@dataclass(frozen=True)
class IntakeResult:
    listed: int
    enqueued: int
    already_queued: int


async def intake(
    settings: Settings, queue: WorkQueue, case_type: str, *, run_id: int | None = None
) -> IntakeResult:
    client = EServiceClient(settings.eservice.base_url, timeout_s=settings.eservice.timeout_s)
    try:
        applications = await client.list_submitted(case_type)
        results = await asyncio.to_thread(
            queue.enqueue_many,
            case_type,
            [(str(a.get("id")), {"application": a}) for a in applications],
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
        listed=len(applications), enqueued=created, already_queued=len(applications) - created
    )
