"""A caseworker's action wakes the robot: one run now, not one per action."""

from __future__ import annotations

from caserobot import scheduling
from caserobot.casework import wake_robot
from caserobot.db import init_db
from caserobot.queue import WorkQueue
from caserobot.records import ExceptionRecord


def _exception_item(db, case_type: str = "skolskjuts") -> int:  # type: ignore[no-untyped-def]
    queue = WorkQueue(db.sessions)
    queue.enqueue_many(case_type, [("ES-1", {})])
    [item] = queue.claim(case_type, "t", lease_seconds=60)
    return queue.business_exception(
        item.id,
        "t",
        ExceptionRecord(reason_codes=["taxi_requested"], recommended_outcome="granted"),
    ).id


def _runs(name: str) -> list:  # type: ignore[no-untyped-def]
    with scheduling.prefect_client() as client:
        deployment = scheduling._resolve(client, name)
        return client.read_flow_runs(
            deployment_filter=scheduling.DeploymentFilter(
                id=scheduling.DeploymentFilterId(any_=[deployment.id])
            )
        )


def test_without_a_schedule_the_next_run_writes_it(scheduling_settings) -> None:  # type: ignore[no-untyped-def]
    db = init_db(scheduling_settings)
    message = wake_robot(db.sessions, _exception_item(db), actor="sara")
    assert "nästa körning" in message


def test_an_action_starts_one_run_and_a_second_action_reuses_it(scheduling_settings) -> None:  # type: ignore[no-untyped-def]
    db = init_db(scheduling_settings)
    scheduling.create_schedule("skolskjuts", "0 6 * * 1-5", actor="admin")
    item_id = _exception_item(db)

    first = wake_robot(db.sessions, item_id, actor="sara")
    second = wake_robot(db.sessions, item_id, actor="sara")

    assert "har startats" in first and "kör redan" in second
    run_now = [r for r in _runs("skolskjuts") if "run-now" in r.tags]
    assert len(run_now) == 1  # no worker here: the first run is still scheduled
