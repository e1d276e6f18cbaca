"""The chaos harness's checks find what they look for: real writes in the real case system.

A caseworker writes in the case system's UI what the robot never recorded (one application's
case and decision twice, another's once, a third's once and the registry records that one
as the robot's grant); ``check`` must count those as duplicates and wrong writes, and the
unfinished items as lost. A harness that always said 0 would pass
``test_chaos_small`` on a broken platform.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
from datetime import date
from pathlib import Path

import httpx
import pytest

from caserobot.intake import intake
from caserobot.legacy import browser as chromium
from caserobot.legacy.casesystem import CaseSystemSession
from caserobot.queue import WorkQueue
from caserobot.records import DecisionRecord
from tests.fixtures.platform import apply_standins_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHAOS = Path(__file__).resolve().parents[2] / "benchmarks" / "chaos.py"


def _chaos_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("chaos_harness", CHAOS)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def _write_as_caseworker(settings, writes: list[dict]) -> None:  # type: ignore[no-untyped-def]
    worker = settings.case_system.model_copy(update={"username": "handlaggare"})
    worker.password = type(worker.password)("handlaggare")
    pw, browser = await chromium.launch(settings.browser)
    try:
        async with CaseSystemSession(browser, worker) as session:
            for app in writes:
                case = await session.create_case(
                    app["child"]["personnummer"].replace("-", ""), "skolskjuts", app["id"]
                )
                await session.write_decision(case.case_id, "denied", "Avslås av handläggaren.")
    finally:
        await chromium.shutdown(pw, browser)


def test_check_counts_duplicates_unrecorded_decisions_and_open_items(
    fresh_standins, sqlite_db, monkeypatch
):
    settings = apply_standins_env(fresh_standins, monkeypatch)
    ids = fresh_standins.generate(3, seed=17, malformed_share=0.0)["ids"]
    queue = WorkQueue(sqlite_db.sessions)
    asyncio.run(intake(settings, queue, "skolskjuts"))
    apps = [
        httpx.get(f"{fresh_standins.eservice_url}/api/applications/{a}").json() for a in ids
    ]
    twice, once, taken = apps
    asyncio.run(_write_as_caseworker(settings, [twice, twice, once, taken]))
    # The registry records the caseworker's decision on ``taken`` as the robot's own grant.
    claimed = queue.claim("skolskjuts", "robot", lease_seconds=60, limit=3)
    [item] = [i for i in claimed if i.application_id == taken["id"]]
    [written] = [e for e in fresh_standins.ledger("case_system")
                 if e["kind"] == "decision" and e["extern_ref"] == taken["id"]]
    queue.complete(item.id, "robot", DecisionRecord(
        outcome="granted", rule_set="skolskjuts/nacka", as_of=date(2026, 8, 15),
        diarienummer=written["diarienummer"],
    ))

    chaos = _chaos_module()
    standins = chaos.Standins({s: fresh_standins.url(s) for s in chaos.SYSTEMS})
    args = argparse.Namespace(layout_change=True)
    result = chaos.check(args, standins, queue, {"skolskjuts": ids}, 0)

    assert result["cases"] == 3
    assert result["lost"] == 2 and result["terminal"] is False
    assert result["items_by_state"] == {"in_progress": 2, "done": 1}
    dupes = sorted((d["application"], d["kind"], d["count"]) for d in result["duplicate_writes"])
    assert dupes == [(twice["id"], "case_created", 2), (twice["id"], "decision", 2)]
    assert result["duplicates"] == 2
    wrong = sorted((w["application"], w["why"]) for w in result["wrong_write_details"])
    assert wrong == sorted([
        (twice["id"], "decision in the case system, none recorded"),
        (once["id"], "decision in the case system, none recorded"),
        (taken["id"], "recorded as the robot's, written by another"),
        (taken["id"], "outcome differs"),
    ])
    assert result["wrong_writes"] == 4
    assert result["writes_after_layout_change"] == 8  # 4 cases created, 4 decisions
