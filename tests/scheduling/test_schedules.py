"""Schedules are real Prefect deployments: created, paused, resumed, run and deleted there."""

from __future__ import annotations

from uuid import UUID

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.schedules import CronSchedule

from caserobot import audit, scheduling
from caserobot.db import init_db
from caserobot.exceptions import InputError
from caserobot.settings import Settings


def _deployment(schedule_id: str):  # type: ignore[no-untyped-def]
    with get_client(sync_client=True) as client:
        return client.read_deployment(UUID(schedule_id))


def test_create_deploys_the_robot_flow_on_the_pool_with_the_cron(
    scheduling_settings: Settings,
) -> None:
    created = scheduling.create_schedule(
        "skolskjuts", "0 6 * * 1-5", actor="admin", parameters={"seats": 2}
    )

    deployment = _deployment(created.id)
    assert deployment.name == "skolskjuts"
    # the installed package's flow, deployed by module path (the worker imports it)
    assert deployment.entrypoint == "caserobot_skolskjuts.flow.skolskjuts"
    assert deployment.work_pool_name == scheduling.WORK_POOL
    assert not deployment.pull_steps  # nothing to fetch: the code is installed
    [schedule] = deployment.schedules
    assert isinstance(schedule.schedule, CronSchedule)
    assert (schedule.schedule.cron, schedule.schedule.timezone) == (
        "0 6 * * 1-5",
        "Europe/Stockholm",
    )
    assert schedule.active and not deployment.paused
    assert deployment.parameters == {"seats": 2}
    assert {"caserobot", "robot:skolskjuts"} <= set(deployment.tags)
    env = deployment.job_variables["env"]
    assert env["CASEROBOT_TRIGGER"] == "schedule"
    assert env["CASEROBOT_VAR_DIR"] == str(scheduling_settings.var_dir)
    assert not any("PASSWORD" in key for key in env)
    with get_client(sync_client=True) as client:
        assert client.read_work_pool(scheduling.WORK_POOL).type == "process"

    [listed] = scheduling.list_schedules()
    assert (listed.robot, listed.cron, listed.paused) == ("skolskjuts", "0 6 * * 1-5", False)
    assert len(listed.next_runs) == 3 and all(t.weekday() < 5 for t in listed.next_runs)
    assert listed.ui_url.endswith(f"/deployments/deployment/{created.id}")
    assert listed.description == "vardagar kl. 06:00"

    [entry] = audit.entries(init_db(scheduling_settings).sessions, action_prefix="schedule.")
    assert (entry.actor, entry.action, entry.target) == (
        "admin",
        "schedule.create",
        "deployment:skolskjuts",
    )
    assert entry.before is None and entry.after["cron"] == "0 6 * * 1-5"


def test_pause_and_resume_are_what_prefect_reports(scheduling_settings: Settings) -> None:
    created = scheduling.create_schedule(
        "ekonomiskt_bistand", "0 5 * * *", name="eb-morgon", actor="admin"
    )

    paused = scheduling.pause("eb-morgon", actor="admin")
    assert _deployment(created.id).paused is True
    assert paused.paused and paused.next_runs == []

    resumed = scheduling.resume("ekonomiskt_bistand/eb-morgon", actor="admin")
    assert _deployment(created.id).paused is False
    assert not resumed.paused and len(resumed.next_runs) == 3

    actions = [e.action for e in audit.entries(init_db(scheduling_settings).sessions)]
    assert actions[:2] == ["schedule.resume", "schedule.pause"]
    assert scheduling.list_schedules("skolskjuts") == []
    assert [s.name for s in scheduling.list_schedules("ekonomiskt_bistand")] == ["eb-morgon"]


def test_run_now_creates_a_flow_run_marked_run_now(scheduling_settings: Settings) -> None:
    created = scheduling.create_schedule("skolskjuts", "0 6 * * 1-5", actor="admin")
    scheduling.pause("skolskjuts", actor="admin")  # a paused schedule still runs by hand

    flow_run_id = scheduling.run_now("skolskjuts", actor="operatör")

    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(UUID(flow_run_id))
    assert str(flow_run.deployment_id) == created.id
    assert flow_run.state is not None and flow_run.state.is_scheduled()
    assert flow_run.job_variables == {"env": {"CASEROBOT_TRIGGER": "run-now"}}
    [last] = scheduling.get_schedule("skolskjuts").last_runs
    assert (last.id, last.trigger) == (flow_run_id, "run-now")
    entry = audit.entries(init_db(scheduling_settings).sessions, action_prefix="schedule.run")[0]
    assert entry.actor == "operatör" and entry.after["flow_run_id"] == flow_run_id


def test_delete_removes_the_deployment(scheduling_settings: Settings) -> None:
    created = scheduling.create_schedule("skolskjuts", "0 6 * * *", actor="admin")
    scheduling.delete(created.id, actor="admin")
    assert scheduling.list_schedules() == []
    entry = audit.entries(init_db(scheduling_settings).sessions)[0]
    assert entry.action == "schedule.delete" and entry.after is None


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"robot": "nosuchrobot"}, "robot", "nosuchrobot"),
        ({"cron_expression": "0 25 * * *"}, "cron", "timme"),
        ({"timezone": "Mars/Olympus"}, "timezone", "tidszon"),
        ({"name": "Fel namn!"}, "namn", "a–z"),
        ({"parameters": {"speed": 3}}, "parametrar", "speed"),
    ],
)
def test_bad_input_is_a_clear_input_error(
    scheduling_settings: Settings, kwargs: dict, field: str, words: str
) -> None:
    arguments = {"robot": "skolskjuts", "cron_expression": "0 6 * * *", **kwargs}
    robot = arguments.pop("robot")
    expression = arguments.pop("cron_expression")
    with pytest.raises(InputError) as info:
        scheduling.create_schedule(robot, expression, actor="admin", **arguments)
    assert info.value.field == field
    assert words in str(info.value)
    assert scheduling.list_schedules() == []


def test_names_are_unique_and_unknown_names_are_input_errors(
    scheduling_settings: Settings,
) -> None:
    scheduling.create_schedule("skolskjuts", "0 6 * * *", actor="admin")
    with pytest.raises(InputError, match="finns redan"):
        scheduling.create_schedule("skolskjuts", "0 7 * * *", actor="admin")
    for action in (scheduling.pause, scheduling.resume, scheduling.run_now, scheduling.delete):
        with pytest.raises(InputError, match="finns inte.*skolskjuts"):
            action("nosuch", actor="admin")
