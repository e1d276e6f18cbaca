"""The robot administrator's JSON API (``/api``): robots, legacy systems, runs, audit log.

The response models here are also what the admin pages render, so the pages and the API
show the same facts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from caserobot import access_log, administration, audit, outcomes, registry
from caserobot.access_log import Access
from caserobot.audit import AuditEntry, ChainCheck
from caserobot.db import Database
from caserobot.exceptions import ApplicationException
from caserobot.queue import WorkQueue
from caserobot.records import Run
from caserobot.users import User
from caserobot.web.contract import RowId, errors
from caserobot.web.deps import client_of, get_db, log_access, require_roles

router = APIRouter(
    prefix="/api",
    tags=["robotadministration"],
    dependencies=[Depends(require_roles("admin"))],
    responses=errors(401, 403),
)
Admin = Annotated[User, Depends(require_roles("admin"))]
Db = Annotated[Database, Depends(get_db)]



class RunOut(BaseModel):
    id: int
    robot: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    trigger: str
    counts: dict[str, int] = Field(description="Work items of the run per state")
    stats: dict[str, Any]


class RobotOut(BaseModel):
    name: str
    version: str
    owner: str
    case_type: str
    legacy_systems: list[str]
    status: str = Field(description="active or paused")
    last_run: RunOut | None


class RobotDetailOut(RobotOut):
    description: str
    runs: list[RunOut] = Field(description="The newest runs first")


class LegacySystemOut(BaseModel):
    name: str
    kind: str
    base_url: str
    seat_limit: int | None = Field(description="Concurrent sessions (Prefect's legacy-<name>)")
    opening_hours: str | None = Field(description="HH:MM-HH:MM, Swedish time")
    description: str
    down_since: datetime | None = Field(
        default=None, description="A robot's circuit breaker holds the system down since then"
    )
    last_failure: str | None = Field(default=None, description="What the robot last saw fail")


class LegacySystemPatch(BaseModel):
    seat_limit: int | None = Field(default=None, ge=1, le=100, description="New seat limit")
    opening_hours: str | None = Field(default=None, description="HH:MM-HH:MM, or '' for none")


class WorkItemOut(BaseModel):
    id: int
    application_id: str
    state: str
    step: str | None
    attempts: int
    duration_ms: int | None
    outcome: str = Field(description="The decision, the reason codes, or the last error")


class RunDetailOut(RunOut):
    items: list[WorkItemOut]
    files: list[str] = Field(description="Robot Framework output files available for the run")


class RetryOut(BaseModel):
    requeued: int
    message: str


# -- shared with the pages ---------------------------------------------------------------


def run_out(db: Database, run: Run) -> RunOut:
    counts = {k: v for k, v in WorkQueue(db.sessions).counts(run_id=run.id).items() if v}
    return RunOut(**run.model_dump(exclude={"output_dir", "prefect_flow_run_id"}), counts=counts)


def robot_out(db: Database, name: str) -> RobotDetailOut:
    robot = registry.get_robot(db.sessions, name)
    if robot is None:
        raise HTTPException(404, f"Det finns ingen robot {name!r}.")
    runs = [run_out(db, r) for r in registry.list_runs(db.sessions, robot=name, limit=20)]
    return RobotDetailOut(
        **robot.model_dump(exclude={"last_run"}), last_run=runs[0] if runs else None, runs=runs
    )


def run_detail(db: Database, run_id: int) -> RunDetailOut:
    run = registry.get_run(db.sessions, run_id)
    if run is None:
        raise HTTPException(404, f"Det finns ingen körning {run_id}.")
    queue = WorkQueue(db.sessions)
    decisions = {d.work_item_id: d for d in queue.decisions(run_id=run_id)}
    items = []
    for item in queue.items(run_id=run_id):
        if item.id in decisions:
            outcome = outcomes.label(decisions[item.id].outcome)
        elif item.state == "business_exception":
            exc = queue.exception_item(item.id)
            outcome = "Till handläggare: " + ", ".join(exc.reason_codes if exc else [])
        else:
            outcome = item.last_error or ""
        items.append(WorkItemOut(**item.model_dump(), outcome=outcome))
    files = [f for f in administration.RUN_FILES if administration.run_file(db.sessions, run_id, f)]
    return RunDetailOut(**run_out(db, run).model_dump(), items=items, files=files)


def retry_message(count: int, robot: str) -> str:
    if count == 0:
        return "Körningen har inga misslyckade ärenden att försöka igen med."
    return (
        f"{count} misslyckade ärenden ligger i kön igen. "
        f"Robotens nästa körning ({robot}) tar hand om dem."
    )


# -- routes ------------------------------------------------------------------------------


@router.get("/robots", response_model=list[RobotOut], summary="Robotarna")
def robots(db: Db) -> list[RobotOut]:
    out = []
    for r in registry.list_robots(db.sessions):
        last = run_out(db, r.last_run) if r.last_run else None
        out.append(RobotOut(**r.model_dump(exclude={"last_run"}), last_run=last))
    return out


@router.get(
    "/robots/{name}", response_model=RobotDetailOut, summary="En robot", responses=errors(404, 422)
)
def robot(name: str, db: Db) -> RobotDetailOut:
    return robot_out(db, name)


@router.get("/legacy-systems", response_model=list[LegacySystemOut], summary="Ersättningssystem")
def legacy_systems(db: Db) -> list[LegacySystemOut]:
    return [LegacySystemOut(**s.model_dump()) for s in registry.list_legacy_systems(db.sessions)]


@router.patch(
    "/legacy-systems/{name}",
    response_model=LegacySystemOut,
    summary="Ändra licensantal och öppettider",
    responses=errors(400, 404, 413, 422, 503),
)
def patch_legacy_system(
    name: str, change: LegacySystemPatch, request: Request, db: Db, user: Admin
) -> LegacySystemOut:
    current = registry.get_legacy_system(db.sessions, name)
    if current is None:
        raise HTTPException(404, f"Det finns inget system {name!r}.")
    given = change.model_fields_set
    try:
        updated = administration.update_legacy_system(
            db.sessions,
            name,
            seat_limit=change.seat_limit if "seat_limit" in given else current.seat_limit,
            opening_hours=(
                change.opening_hours if "opening_hours" in given else current.opening_hours
            ),
            actor=user.username,
            client=client_of(request),
        )
    except ApplicationException as exc:
        raise HTTPException(503, f"Ändringen sparades inte: {exc}") from exc
    return LegacySystemOut(**updated.model_dump())


@router.get(
    "/runs", response_model=list[RunOut], summary="Körningar, nyast först", responses=errors(422)
)
def runs(
    db: Db, robot: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50
) -> list[RunOut]:
    return [run_out(db, r) for r in registry.list_runs(db.sessions, robot=robot, limit=limit)]


@router.get(
    "/runs/{run_id}",
    response_model=RunDetailOut,
    summary="En körning med ärenden",
    responses=errors(404, 422),
)
def run(request: Request, run_id: RowId, db: Db) -> RunDetailOut:
    detail = run_detail(db, run_id)
    log_access(request, "run.view", f"run:{run_id}", detail=f"{len(detail.items)} ärenden")
    return detail


@router.post(
    "/runs/{run_id}/retry-failed",
    response_model=RetryOut,
    summary="Försök igen med körningens misslyckade ärenden",
    responses=errors(404, 422),
)
def retry_failed(run_id: RowId, request: Request, db: Db, user: Admin) -> RetryOut:
    run = registry.get_run(db.sessions, run_id)
    if run is None:
        raise HTTPException(404, f"Det finns ingen körning {run_id}.")
    count = administration.retry_failed(
        db.sessions, run_id, actor=user.username, client=client_of(request)
    )
    return RetryOut(requeued=count, message=retry_message(count, run.robot))


@router.get(
    "/audit",
    response_model=list[AuditEntry],
    summary="Granskningsloggen, nyast först",
    responses=errors(422),
)
def audit_log(
    db: Db,
    actor: str | None = None,
    action: Annotated[str | None, Query(description="Action prefix, e.g. 'login'")] = None,
    target: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntry]:
    return audit.entries(db.sessions, actor=actor, action_prefix=action, target=target, limit=limit)


@router.get(
    "/audit/verify",
    response_model=ChainCheck,
    summary="Kontrollera granskningsloggens hashkedja",
)
def audit_verify(db: Db) -> ChainCheck:
    """Walk the audit log's hash chain; ``first_broken_id`` names the first row that was
    changed, or after which a row was removed."""
    return audit.verify(db.sessions)


@router.get(
    "/access-log",
    response_model=list[Access],
    summary="Åtkomstloggen, nyast först",
    responses=errors(422),
)
def access_log_api(
    db: Db,
    actor: str | None = None,
    action: Annotated[str | None, Query(description="Action prefix, e.g. 'casework'")] = None,
    case: Annotated[str | None, Query(description="Application id")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[Access]:
    """Who read personal data: exception items, the queue, runs, Robot's files, the dashboard."""
    return access_log.entries(
        db.sessions, actor=actor, action_prefix=action, case_ref=case, limit=limit
    )
