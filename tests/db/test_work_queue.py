"""The work-item queue on SQLite and PostgreSQL, with a clock the tests control."""

from __future__ import annotations

from datetime import date, timedelta

import pydantic
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from caserobot.db import Database
from caserobot.db.models import DecisionRow, ExceptionItemRow
from caserobot.exceptions import ApplicationException
from caserobot.queue import (
    DecisionRecord,
    ExceptionRecord,
    LeaseLost,
    WorkQueue,
    idempotency_key,
    new_owner_id,
)
from caserobot.registry import list_exception_items, register_robot, start_run

CT = "skolskjuts"
LEASE = 60


def decision(**overrides: object) -> DecisionRecord:
    values: dict[str, object] = {
        "outcome": "granted",
        "rule_set": "skolskjuts/nacka",
        "as_of": date(2026, 8, 1),
        "inputs": {"walking_distance_m": 2345, "grade": "3", "checked_on": date(2026, 8, 1)},
        "trace": [{"rule": "distance", "paragraph": "§4"}],
        "reasons": ["distance_over_limit"],
        "motivering": "Avståndet överstiger 2 km.",
        "legacy_case_id": "A-17",
        "diarienummer": "BOU 2026/17",
    }
    values.update(overrides)
    return DecisionRecord.model_validate(values)


def exception_record() -> ExceptionRecord:
    return ExceptionRecord(
        reason_codes=["medical_certificate"],
        detail="Läkarintyg bifogat",
        decision_basis={"distance": {"value": 1200, "source": "route", "fetched_at": "t"}},
        recommended_outcome="denied",
        draft_motivering="Utkast",
    )


def count(db: Database, model: type) -> int:
    with db.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


# -- enqueue -------------------------------------------------------------------------------


def test_enqueue_twice_returns_the_existing_item_and_never_resets_it(queue: WorkQueue) -> None:
    first, created = queue.enqueue(CT, "ES-1", {"n": 1})
    assert created
    assert first.idempotency_key == idempotency_key(CT, "ES-1") == "skolskjuts:ES-1"
    assert (first.state, first.attempts, first.payload) == ("new", 0, {"n": 1})

    [claimed] = queue.claim(CT, "a", lease_seconds=LEASE)
    queue.mark_step(claimed.id, "a", "writing")
    queue.complete(claimed.id, "a", decision())

    again, created = queue.enqueue(CT, "ES-1", {"n": 999})
    assert not created
    assert again.id == first.id
    assert (again.state, again.attempts, again.step, again.payload) == (
        "done",
        1,
        "writing",
        {"n": 1},
    )
    assert queue.counts(CT)["done"] == 1
    assert sum(queue.counts(CT).values()) == 1


def test_the_same_application_under_another_case_type_is_another_item(queue: WorkQueue) -> None:
    a, _ = queue.enqueue(CT, "ES-1", {})
    b, created = queue.enqueue("other", "ES-1", {})
    assert created and a.id != b.id


def test_enqueue_many_creates_each_application_once_in_input_order(queue: WorkQueue) -> None:
    existing, _ = queue.enqueue(CT, "ES-000005", {"old": True})
    batch = [(f"ES-{n:06d}", {"n": n}) for n in range(700)] + [("ES-000001", {"dup": 1})]

    results = queue.enqueue_many(CT, batch)

    assert [item.application_id for item, _ in results] == [app for app, _ in batch]
    created = [item.application_id for item, was_created in results if was_created]
    assert len(created) == 699
    assert "ES-000005" not in created
    assert results[5][0].id == existing.id and results[5][0].payload == {"old": True}
    assert results[-1] == (results[1][0], False)
    assert queue.counts(CT)["new"] == 700


def test_payload_round_trips_as_json(queue: WorkQueue) -> None:
    payload = {"child": {"name": "Elsa"}, "addresses": [{"street": "Testvägen 12"}], "n": None}
    item, _ = queue.enqueue(CT, "ES-1", payload)
    assert queue.get(item.id).payload == payload  # type: ignore[union-attr]


def test_enqueue_records_the_run(db: Database, queue: WorkQueue) -> None:
    register_robot(db.sessions, "r", "1", "o", CT)
    run = start_run(db.sessions, "r", "test")
    item, _ = queue.enqueue(CT, "ES-1", {}, run_id=run.id)
    assert item.run_id == run.id
    assert queue.counts(run_id=run.id)["new"] == 1
    assert [i.id for i in queue.items(run_id=run.id)] == [item.id]


def test_records_are_frozen_snapshots(queue: WorkQueue) -> None:
    item, _ = queue.enqueue(CT, "ES-1", {})
    with pytest.raises(pydantic.ValidationError):
        item.state = "done"  # type: ignore[misc]


# -- claim ---------------------------------------------------------------------------------


def test_claim_takes_oldest_new_items_and_holds_them(queue: WorkQueue, clock) -> None:
    for n in range(3):
        queue.enqueue(CT, f"ES-{n}", {})
        clock.advance(1)
    queue.enqueue("other", "ES-9", {})

    items = queue.claim(CT, "a", lease_seconds=LEASE, limit=2)

    assert [i.application_id for i in items] == ["ES-0", "ES-1"]
    for item in items:
        assert item.state == "in_progress"
        assert item.lease_owner == "a"
        assert item.attempts == 1
        assert item.started_at == clock.now
        assert item.lease_expires_at == clock.now + timedelta(seconds=LEASE)
    [third] = queue.claim(CT, "b", lease_seconds=LEASE, limit=5)
    assert third.application_id == "ES-2"
    assert queue.claim(CT, "c", lease_seconds=LEASE) == []
    assert queue.counts(CT)["in_progress"] == 3
    assert queue.counts("other")["new"] == 1


def test_claim_sets_the_run_that_last_touched_the_item(db: Database, queue: WorkQueue) -> None:
    register_robot(db.sessions, "r", "1", "o", CT)
    run = start_run(db.sessions, "r", "test")
    queue.enqueue(CT, "ES-1", {})
    [item] = queue.claim(CT, "a", lease_seconds=LEASE, run_id=run.id)
    assert item.run_id == run.id


def test_an_expired_lease_lets_another_owner_reclaim_and_keeps_the_step(
    db: Database, queue: WorkQueue, clock
) -> None:
    queue.enqueue(CT, "ES-1", {})
    [item] = queue.claim(CT, "a", lease_seconds=LEASE)
    queue.mark_step(item.id, "a", "writing")

    clock.advance(LEASE - 1)
    assert queue.claim(CT, "b", lease_seconds=LEASE) == []
    # Still pending while "a" holds it: "a" may have crashed, and a robot that starts now
    # must wait for the lease to run out rather than end at once.
    assert queue.pending(CT) == 1
    assert queue.next_available_at(CT) == clock.now + timedelta(seconds=1)
    clock.advance(1)
    assert queue.pending(CT) == 1
    [again] = queue.claim(CT, "b", lease_seconds=LEASE)

    assert again.id == item.id
    assert (again.lease_owner, again.attempts, again.step) == ("b", 2, "writing")
    for action in (
        lambda: queue.heartbeat(item.id, "a", LEASE),
        lambda: queue.mark_step(item.id, "a", "done-writing"),
        lambda: queue.complete(item.id, "a", decision()),
        lambda: queue.business_exception(item.id, "a", exception_record()),
        lambda: queue.application_exception(item.id, "a", "x", max_attempts=3, backoff_s=1),
    ):
        with pytest.raises(LeaseLost) as lost:
            action()
        assert lost.value.holder == "b" and lost.value.item_id == item.id
    assert count(db, DecisionRow) == 0
    queue.complete(item.id, "b", decision(recovered=True))
    assert queue.get(item.id).state == "done"  # type: ignore[union-attr]
    assert queue.decision(item.id).recovered  # type: ignore[union-attr]


def test_lease_lost_is_an_application_exception_with_context(queue: WorkQueue) -> None:
    item, _ = queue.enqueue(CT, "ES-1", {})
    with pytest.raises(ApplicationException, match=r"work item \d+: 'a' cannot heartbeat"):
        queue.heartbeat(item.id, "a", LEASE)
    with pytest.raises(LeaseLost, match="no such work item"):
        queue.mark_step(123456, "a", "x")


def test_heartbeat_extends_the_lease(queue: WorkQueue, clock) -> None:
    queue.enqueue(CT, "ES-1", {})
    [item] = queue.claim(CT, "a", lease_seconds=LEASE)
    clock.advance(50)
    expires = queue.heartbeat(item.id, "a", LEASE)
    assert expires == clock.now + timedelta(seconds=LEASE)

    clock.advance(20)  # past the first lease, within the extended one
    assert queue.claim(CT, "b", lease_seconds=LEASE) == []
    clock.advance(40)
    assert [i.id for i in queue.claim(CT, "b", lease_seconds=LEASE)] == [item.id]


# -- application exceptions ----------------------------------------------------------------


def test_application_exceptions_back_off_exponentially_then_abandon(
    queue: WorkQueue, clock
) -> None:
    queue.enqueue(CT, "ES-1", {})
    waits = []
    for attempt in (1, 2):
        [item] = queue.claim(CT, "a", lease_seconds=LEASE)
        assert item.attempts == attempt
        state = queue.application_exception(
            item.id, "a", f"timeout {attempt}", max_attempts=3, backoff_s=10
        )
        assert state == "application_exception"
        stored = queue.get(item.id)
        assert stored is not None
        assert stored.lease_owner is None and stored.last_error == f"timeout {attempt}"
        waits.append((stored.available_at - clock.now).total_seconds())
        assert queue.next_available_at(CT) == stored.available_at
        clock.advance(waits[-1] - 1)
        assert queue.claim(CT, "a", lease_seconds=LEASE) == []
        assert queue.pending(CT) == 1
        clock.advance(1)
    assert waits == [10, 20]

    [item] = queue.claim(CT, "a", lease_seconds=LEASE)
    assert item.attempts == 3
    state = queue.application_exception(item.id, "a", "timeout 3", max_attempts=3, backoff_s=10)
    assert state == "abandoned"
    clock.advance(3600)
    assert queue.claim(CT, "a", lease_seconds=LEASE) == []
    assert queue.pending(CT) == 0
    assert queue.counts(CT)["abandoned"] == 1
    abandoned = queue.get(item.id)
    assert abandoned is not None and abandoned.finished_at == clock.now - timedelta(seconds=3600)


def test_retry_abandoned_puts_failed_items_back_to_new(queue: WorkQueue) -> None:
    queue.enqueue(CT, "ES-1", {})
    queue.enqueue(CT, "ES-2", {})
    for _ in range(2):
        [item] = queue.claim(CT, "a", lease_seconds=LEASE)
        queue.mark_step(item.id, "a", "writing")
        queue.abandon(item.id, "a", "unexpected screen")
    assert queue.counts(CT)["abandoned"] == 2

    assert queue.retry_abandoned(CT) == 2

    items = queue.claim(CT, "b", lease_seconds=LEASE, limit=5)
    assert len(items) == 2
    assert {(i.attempts, i.step, i.last_error) for i in items} == {
        (1, "writing", "unexpected screen")
    }
    assert queue.retry_abandoned(CT) == 0


def test_claim_abandons_an_item_whose_robot_keeps_crashing(queue: WorkQueue, clock) -> None:
    queue.enqueue(CT, "ES-1", {})
    for _ in range(2):
        assert len(queue.claim(CT, "a", lease_seconds=LEASE, max_attempts=2)) == 1
        clock.advance(LEASE)  # the robot died without a word

    assert queue.claim(CT, "a", lease_seconds=LEASE, max_attempts=2) == []
    [item] = queue.items(case_type=CT)
    assert item.state == "abandoned"
    assert "lease expired" in (item.last_error or "")


# -- finishing -----------------------------------------------------------------------------


def test_complete_writes_the_decision_in_the_same_transaction(
    db: Database, queue: WorkQueue, clock
) -> None:
    queue.enqueue(CT, "ES-1", {})
    [item] = queue.claim(CT, "a", lease_seconds=LEASE)
    clock.advance(2.5)

    stored = queue.complete(item.id, "a", decision())

    done = queue.get(item.id)
    assert done is not None
    assert (done.state, done.lease_owner, done.lease_expires_at) == ("done", None, None)
    assert done.finished_at == clock.now and done.duration_ms == 2500
    assert stored.work_item_id == item.id
    assert (stored.case_type, stored.application_id) == (CT, "ES-1")
    assert stored.inputs["checked_on"] == "2026-08-01"
    assert stored.as_of == date(2026, 8, 1)
    assert queue.decision(item.id) == stored
    assert queue.decisions(case_type=CT) == [stored]

    with pytest.raises(LeaseLost, match="the item is done"):
        queue.complete(item.id, "a", decision(outcome="denied"))
    assert count(db, DecisionRow) == 1
    assert queue.decision(item.id).outcome == "granted"  # type: ignore[union-attr]


def test_a_failed_decision_insert_leaves_the_item_in_progress(
    db: Database, queue: WorkQueue
) -> None:
    queue.enqueue(CT, "ES-1", {})
    [item] = queue.claim(CT, "a", lease_seconds=LEASE)
    with db.sessions.begin() as session:  # a stray decision row for this item
        session.add(
            DecisionRow(
                work_item_id=item.id,
                case_type=CT,
                application_id="ES-1",
                outcome="x",
                rule_set="x",
                as_of=date(2026, 8, 1),
            )
        )

    with pytest.raises(IntegrityError):
        queue.complete(item.id, "a", decision())

    after = queue.get(item.id)
    assert after is not None
    assert (after.state, after.lease_owner) == ("in_progress", "a")


def test_complete_by_another_owner_is_rejected(db: Database, queue: WorkQueue) -> None:
    queue.enqueue(CT, "ES-1", {})
    [item] = queue.claim(CT, "a", lease_seconds=LEASE)
    with pytest.raises(LeaseLost, match="held by 'a'"):
        queue.complete(item.id, "b", decision())
    assert count(db, DecisionRow) == 0
    assert queue.get(item.id).state == "in_progress"  # type: ignore[union-attr]


def test_business_exception_writes_the_exception_item_in_the_same_transaction(
    db: Database, queue: WorkQueue
) -> None:
    queue.enqueue(CT, "ES-1", {})
    queue.enqueue(CT, "ES-2", {})
    [item, other] = queue.claim(CT, "a", lease_seconds=LEASE, limit=2)

    stored = queue.business_exception(item.id, "a", exception_record())

    assert queue.get(item.id).state == "business_exception"  # type: ignore[union-attr]
    assert stored.status == "open" and stored.recommended_outcome == "denied"
    assert stored.reason_codes == ["medical_certificate"]
    assert queue.exception_item(item.id) == stored
    assert list_exception_items(db.sessions, CT) == [stored]
    with pytest.raises(LeaseLost):
        queue.business_exception(item.id, "a", exception_record())
    with pytest.raises(LeaseLost):
        queue.complete(item.id, "a", decision())
    assert count(db, ExceptionItemRow) == 1
    assert count(db, DecisionRow) == 0
    assert queue.get(other.id).state == "in_progress"  # type: ignore[union-attr]


def test_an_exception_record_needs_a_reason() -> None:
    with pytest.raises(pydantic.ValidationError):
        ExceptionRecord(reason_codes=[], detail="?")


# -- reading -------------------------------------------------------------------------------


def test_counts_pending_and_items_by_state(queue: WorkQueue, clock) -> None:
    for n in range(5):
        queue.enqueue(CT, f"ES-{n}", {})
    a, b, c = queue.claim(CT, "a", lease_seconds=LEASE, limit=3)
    queue.complete(a.id, "a", decision())
    queue.business_exception(b.id, "a", exception_record())
    queue.application_exception(c.id, "a", "down", max_attempts=3, backoff_s=30)

    assert queue.counts(CT) == {
        "new": 2,
        "in_progress": 0,
        "done": 1,
        "business_exception": 1,
        "application_exception": 1,
        "abandoned": 0,
    }
    assert queue.pending(CT) == 3  # two new, one waiting for its retry
    assert [i.id for i in queue.items(state="done")] == [a.id]
    assert len(queue.items(case_type=CT, limit=2)) == 2
    assert queue.get(999_999) is None
    assert queue.next_available_at(CT) is not None
    assert queue.next_available_at("nothing") is None


def test_owner_ids_are_unique() -> None:
    assert new_owner_id("robot") != new_owner_id("robot")
    assert new_owner_id("skolskjuts").startswith("skolskjuts@")
