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


#: Told the applications done so far and the number listed, after each batch.
ProgressFn = Callable[[int, int], None]


async def intake(
    settings: Settings,
    queue: WorkQueue,
    case_type: str,
    *,
    run_id: int | None = None,
    progress: ProgressFn | None = None,
) -> IntakeResult:
    """Move every submitted application of ``case_type`` into the queue.

    In batches of ``work.intake_batch``: a batch's items are committed in one transaction,
    then its applications are marked received, at most ``work.intake_concurrency`` calls
    at once. Repeating it (or a crash half-way) is harmless: what was not marked received is
    listed again and its items are found already queued.
    """
    client = EServiceClient(settings.eservice.base_url, timeout_s=settings.eservice.timeout_s)
    limiter = asyncio.Semaphore(settings.work.intake_concurrency)
    batch_size = settings.work.intake_batch
    enqueued = already = done = 0

    async def mark(application_id: str) -> None:
        async with limiter:
            await client.mark_received(application_id)

    try:
        applications = await client.list_submitted(case_type)
        split = discovery.package(case_type).splitter()
        if progress is not None:
            progress(0, len(applications))
        for start in range(0, len(applications), batch_size):
            batch = applications[start : start + batch_size]
            results = await asyncio.to_thread(
                queue.enqueue_many,
                case_type,
                [item for a in batch for item in work_items(a, split)],
                run_id=run_id,
            )
            created = sum(1 for _, was_created in results if was_created)
            enqueued += created
            already += len(results) - created
            await asyncio.gather(*(mark(str(a.get("id"))) for a in batch))
            done += len(batch)
            if progress is not None:
                progress(done, len(applications))
    finally:
        await client.aclose()
    return IntakeResult(listed=len(applications), enqueued=enqueued, already_queued=already)


def work_items(
    application: dict[str, Any], split: Callable[[dict[str, Any]], Any] | None
) -> list[tuple[str, dict[str, Any]]]:
    """The work items of one application: ``(item id, payload)``."""
    app_id = str(application.get("id"))
    parts = list(split(application)) if split is not None else []
    if not parts:
        return [(app_id, {"application": application})]
    return [(f"{app_id}/{key}", {"application": application, "part": part}) for key, part in parts]
