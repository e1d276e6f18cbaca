"""Robot schedules: real Prefect deployments with a cron schedule on caserobot's work pool.

A schedule is a Prefect deployment of a robot's flow (the ``flow`` its robot.yaml names, see
:mod:`caserobot.robots`: an installed case type's flow is deployed by module path, e.g.
``caserobot_<type>.flow.<type>``) on the process work pool :data:`WORK_POOL`, tagged
``caserobot`` and ``robot:<name>``, so it is visible and manageable in Prefect's own UI too.
A worker (``caserobot worker``) runs the flow runs with caserobot's settings: the deployment's job
variables carry the current ``CASEROBOT_*`` settings (never secrets: those come from the
worker's environment or from :mod:`caserobot.credentials`; so does Prefect's
``PREFECT_API_AUTH_STRING``) and ``CASEROBOT_TRIGGER``
(``schedule``, or ``run-now`` for a run started by hand), which the run registry records.

Every action is audited (``schedule.create|pause|resume|run|delete``). Bad input raises
:class:`InputError`; an unreachable Prefect server raises :class:`ApplicationException`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx
from prefect.client.orchestration import SyncPrefectClient, get_client
from prefect.client.schemas.filters import (
    DeploymentFilter,
    DeploymentFilterId,
    DeploymentFilterTags,
    FlowRunFilter,
    FlowRunFilterExpectedStartTime,
)
from prefect.client.schemas.responses import DeploymentResponse
from prefect.client.schemas.schedules import CronSchedule
from prefect.client.schemas.sorting import FlowRunSort
from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound, PrefectHTTPStatusError
from prefect.settings import get_current_settings
from pydantic import BaseModel, ConfigDict, SecretStr
from sqlalchemy.engine import make_url

from caserobot import audit, cron, robots
from caserobot.audit import Sessions
from caserobot.exceptions import ApplicationException, InputError
from caserobot.settings import Settings, get_settings

WORK_POOL = "caserobot"
TAG = "caserobot"
DEFAULT_TIMEZONE = "Europe/Stockholm"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class ScheduleRun(BaseModel):
    """One flow run of a schedule's deployment, as Prefect reports it."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    state: str  # Prefect's state name: Scheduled, Running, Completed, Failed, …
    expected_start: datetime | None
    trigger: str | None  # run-now for runs started by hand, else None (the cron schedule)


class Schedule(BaseModel):
    """A robot schedule: one Prefect deployment with one cron schedule."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    robot: str
    cron: str
    timezone: str
    paused: bool
    parameters: dict[str, Any]
    entrypoint: str | None
    work_pool: str | None
    next_runs: list[datetime]
    last_runs: list[ScheduleRun]
    ui_url: str

    @property
    def description(self) -> str | None:
        """The cron expression in Swedish words, when it is a common one."""
        return cron.describe(self.cron)

    def audit_state(self) -> dict[str, Any]:
        return {
            "robot": self.robot,
            "cron": self.cron,
            "timezone": self.timezone,
            "paused": self.paused,
            "parameters": self.parameters,
        }


@contextmanager
def prefect_client() -> Iterator[SyncPrefectClient]:
    """A sync Prefect client; an unreachable server, a refused login or none configured
    becomes one clear ApplicationException.

    Without a configured API URL Prefect would start a temporary server of its own, with its
    own database: caserobot refuses instead (see :func:`caserobot.runtime.start_prefect_server`).
    """
    url = api_url()
    if not url:
        raise ApplicationException(
            "ingen Prefect-server är angiven (PREFECT_API_URL); starta den med "
            "`caserobot worker` eller ange en",
            system="prefect",
        )
    try:
        with get_client(sync_client=True) as client:
            yield client
    except PrefectHTTPStatusError as exc:
        if exc.response.status_code != 401:
            raise
        raise ApplicationException(
            f"Prefect-servern på {url} godtar inte inloggningen (401): ange rätt "
            "PREFECT_API_AUTH_STRING",
            system="prefect",
        ) from exc
    except (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadTimeout) as exc:
        raise ApplicationException(
            f"Prefect-servern på {url or '(ingen PREFECT_API_URL)'} svarar inte "
            f"({exc.__class__.__name__})",
            system="prefect",
        ) from exc
    except RuntimeError as exc:  # the client's own start-up check when nothing answers
        if "connect" not in str(exc).lower():
            raise
        raise ApplicationException(
            f"Prefect-servern på {url} svarar inte", system="prefect"
        ) from exc


def api_url() -> str | None:
    """The Prefect API this process talks to (PREFECT_API_URL or the active profile)."""
    url = get_current_settings().api.url
    return str(url).rstrip("/") if url else None


def ui_url(deployment_id: str) -> str:
    """The deployment's page in Prefect's UI (served by the same server as the API)."""
    base = (api_url() or "http://127.0.0.1:4200/api").removesuffix("/api")
    return f"{base}/deployments/deployment/{deployment_id}"


def ensure_work_pool(client: SyncPrefectClient | None = None) -> None:
    """Create the process work pool :data:`WORK_POOL` unless it exists."""
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.workers.process import ProcessWorker

    # The process worker's template is what makes job variables (env) reach the run.
    pool = WorkPoolCreate(
        name=WORK_POOL,
        type="process",
        base_job_template=ProcessWorker.get_default_base_job_template(),
    )
    with _maybe_client(client) as c, suppress(ObjectAlreadyExists):
        c.create_work_pool(pool)


class WorkerInfo(BaseModel):
    """A worker polling the work pool, as Prefect sees it."""

    model_config = ConfigDict(frozen=True)

    name: str
    status: str  # ONLINE / OFFLINE
    last_heartbeat: datetime | None


def workers() -> list[WorkerInfo]:
    """The workers of :data:`WORK_POOL` (none if the pool does not exist yet)."""
    with prefect_client() as client:
        try:
            found = client.read_workers_for_work_pool(WORK_POOL)
        except ObjectNotFound:
            return []
        except PrefectHTTPStatusError as exc:  # this call reports a missing pool as a bare 404
            if exc.response.status_code == 404:
                return []
            raise
    return [
        WorkerInfo(
            name=w.name,
            status=str(w.status.value if w.status else "OFFLINE"),
            last_heartbeat=w.last_heartbeat_time,
        )
        for w in found
    ]


def run_env(settings: Settings, trigger: str) -> dict[str, str]:
    """Environment for a deployment's runs: caserobot's settings without secrets, the trigger.

    Secret fields (passwords) and database URLs that embed a password are left out: Prefect
    shows job variables in its UI. Those come from the worker's own environment instead.
    """
    env = _settings_env(settings, "CASEROBOT_")
    database_url = env.get("CASEROBOT_DATABASE__URL")
    if database_url and make_url(database_url).password:
        del env["CASEROBOT_DATABASE__URL"]
    env["CASEROBOT_TRIGGER"] = trigger
    if url := api_url():
        env["PREFECT_API_URL"] = url
    return env


def _settings_env(model: BaseModel, prefix: str) -> dict[str, str]:
    import json

    env: dict[str, str] = {}
    for field in type(model).model_fields:
        value = getattr(model, field)
        key = f"{prefix}{field.upper()}"
        if isinstance(value, BaseModel):
            env.update(_settings_env(value, f"{key}__"))
        elif value is None or isinstance(value, SecretStr):
            continue
        elif isinstance(value, (list, dict)):
            env[key] = json.dumps(value, default=str)
        else:
            env[key] = str(value)
    return env


def create_schedule(
    robot: str,
    cron_expression: str,
    *,
    actor: str,
    timezone: str = DEFAULT_TIMEZONE,
    name: str | None = None,
    parameters: dict[str, Any] | None = None,
    settings: Settings | None = None,
    client_address: str | None = None,
    sessions: Sessions | None = None,
) -> Schedule:
    """Deploy the robot's flow on the work pool with a cron schedule.

    Args:
        robot: A robot name (its robot.yaml names the flow).
        cron_expression: Five-field cron, e.g. ``"0 6 * * 1-5"`` (weekdays 06:00).
        actor: Who does it, for the audit log.
        timezone: IANA time zone of the cron expression.
        name: The deployment's name (default: the robot's name); unique among schedules.
        parameters: Flow parameters for every run (``seats``, ``mode``, ``as_of``).
        settings: caserobot's settings for the runs (default: this process's).
        client_address: The client's address, for the audit log.
        sessions: The database the audit entry goes to (default: the settings').

    Returns:
        The new schedule as Prefect reports it.

    Raises:
        InputError: unknown robot, bad cron or time zone, bad or taken name, bad parameters.
    """
    from prefect.deployments.runner import EntrypointType

    settings = settings or get_settings()
    manifest = robots.load_manifest(robot)
    expression = cron.validate_cron(cron_expression)
    cron.validate_timezone(timezone)
    name = name or robot
    if not _NAME.match(name):
        raise InputError("namn", f"'{name}': endast a–z, 0–9, - och _ (högst 63 tecken)")
    flow = robots.load_flow(manifest)
    if not manifest.flow_is_module:  # a file next to the robot: Prefect reads it from there
        flow = type(flow).from_source(source=str(manifest.directory), entrypoint=manifest.flow)
    parameters = dict(parameters or {})
    known = set(flow.parameters.properties)
    if unknown := sorted(set(parameters) - known):
        raise InputError("parametrar", f"okända {unknown}; flödet tar {sorted(known)}")
    with prefect_client() as client:
        if any(s.name == name for s in _deployments(client)):
            raise InputError("namn", f"schemat '{name}' finns redan")
        ensure_work_pool(client)
        deployment = flow.to_deployment(
            name=name,
            schedule=CronSchedule(cron=expression, timezone=timezone),
            parameters=parameters,
            description=manifest.description or None,
            tags=[TAG, f"robot:{robot}"],
            version=manifest.version,
            work_pool_name=WORK_POOL,
            job_variables={"env": run_env(settings, "schedule")},
            # An installed case type's flow runs by module path: the worker imports it
            entrypoint_type=EntrypointType.MODULE_PATH
            if manifest.flow_is_module
            else EntrypointType.FILE_PATH,
        )
        try:
            deployment_id = deployment.apply(work_pool_name=WORK_POOL)
        except PrefectHTTPStatusError as exc:
            raise InputError("schema", f"Prefect avvisade schemat: {_detail(exc)}") from exc
        created = _schedule(client, client.read_deployment(deployment_id))
    _audit(
        sessions or _sessions(settings),
        actor,
        "schedule.create",
        created,
        None,
        created,
        client_address,
    )
    return created


def list_schedules(robot: str | None = None, *, runs: int = 5) -> list[Schedule]:
    """Every caserobot schedule (or one robot's), sorted by robot and name."""
    with prefect_client() as client:
        found = [_schedule(client, d, runs=runs) for d in _deployments(client, robot)]
    return sorted(found, key=lambda s: (s.robot, s.name))


def get_schedule(name: str) -> Schedule:
    """One schedule by deployment name (``name`` or ``flow/name``) or id."""
    with prefect_client() as client:
        return _schedule(client, _resolve(client, name))


def pause(
    name: str, *, actor: str, client_address: str | None = None, sessions: Sessions | None = None
) -> Schedule:
    """Pause the schedule: Prefect creates no more scheduled runs until it is resumed."""
    return _set_paused(name, True, actor, client_address, sessions)


def resume(
    name: str, *, actor: str, client_address: str | None = None, sessions: Sessions | None = None
) -> Schedule:
    """Resume a paused schedule."""
    return _set_paused(name, False, actor, client_address, sessions)


def _set_paused(
    name: str, paused: bool, actor: str, client_address: str | None, sessions: Sessions | None
) -> Schedule:
    with prefect_client() as client:
        deployment = _resolve(client, name)
        before = _schedule(client, deployment, runs=0)
        if paused:
            client.pause_deployment(deployment.id)
        else:
            client.resume_deployment(deployment.id)
        after = _schedule(client, client.read_deployment(deployment.id))
    action = "schedule.pause" if paused else "schedule.resume"
    _audit(sessions, actor, action, after, before, after, client_address)
    return after


def run_now(
    name: str, *, actor: str, client_address: str | None = None, sessions: Sessions | None = None
) -> str:
    """Start a flow run of the schedule's deployment now; returns the flow run's id.

    The run is marked ``CASEROBOT_TRIGGER=run-now`` (its other job variables are the
    deployment's). A paused schedule can still be run by hand.
    """
    with prefect_client() as client:
        deployment = _resolve(client, name)
        flow_run = client.create_flow_run_from_deployment(
            deployment.id,
            tags=["run-now"],
            job_variables={"env": {"CASEROBOT_TRIGGER": "run-now"}},
        )
        schedule = _schedule(client, deployment, runs=0)
    _audit(
        sessions,
        actor,
        "schedule.run",
        schedule,
        None,
        {"flow_run_id": str(flow_run.id), "flow_run": flow_run.name},
        client_address,
    )
    return str(flow_run.id)


def delete(
    name: str, *, actor: str, client_address: str | None = None, sessions: Sessions | None = None
) -> None:
    """Delete the schedule's deployment (its past flow runs stay in Prefect)."""
    with prefect_client() as client:
        deployment = _resolve(client, name)
        before = _schedule(client, deployment, runs=0)
        client.delete_deployment(deployment.id)
    _audit(sessions, actor, "schedule.delete", before, before, None, client_address)


def _deployments(client: SyncPrefectClient, robot: str | None = None) -> list[DeploymentResponse]:
    tags = [TAG, f"robot:{robot}"] if robot else [TAG]
    return client.read_deployments(
        deployment_filter=DeploymentFilter(tags=DeploymentFilterTags(all_=tags))
    )


def _resolve(client: SyncPrefectClient, name: str) -> DeploymentResponse:
    wanted = name.split("/", 1)[-1]
    try:
        return client.read_deployments(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[UUID(name)]))
        )[0]
    except (ValueError, IndexError):
        pass
    for deployment in _deployments(client):
        if deployment.name == wanted:
            return deployment
    known = ", ".join(sorted(d.name for d in _deployments(client))) or "inga"
    raise InputError("namn", f"schemat '{name}' finns inte (kända: {known})")


def _schedule(client: SyncPrefectClient, deployment: DeploymentResponse, runs: int = 5) -> Schedule:
    robot = next((t.split(":", 1)[1] for t in deployment.tags if t.startswith("robot:")), "")
    cron_schedule = next(
        (s for s in deployment.schedules if isinstance(s.schedule, CronSchedule)), None
    )
    expression = cron_schedule.schedule.cron if cron_schedule else ""
    timezone = (cron_schedule.schedule.timezone if cron_schedule else None) or "UTC"
    active = bool(cron_schedule and cron_schedule.active and not deployment.paused)
    return Schedule(
        id=str(deployment.id),
        name=deployment.name,
        robot=robot,
        cron=expression,
        timezone=timezone,
        paused=not active,
        parameters=dict(deployment.parameters),
        entrypoint=deployment.entrypoint,
        work_pool=deployment.work_pool_name,
        next_runs=cron.next_times(expression, timezone) if active else [],
        last_runs=_last_runs(client, deployment.id, runs) if runs else [],
        ui_url=ui_url(str(deployment.id)),
    )


def _last_runs(client: SyncPrefectClient, deployment_id: UUID, limit: int) -> list[ScheduleRun]:
    # Runs that were due by now: the scheduler also creates future runs, which are not
    # "last runs" but the next ones.
    flow_runs = client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[deployment_id])),
        flow_run_filter=FlowRunFilter(
            expected_start_time=FlowRunFilterExpectedStartTime(before_=datetime.now(UTC))
        ),
        sort=FlowRunSort.EXPECTED_START_TIME_DESC,
        limit=limit,
    )
    return [
        ScheduleRun(
            id=str(r.id),
            name=r.name,
            state=r.state.name if r.state else "Okänt",
            expected_start=r.expected_start_time,
            trigger="run-now" if "run-now" in r.tags else None,
        )
        for r in flow_runs
    ]


def _sessions(settings: Settings | None = None) -> Sessions:
    from caserobot.db import init_db

    return init_db(settings or get_settings()).sessions


def _audit(
    sessions: Sessions | None,
    actor: str,
    action: str,
    schedule: Schedule,
    before: Schedule | dict[str, Any] | None,
    after: Schedule | dict[str, Any] | None,
    client_address: str | None,
) -> None:
    def state(value: Schedule | dict[str, Any] | None) -> dict[str, Any] | None:
        return value.audit_state() if isinstance(value, Schedule) else value

    audit.record_now(
        sessions or _sessions(),
        actor=actor,
        action=action,
        target=f"deployment:{schedule.name}",
        before=state(before),
        after=state(after),
        client=client_address,
    )


def _detail(exc: PrefectHTTPStatusError) -> str:
    try:
        return str(exc.response.json().get("detail", exc))
    except ValueError:
        return str(exc)


@contextmanager
def _maybe_client(client: SyncPrefectClient | None) -> Iterator[SyncPrefectClient]:
    if client is not None:
        yield client
        return
    with prefect_client() as own:
        yield own
