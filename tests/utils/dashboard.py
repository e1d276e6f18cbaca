"""A registry with a known month of applications, made through the real work queue.

:func:`arrange` fills a database with skolskjuts and ekonomiskt bistånd applications with
controlled timestamps (a fake queue clock), one of each fate the dashboard counts, and
returns what the dashboard should find (see :data:`EXPECTED`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from caserobot import casework, registry
from caserobot.queue import WorkQueue
from caserobot.records import DecisionRecord, ExceptionRecord

OWNER = "test-robot"
START, END = date(2026, 8, 1), date(2026, 8, 10)
#: Open items are judged against this time: A5 (due 08-23) is overdue, A6 and A7 are not.
NOW = datetime(2026, 8, 25, 12, 0, tzinfo=UTC)


def t(day: int, hour: int = 8, month: int = 8) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = t(1)

    def __call__(self) -> datetime:
        return self.now


def _application(app_id: str, case_type: str, submitted: datetime) -> dict[str, Any]:
    return {"id": app_id, "type": case_type, "submitted_at": submitted.isoformat()}


def _take(
    queue: WorkQueue,
    clock: Clock,
    app_id: str,
    submitted: datetime,
    case_type: str = "skolskjuts",
    claimed_at: datetime | None = None,
    part: dict[str, Any] | None = None,
) -> int:
    clock.now = submitted + timedelta(hours=1)  # queued an hour after submission
    application = _application(app_id, case_type, submitted)
    payload: dict[str, Any] = {"application": application}
    if part is not None:
        payload["part"] = part  # an application decided in parts (Komvux: a course choice)
    item, _ = queue.enqueue(case_type, app_id, payload)
    clock.now = claimed_at or clock.now
    [claimed] = queue.claim(case_type, OWNER, lease_seconds=3600)
    assert claimed.id == item.id
    return item.id


def _decide(
    queue: WorkQueue,
    clock: Clock,
    item_id: int,
    outcome: str,
    at: datetime,
    *,
    written: bool = True,
    amount: int | None = None,
) -> None:
    inputs: dict[str, Any] = {}
    if amount is not None:
        inputs = {"facts": {"utbetalning": {"value": {"belopp": amount}, "source": "test"}}}
    clock.now = at + timedelta(minutes=5)  # recorded a little after the write
    queue.complete(
        item_id,
        OWNER,
        DecisionRecord(
            outcome=outcome,
            rule_set="test",
            as_of=at.date(),
            inputs=inputs,
            written_at=at if written else None,
        ),
    )


def _refer(
    queue: WorkQueue,
    clock: Clock,
    item_id: int,
    submitted: datetime,
    reasons: list[str],
    recommended: str | None,
) -> int:
    clock.now = submitted + timedelta(hours=2)
    case = {"application": {"submitted_at": submitted.isoformat()}}
    record = ExceptionRecord(
        reason_codes=reasons,
        recommended_outcome=recommended,
        draft_motivering="Förslag till beslut\nAnsökan bör beviljas." if recommended else None,
        due_at=casework.due_at("skolskjuts", case, submitted),
    )
    return queue.business_exception(item_id, OWNER, record).id


def arrange(sessions) -> None:  # type: ignore[no-untyped-def]
    """The month described in :data:`EXPECTED` (skolskjuts: SLA 21 days, 25 min by hand)."""
    registry.register_robot(sessions, "skolskjuts", "1", "test", "skolskjuts")
    registry.register_robot(sessions, "eb", "1", "test", "ekonomiskt_bistand")
    clock = Clock()
    queue = WorkQueue(sessions, clock=clock)
    # decided by the robot: lead times 4 h, 24 h (recorded, not written: created_at), 27 days
    _decide(queue, clock, _take(queue, clock, "A1", t(1)), "granted", t(1, 12))
    a2 = _take(queue, clock, "A2", t(2))
    _decide(queue, clock, a2, "denied", t(3) - timedelta(minutes=5), written=False)
    a3 = _take(queue, clock, "A3", t(3), claimed_at=t(30, 7))  # the robot was stopped
    _decide(queue, clock, a3, "granted", t(30))  # an SLA breach
    # referred; a caseworker decides, the robot writes it back two days after submission
    referred = _refer(
        queue, clock, _take(queue, clock, "A4", t(4)), t(4), ["medical_certificate"], "granted"
    )
    # referred, still open; due 08-23, overdue at NOW
    a5 = _take(queue, clock, "A5", t(2, 9))
    _refer(queue, clock, a5, t(2, 9), ["taxi_requested", "traffic_danger"], "denied")
    # a faulty application (no recommendation), open, due 08-26
    _refer(queue, clock, _take(queue, clock, "A6", t(5)), t(5), ["invalid_personnummer"], None)
    # an application error
    a7 = _take(queue, clock, "A7", t(6))
    queue.abandon(a7, OWNER, "ärendesystemet svarar inte")
    # outside the period (submitted in July, queued in August)
    _decide(queue, clock, _take(queue, clock, "A0", t(31, 12, month=7)), "granted", t(1, 9))
    # ekonomiskt bistånd: granted with a payment of 5 400 kr (SLA 7 days, 40 min by hand)
    eb = _take(queue, clock, "E1", t(3), case_type="ekonomiskt_bistand")
    _decide(queue, clock, eb, "granted", t(4), amount=5400)

    action = casework.accept(sessions, referred, ["Skolskjuts"], actor="skolskjuts")
    writer = WorkQueue(sessions)  # the write-back item is queued at the real time
    [write_back] = writer.claim("skolskjuts", OWNER, lease_seconds=60)
    assert write_back.kind == "caseworker_action"
    writer.complete_with(
        write_back.id,
        OWNER,
        lambda session: casework.record_written(
            session,
            action.id,
            legacy_case_id="A-1",
            diarienummer="SK-1",
            written_at=t(6),
            recovered=False,
        ),
    )
    # queued, not yet processed; no submission time in the payload (queued time counts)
    clock.now = t(7)
    queue.enqueue("skolskjuts", "A8", {"application": {"id": "A8"}})
