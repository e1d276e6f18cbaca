"""Wake the robot after a caseworker's action, so it writes the decision back promptly.

The robot writes caseworkers' decisions into the case system (exactly once, like its own);
it does so on its next run. Waiting for tomorrow's 06:00 run would leave the caseworker
looking at "väntar på roboten" all day, so an action starts a run of the robot's schedule
now, unless one is already on its way. When that is not possible (no schedule, Prefect
unreachable), the action still stands and the next run writes it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from uuid import UUID

from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    FlowRunFilter,
    FlowRunFilterExpectedStartTime,
    FlowRunFilterStateType,
)
from prefect.client.schemas.objects import StateType
from sqlalchemy import select

from caserobot import robots, scheduling
from caserobot.audit import Sessions
from caserobot.db import read_session
from caserobot.db.models import ExceptionItemRow
from caserobot.exceptions import CaseRobotError

log = logging.getLogger(__name__)

# A run of the robot in these states (and, if scheduled, due within this margin) will claim
# the new write-back item: no second run is needed.
_ON_ITS_WAY = [StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING]
_SOON = timedelta(minutes=2)


def wake_robot(
    sessions: Sessions, item_id: int, *, actor: str, client_address: str | None = None
) -> str:
    """Start the robot of the exception item's case type now, unless it is on its way.

    Returns a message for the caseworker, in Swedish. Never raises for a system problem:
    the caseworker's action is recorded already, and the next run writes it.
    """
    with read_session(sessions) as session:
        case_type = session.scalar(
            select(ExceptionItemRow.case_type).where(ExceptionItemRow.id == item_id)
        )
    robot = next((m.name for m in robots.list_manifests() if m.case_type == case_type), None)
    if robot is None:
        return "Ingen robot hanterar ärendetypen; beslutet skrivs inte automatiskt."
    later = "Roboten skriver beslutet i ärendesystemet vid sin nästa körning."
    if scheduling.api_url() is None:  # no server configured: do not start a temporary one
        return later
    try:
        schedules = scheduling.list_schedules(robot, runs=0)
        if not schedules:
            return later
        with scheduling.prefect_client() as client:
            on_its_way = client.read_flow_runs(
                deployment_filter=DeploymentFilter(
                    id=DeploymentFilterId(any_=[UUID(s.id) for s in schedules])
                ),
                flow_run_filter=FlowRunFilter(
                    state={"type": FlowRunFilterStateType(any_=_ON_ITS_WAY)},
                    expected_start_time=FlowRunFilterExpectedStartTime(
                        before_=datetime.now(UTC) + _SOON
                    ),
                ),
                limit=1,
            )
        if on_its_way:
            return "Roboten kör redan och skriver beslutet i ärendesystemet inom kort."
        scheduling.run_now(schedules[0].name, actor=actor, client_address=client_address)
    except (CaseRobotError, OSError) as exc:
        log.warning("kunde inte starta roboten %s: %s", robot, exc)
        return later
    return "Roboten har startats och skriver beslutet i ärendesystemet inom någon minut."
