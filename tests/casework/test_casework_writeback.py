"""Caseworkers' decisions written back by the robot: real stand-ins, Chromium and database.

The robot refers applications; a caseworker accepts one and decides another otherwise; the
robot runs again and writes each exactly once into the case system's ledger; a third run
writes nothing; a crash between the write and its record does not write twice.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import pytest

from caserobot import casework
from caserobot.db import utcnow
from caserobot.queue import WorkQueue
from caserobot.registry import register_robot, start_run
from caserobot.reports import build_run_report
from caserobot.worker import RobotWorker
from tests.utils.e2e import AS_OF, run_engine

pytestmark = pytest.mark.browser

SK = ["Skolskjuts"]
FS = ["Försörjningsstöd"]
EB = "ekonomiskt_bistand"


def _decisions(standins, case_type: str = "skolskjuts") -> list[dict]:  # type: ignore[no-untyped-def]
    return [
        e
        for e in standins.ledger("case_system")
        if e["kind"] == "decision" and e.get("arendetyp", "skolskjuts") == case_type
    ]


def _referred(db, units, case_type: str):  # type: ignore[no-untyped-def]
    entries = casework.queue_for(db.sessions, units, case_type=case_type)
    return [e for e in entries if e.recommended_outcome]


def _robot(settings, queue, case_type: str = "skolskjuts", seats: int = 2):  # type: ignore[no-untyped-def]
    worker = RobotWorker(settings, queue, case_type, seats=seats, as_of=AS_OF)
    return asyncio.run(worker.run())


def test_caseworker_decisions_reach_the_case_system_exactly_once(
    platform_settings, fresh_standins, db
):
    fresh_standins.generate(24, seed=11, malformed_share=0.0)
    queue = WorkQueue(db.sessions)
    run_engine(platform_settings, queue)
    robot_written = Counter(e["extern_ref"] for e in _decisions(fresh_standins))
    referred = _referred(db, SK, "skolskjuts")
    assert len(referred) >= 2, "the world refers some skolskjuts applications"
    # the robot set each item's due date: submission + 21 days
    first = casework.item(db.sessions, referred[0].id, SK)
    submitted = casework.submitted_at({"application": first.application})
    assert first.due_at == submitted + timedelta(days=21)
    assert first.legacy_case_id, "a referred case has a case in the case system"

    accepted = casework.accept(db.sessions, referred[0].id, SK, actor="skolskjuts")
    other = {"granted": "denied", "denied": "granted"}[referred[1].recommended_outcome]
    motivering = "Handläggarens bedömning: trafiksituationen är utredd.\nBeslutet kan överklagas."
    casework.decide(
        db.sessions, referred[1].id, SK, outcome=other, motivering=motivering, actor="skolskjuts"
    )

    register_robot(db.sessions, "skolskjuts", "1", "test", "skolskjuts")
    run = start_run(db.sessions, "skolskjuts", "test")
    stats = run_engine(platform_settings, queue, run_id=run.id)

    assert (stats.actions_written, stats.actions_failed, stats.processed) == (2, 0, 0)
    ledger = _decisions(fresh_standins)
    new = [
        e
        for e in ledger
        if e["extern_ref"] in {referred[0].application_id, referred[1].application_id}
    ]
    assert Counter(e["extern_ref"] for e in new) == {
        referred[0].application_id: 1,
        referred[1].application_id: 1,
    }
    by_app = {e["extern_ref"]: e for e in new}
    acc = by_app[referred[0].application_id]
    assert acc["utfall"] == {"granted": "bifall", "denied": "avslag"}[accepted.outcome]
    assert acc["motivering"] == accepted.motivering
    assert acc["motivering"].startswith("Beslut\n") and " bör " not in acc["motivering"]
    dec = by_app[referred[1].application_id]
    assert dec["utfall"] == {"granted": "bifall", "denied": "avslag"}[other]
    assert dec["motivering"].replace("\r\n", "\n") == motivering
    for ref, entry in ((referred[0], acc), (referred[1], dec)):
        [action] = casework.item(db.sessions, ref.id, SK).actions
        assert action.state == "written" and action.written_at is not None
        assert action.diarienummer == entry["diarienummer"]
        assert action.legacy_case_id == str(entry["case_id"])
    # write-back items are not applications in the run's report
    assert build_run_report(db.sessions, run.id).cases == []

    third = run_engine(platform_settings, queue)
    assert (third.actions_written, third.processed) == (0, 0)
    assert len(_decisions(fresh_standins)) == len(ledger)
    # the robot's own decisions were not touched either
    assert all(robot_written[a] == 1 for a in robot_written)


class SimulatedCrash(BaseException):
    """The robot's process dies (not an error the robot could record and go on from)."""


class CrashAfterWrite(WorkQueue):
    """The robot dies after the case system saved the decision, before our record of it.

    The error escapes the worker (it is raised outside the item's error boundary), so the
    item stays ``in_progress`` with its lease and step, as after a killed process.
    """

    def complete_with(self, item_id, owner, record):  # type: ignore[no-untyped-def]
        raise SimulatedCrash("between write and record")


def test_a_crash_between_write_and_record_does_not_write_twice(
    platform_settings, fresh_standins, sqlite_db
):
    db = sqlite_db  # PostgreSQL: see the first test of this module
    fresh_standins.generate(24, seed=11, malformed_share=0.0)
    queue = WorkQueue(db.sessions)
    run_engine(platform_settings, queue)
    ref = _referred(db, SK, "skolskjuts")[0]
    action = casework.accept(db.sessions, ref.id, SK, actor="skolskjuts")
    before = len(_decisions(fresh_standins))

    with pytest.raises(SimulatedCrash):
        _robot(platform_settings, CrashAfterWrite(db.sessions), seats=1)
    assert len(_decisions(fresh_standins)) == before + 1  # written, not recorded
    [work] = [i for i in queue.items(case_type="skolskjuts") if i.kind == "caseworker_action"]
    assert (work.state, work.step) == ("in_progress", "writing")
    assert casework.item(db.sessions, ref.id, SK).actions[0].state == "pending"

    # the next robot, once the crashed robot's lease has run out, reads the case back
    lease = platform_settings.work.lease_seconds
    later = WorkQueue(db.sessions, clock=lambda: utcnow() + timedelta(seconds=lease + 1))
    stats = _robot(platform_settings, later, seats=1)

    assert stats.actions_written == 1
    ledger = _decisions(fresh_standins)
    assert len(ledger) == before + 1
    [entry] = [e for e in ledger if e["extern_ref"] == ref.application_id]
    [recorded] = casework.item(db.sessions, ref.id, SK).actions
    assert (recorded.id, recorded.state) == (action.id, "written")
    assert recorded.diarienummer == entry["diarienummer"]


def test_an_eb_grant_by_a_caseworker_writes_decision_and_payment_once(
    platform_settings, fresh_standins, sqlite_db
):
    db = sqlite_db  # PostgreSQL: see the first test of this module
    fresh_standins.generate(30, seed=7, malformed_share=0.0, type=EB)
    queue = WorkQueue(db.sessions)
    run_engine(platform_settings, queue, case_type=EB)
    grants = [
        e
        for e in _referred(db, FS, EB)
        if e.recommended_outcome == "granted" and e.recommended_amount
    ]
    assert grants, "some ekonomiskt bistånd referrals recommend a grant"
    ref = grants[0]
    amount = ref.recommended_amount - 500
    action = casework.decide(
        db.sessions,
        ref.id,
        FS,
        outcome="granted",
        amount=amount,
        motivering="Bistånd beviljas efter handläggarens prövning av hyran.",
        actor="fsstod",
    )
    assert casework.due_at(
        EB, {"application": casework.item(db.sessions, ref.id, FS).application}, utcnow()
    )

    for _ in range(2):  # the second run must write nothing more
        run_engine(platform_settings, queue, case_type=EB)
        ledger = fresh_standins.ledger("case_system")
        decisions = [
            e for e in ledger if e["kind"] == "decision" and e["extern_ref"] == ref.application_id
        ]
        payments = [
            e
            for e in ledger
            if e["kind"] == "payment_order" and e["extern_ref"] == ref.application_id
        ]
        assert len(decisions) == 1 and len(payments) == 1
        assert decisions[0]["utfall"] == "bifall" and decisions[0]["belopp"] == amount
        assert payments[0]["belopp"] == amount
    [written] = casework.item(db.sessions, ref.id, FS).actions
    assert (written.id, written.state) == (action.id, "written")
    assert written.diarienummer == decisions[0]["diarienummer"]


def test_a_completion_request_reaches_the_applicant_once(
    platform_settings, fresh_standins, sqlite_db
):
    db = sqlite_db  # PostgreSQL: see the first test of this module
    fresh_standins.generate(24, seed=11, malformed_share=0.0)
    queue = WorkQueue(db.sessions)
    run_engine(platform_settings, queue)
    ref = _referred(db, SK, "skolskjuts")[0]
    casework.request_completion(
        db.sessions, ref.id, SK, message="Skicka in läkarintyget.", actor="skolskjuts"
    )
    for _ in range(2):
        run_engine(platform_settings, queue)
    sent = [
        e
        for e in fresh_standins.ledger("eservice")
        if e["kind"] == "completion_request" and e["application_id"] == ref.application_id
    ]
    assert len(sent) == 1 and sent[0]["message"] == "Skicka in läkarintyget."
    detail = casework.item(db.sessions, ref.id, SK)
    assert detail.status == "open"  # waiting for the applicant
    [action] = detail.actions
    assert action.state == "written" and action.diarienummer == sent[0]["request_id"]


def _with_work(settings, **update):  # type: ignore[no-untyped-def]
    return settings.model_copy(update={"work": settings.work.model_copy(update=update)})


def _completion_requested(sqlite_db, fresh_standins, platform_settings, queue):  # type: ignore[no-untyped-def]
    fresh_standins.generate(24, seed=11, malformed_share=0.0)
    run_engine(platform_settings, queue)
    ref = _referred(sqlite_db, SK, "skolskjuts")[0]
    casework.request_completion(
        sqlite_db.sessions, ref.id, SK, message="Skicka in läkarintyget.", actor="skolskjuts"
    )
    return ref


def _completion_requests(standins) -> list[dict]:  # type: ignore[no-untyped-def]
    return [e for e in standins.ledger("eservice") if e["kind"] == "completion_request"]


def test_a_write_back_waits_out_an_outage_and_is_written_once_when_the_system_returns(
    platform_settings, fresh_standins, sqlite_db
):
    queue = WorkQueue(sqlite_db.sessions)
    ref = _completion_requested(sqlite_db, fresh_standins, platform_settings, queue)
    fresh_standins.configure("eservice", fail_rate=1.0)  # the e-service is down

    down = _with_work(platform_settings, outage_wait_s=3.0, retry_backoff_s=0.2)
    stats = _robot(down, queue, seats=1)

    # The run ends saying why; the write-back is neither failed nor written: it waits.
    assert (stats.actions_written, stats.actions_failed) == (0, 0)
    assert "e-tjänst" in (stats.stopped_reason or "") and "nere" in stats.stopped_reason
    [work] = [i for i in queue.items(case_type="skolskjuts") if i.kind == "caseworker_action"]
    assert work.state == "application_exception"  # waiting for its next try
    assert work.attempts == 0 and work.transient_failures >= 1
    [action] = casework.item(sqlite_db.sessions, ref.id, SK).actions
    assert action.state not in ("failed", "written")
    assert not _completion_requests(fresh_standins)

    fresh_standins.configure("eservice", fail_rate=0.0)  # back
    stats = _robot(platform_settings, queue, seats=1)
    assert (stats.actions_written, stats.actions_failed) == (1, 0)
    assert len(_completion_requests(fresh_standins)) == 1
    [action] = casework.item(sqlite_db.sessions, ref.id, SK).actions
    assert action.state == "written"


def test_a_write_back_that_keeps_failing_ends_failed_with_the_error(
    platform_settings, fresh_standins, sqlite_db
):
    queue = WorkQueue(sqlite_db.sessions)
    ref = _completion_requested(sqlite_db, fresh_standins, platform_settings, queue)
    fresh_standins.configure("eservice", fail_rate=1.0)  # the e-service never answers well

    # A breaker that never opens, few system failures allowed, no backoff to wait out.
    settings = _with_work(
        platform_settings,
        breaker_threshold=1000,
        max_transient_failures=3,
        retry_backoff_s=0.0,
    )
    stats = _robot(settings, queue, seats=1)

    assert (stats.actions_written, stats.actions_failed) == (0, 1)
    [work] = [i for i in queue.items(case_type="skolskjuts") if i.kind == "caseworker_action"]
    assert work.state == "abandoned" and work.transient_failures == 3
    [action] = casework.item(sqlite_db.sessions, ref.id, SK).actions
    assert action.state == "failed" and "e-tjänst" in (action.error or "")
    assert not _completion_requests(fresh_standins)
