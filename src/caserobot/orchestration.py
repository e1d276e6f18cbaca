"""Prefect tasks that the robots' flows (a case type's ``flow.py``) wire together.

A robot run is: register the robot and its legacy systems → intake (e-service → queue) →
the Robot Framework robot in its own process, holding as many slots of each web-UI legacy
system's Prefect concurrency limit as it opens seats → the run report. Application errors
(a crashed robot process, an unreadable output.xml, no free seat) are retried by Prefect;
business exceptions never reach this level: they are work-item states.

Before anything starts, the robot's gate (:mod:`caserobot.gate`) is asked: a paused robot
starts no run (the flow run ends ``Cancelled`` with the reason, and the registry records no
run); outside a legacy system's opening hours the run is recorded, processes nothing and
says why, and the items wait in the queue. While it runs, the flow's process keeps the
registry run alive (:func:`caserobot.registry.heartbeat`); a run whose process is gone is
marked ``crashed`` by the registry.
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

from prefect import get_run_logger, task
from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency
from prefect.context import get_run_context
from prefect.exceptions import ObjectAlreadyExists
from prefect.states import Cancelled, State
from sqlalchemy.exc import IntegrityError

from caserobot import credentials, discovery, gate, registry
from caserobot.db import init_db
from caserobot.exceptions import ApplicationException
from caserobot.intake import intake
from caserobot.queue import WorkQueue
from caserobot.reports import build_run_report, write_excel
from caserobot.robots import RobotManifest, load_manifest, run_robot
from caserobot.runtime import isolated_env
from caserobot.settings import Settings, get_settings

#: Lease of a running robot's seat slots in Prefect's global concurrency limits (seconds).
SLOT_LEASE_S = 60.0


# The legacy systems caserobot knows, by the names robot manifests use.
def legacy_systems(settings: Settings) -> dict[str, dict[str, Any]]:
    """Every legacy system a robot may name in its manifest: the core's, and the web
    systems the installed case types bring (:attr:`CaseTypePackage.web_systems`)."""
    return _core_systems(settings) | {
        name: {
            "kind": "web_ui",
            "base_url": (web := settings.web_system(name, spec.defaults)).base_url,
            "seat_limit": web.seat_limit,
            "description": spec.description or name,
        }
        for package in discovery.installed().values()
        for name, spec in package.web_systems.items()
    }


def _core_systems(settings: Settings) -> dict[str, dict[str, Any]]:
    return {
        "e-tjanst": {
            "kind": "api",
            "base_url": settings.eservice.base_url,
            "seat_limit": None,
            "description": "E-tjänsten (ansökningar)",
        },
        "arendesystem": {
            "kind": "web_ui",
            "base_url": settings.case_system.base_url,
            "seat_limit": settings.case_system.seat_limit,
            "description": "Ärendesystemet (webbgränssnitt, licensbegränsat)",
        },
        "folkbokforing": {
            "kind": "api",
            "base_url": settings.population_register.base_url,
            "seat_limit": None,
            "description": "Folkbokföringen (Navet-lik, XML)",
        },
        "vagtjanst": {
            "kind": "api",
            "base_url": settings.route_service.base_url,
            "seat_limit": None,
            "description": "Vägtjänsten (gångavstånd)",
        },
        "inkomstregister": {
            "kind": "api",
            "base_url": settings.income_register.base_url,
            "seat_limit": None,
            "description": "Inkomstregistret (SSBTEK-likt, utbetalningar per månad)",
        },
    }


def concurrency_limit_name(system: str) -> str:
    return f"legacy-{system}"


def _retry_on_application_error(task: Any, task_run: Any, state: Any) -> bool:
    """Prefect retries a task only for application exceptions (system problems)."""
    try:
        state.result()
    except ApplicationException:
        return True
    except Exception:  # noqa: BLE001 - anything else is a bug: do not retry blindly
        return False
    return False


def sync_seat_limit(system: str, limit: int) -> None:
    """Set the Prefect global concurrency limit ``legacy-<system>`` to ``limit`` slots.

    Raises:
        ApplicationException: Prefect's API is not configured or does not answer.
    """
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise ApplicationException(
            "Prefect-servern är inte angiven (PREFECT_API_URL)", system="prefect", step="seat-limit"
        )
    try:
        with get_client(sync_client=True) as client:
            _upsert_limit(client, system, limit)
    except Exception as exc:  # noqa: BLE001 - any failure to reach Prefect is the same to us
        raise ApplicationException(
            f"Prefect-servern på {PREFECT_API_URL.value()} svarar inte ({type(exc).__name__})",
            system="prefect",
            step="seat-limit",
        ) from exc


def seat_limits(settings: Settings, systems: list[str]) -> dict[str, int]:
    """The seat limit of each seat-limited system: the registry's (an administrator may have
    changed it), else the settings' default."""
    db = init_db(settings)
    known = legacy_systems(settings)
    limits = {}
    for name in systems:
        default = known[name]["seat_limit"]
        if not default:
            continue
        registered = registry.get_legacy_system(db.sessions, name)
        limits[name] = (registered.seat_limit if registered else None) or default
    return limits


def _upsert_limit(client: Any, system: str, limit: int) -> None:
    """Create or update ``legacy-<system>``. Prefect's upsert reads, then creates: when
    another run (another worker) created the limit in between, the second try updates it."""
    name = concurrency_limit_name(system)
    try:
        client.upsert_global_concurrency_limit_by_name(name, limit)
    except ObjectAlreadyExists:
        client.upsert_global_concurrency_limit_by_name(name, limit)


@task(name="register-robot")
def register_task(robot_name: str) -> dict[str, Any]:
    try:
        return _register(robot_name)
    except IntegrityError:
        # Two runs of the robot starting at once (two workers) both found the robot or a
        # system missing and added it: the other's row is there now, so this is an update.
        return _register(robot_name)


def _register(robot_name: str) -> dict[str, Any]:
    settings = get_settings()
    manifest = load_manifest(robot_name)
    db = init_db(settings)
    known = legacy_systems(settings)
    limits = seat_limits(settings, manifest.legacy_systems)
    with get_client(sync_client=True) as client:
        for name in manifest.legacy_systems:
            spec = {**known[name], "seat_limit": limits.get(name)}
            registry.register_legacy_system(db.sessions, name=name, **spec)
            if spec["seat_limit"]:
                _upsert_limit(client, name, spec["seat_limit"])
    registry.register_robot(
        db.sessions,
        name=manifest.name,
        version=manifest.version,
        owner=manifest.owner,
        case_type=manifest.case_type,
        legacy_systems=manifest.legacy_systems,
        description=manifest.description,
    )
    return manifest.model_dump(mode="json")


@task(
    name="intake", retries=2, retry_delay_seconds=2, retry_condition_fn=_retry_on_application_error
)
def intake_task(case_type: str, run_id: int) -> dict[str, int]:
    settings = get_settings()
    queue = WorkQueue(init_db(settings).sessions)
    result = asyncio.run(intake(settings, queue, case_type, run_id=run_id))
    get_run_logger().info(
        "Intake %s: %d listade, %d nya i kön", case_type, result.listed, result.enqueued
    )
    return {
        "listed": result.listed,
        "enqueued": result.enqueued,
        "already_queued": result.already_queued,
    }


@task(
    name="robot", retries=2, retry_delay_seconds=5, retry_condition_fn=_retry_on_application_error
)
def robot_task(
    robot_name: str, run_id: int, seats: int | None, mode: str, as_of: str | None
) -> dict[str, Any]:
    settings = get_settings()
    manifest: RobotManifest = load_manifest(robot_name)
    limits = seat_limits(settings, manifest.legacy_systems)
    seat_limit = min(limits.values(), default=settings.case_system.seat_limit)
    seats = min(seats or seat_limit, seat_limit)
    limited = [concurrency_limit_name(s) for s in limits]
    attempt = getattr(get_run_context().task_run, "run_count", 1)
    output_dir = settings.var_dir / "runs" / f"run-{run_id}" / f"attempt-{attempt}"
    variables = {"CASE_TYPE": manifest.case_type, "SEATS": seats, "MODE": mode, "RUN_ID": run_id}
    if as_of:
        variables["AS_OF"] = as_of
    # The robot holds one slot of each seat-limited system per seat it opens. The slots'
    # lease is renewed while this process lives; if it dies (a worker killed with it), they
    # free up within a minute rather than Prefect's default five.
    with concurrency(limited, occupy=seats, timeout_seconds=3600, lease_duration=SLOT_LEASE_S):
        env = _child_env(settings) | credentials.for_robot_process()
        result = run_robot(manifest, output_dir, variables=variables, env=env)
    if result.status == "CRASHED":
        raise ApplicationException(
            f"robotprocessen avslutades utan läsbart resultat (kod {result.returncode}: "
            f"{result.error}); försöket görs om",
            step="robot",
        )
    if result.status != "PASS":
        raise ApplicationException(
            f"robotkörningen misslyckades; se {output_dir / 'log.html'}", step="robot"
        )
    return {"output_dir": str(output_dir), **result.stats}


@task(name="report")
def report_task(
    robot_name: str, run_id: int, output_dir: str | None, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    settings = get_settings()
    db = init_db(settings)
    report = build_run_report(db.sessions, run_id)
    path = write_excel(report, settings.var_dir / "reports" / f"{robot_name}-run-{run_id}.xlsx")
    stats = {**report.summary(), "excel": str(path), **(extra or {})}
    registry.finish_run(db.sessions, run_id, status="completed", stats=stats, output_dir=output_dir)
    return stats


def run_case_robot(
    robot_name: str, *, seats: int | None = None, mode: str = "fast", as_of: str | None = None
) -> dict[str, Any] | State:
    """The body of every case robot's flow.

    Returns the run's statistics, or a ``Cancelled`` state (the flow run's final state) when
    the robot is paused.
    """
    settings = get_settings()
    if as_of:
        date.fromisoformat(as_of)  # fail early on a bad date
    manifest = register_task(robot_name)
    db = init_db(settings)
    logger = get_run_logger()
    now = gate.gate(db.sessions, manifest["case_type"], datetime.now(UTC))
    if now.reason == gate.PAUSED:
        message = f"Roboten {robot_name} är pausad: ingen körning startades"
        logger.warning(message)
        return Cancelled(message=message)
    flow_run = get_run_context().flow_run
    run = registry.start_run(
        db.sessions,
        robot_name,
        trigger=os.environ.get("CASEROBOT_TRIGGER", "flow"),
        prefect_flow_run_id=str(flow_run.id) if flow_run else None,
    )
    with _keep_alive(db.sessions, run.id):
        if not now.open:
            return _closed_run(db, robot_name, run.id, manifest["case_type"], now, logger)
        try:
            intake_stats = intake_task(manifest["case_type"], run.id)
            robot_stats = robot_task(robot_name, run.id, seats, mode, as_of)
            extra = {
                k: robot_stats[k]
                for k in ("stopped_reason", "transient_errors", "seats_opened")
                if k in robot_stats
            }
            report = report_task(robot_name, run.id, robot_stats.get("output_dir"), extra)
        except BaseException:  # also a cancelled flow run: the run must not stay "running"
            registry.finish_run(db.sessions, run.id, status="failed", stats={}, output_dir=None)
            raise
    return {"run_id": run.id, "intake": intake_stats, "robot": robot_stats, "report": report}


def _closed_run(
    db: Any, robot_name: str, run_id: int, case_type: str, closed: gate.Gate, logger: Any
) -> dict[str, Any]:
    """A run outside opening hours: nothing is processed; the run records why."""
    waiting = WorkQueue(db.sessions).pending(case_type)
    reopens = closed.reopens_at.isoformat() if closed.reopens_at else None
    logger.warning(
        "Ingen behandling: %s; %d ärenden väntar%s",
        closed.reason,
        waiting,
        f" (öppnar {reopens})" if reopens else "",
    )
    extra = {"closed_reason": closed.reason, "reopens_at": reopens, "waiting": waiting}
    try:
        report = report_task(robot_name, run_id, None, extra)
    except BaseException:
        registry.finish_run(db.sessions, run_id, status="failed", stats=extra, output_dir=None)
        raise
    robot_stats = {"output_dir": None, "processed": 0, **extra}
    return {"run_id": run_id, "intake": {}, "robot": robot_stats, "report": report}


@contextmanager
def _keep_alive(sessions: Any, run_id: int) -> Iterator[None]:
    """Record the run's heartbeat every :data:`registry.HEARTBEAT_S` while the body runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(registry.HEARTBEAT_S):
            try:
                if not registry.heartbeat(sessions, run_id):
                    return  # finished (or marked crashed by someone who could not see us)
            except Exception:  # noqa: BLE001 - a database hiccup: try again next beat  # nosec B112  # a failed heartbeat is retried at the next beat; runs without beats are marked crashed
                continue

    thread = threading.Thread(target=beat, name=f"run-{run_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)


def _child_env(settings: Settings) -> dict[str, str]:
    env = isolated_env(settings)
    # PREFECT_API_URL and PREFECT_API_AUTH_STRING (set by caserobot.runtime.use_prefect or a
    # worker's environment): the robot loads its credentials from the same Prefect
    env.update({k: v for k, v in os.environ.items() if k.startswith(("CASEROBOT_", "PREFECT_API"))})
    return env
