"""``caserobot demo`` and ``caserobot run``: start what is needed, run a robot's flow, report."""

from __future__ import annotations

import inspect
import threading
from contextlib import ExitStack
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from caserobot.cli import app
from caserobot.exceptions import CaseRobotError
from caserobot.settings import Settings, get_settings

console = Console()
TERMINAL = ("done", "business_exception", "abandoned")


def fail(message: str) -> typer.Exit:
    console.print(f"[red]Fel:[/red] {message}")
    return typer.Exit(1)


def load_flow(robot: str) -> Any:
    from caserobot.robots import load_flow as flow_of
    from caserobot.robots import load_manifest

    return flow_of(load_manifest(robot))


def flow_params(robot: str, seats: int | None, mode: str, as_of: str | None) -> dict[str, Any]:
    """The flow's parameters; ``as_of`` only for robots that take a decision date."""
    params: dict[str, Any] = {"seats": seats, "mode": mode}
    if as_of is not None:
        if "as_of" not in inspect.signature(load_flow(robot).fn).parameters:
            raise CaseRobotError(
                f"{robot} tar inget beslutsdatum: reglerna gäller per ansökt månad (--as-of)"
            )
        params["as_of"] = as_of
    return params


def run_flow(
    robot: str, settings: Settings, *, expected: int | None, params: dict[str, Any]
) -> dict[str, Any]:
    """Run the robot's Prefect flow with a progress bar fed from the work queue."""

    from caserobot.db import init_db
    from caserobot.queue import WorkQueue
    from caserobot.robots import load_manifest

    manifest = load_manifest(robot)
    queue = WorkQueue(init_db(settings).sessions)
    baseline = queue.counts(manifest.case_type)
    flow = load_flow(robot)
    done = threading.Event()

    def finished() -> int:
        counts = queue.counts(manifest.case_type)
        return sum(counts.get(s, 0) - baseline.get(s, 0) for s in TERMINAL)

    def total() -> int | None:
        """The items to do: ``expected`` applications, or more once the intake has split
        them into more work items (a case type decided in parts)."""
        queued = sum(queue.counts(manifest.case_type).values()) - sum(baseline.values())
        return max(expected or 0, queued) or expected

    def poll(progress: Progress, bar: Any) -> None:
        while not done.wait(0.5):
            progress.update(bar, completed=finished(), total=total())

    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        bar = progress.add_task(f"{robot}: ärenden", total=expected)
        watcher = threading.Thread(target=poll, args=(progress, bar), daemon=True)
        watcher.start()
        try:
            state = flow(**params, return_state=True)
        finally:
            done.set()
            watcher.join()
            progress.update(bar, completed=finished(), total=total() or finished())
    if state.is_cancelled():  # a paused robot: the flow says why
        raise CaseRobotError(state.message or f"{robot}: körningen avbröts")
    result = _flow_result(state, settings, manifest.name)  # raises what made a run fail
    if reason := result["report"].get("closed_reason"):
        console.print(
            f"[yellow]Inget behandlades:[/yellow] {reason}; "
            f"{result['report'].get('waiting', 0)} ärenden väntar"
        )
    return result


def _flow_result(state: Any, settings: Settings, robot: str) -> dict[str, Any]:
    """The flow's return value; raises what made a failed run fail.

    Prefect now and then hands back a completed flow run's state as its API holds it,
    without the value (``MissingResult``; the flows do not persist results). The run is then
    read from the registry, where the flow recorded it.
    """
    from prefect.exceptions import MissingResult

    try:
        return dict(state.result())
    except MissingResult:
        if not state.is_completed():
            raise
    from caserobot import registry
    from caserobot.db import init_db

    flow_run_id = str(state.state_details.flow_run_id)
    sessions = init_db(settings).sessions
    for run in registry.list_runs(sessions, robot, limit=50):
        if run.prefect_flow_run_id == flow_run_id:
            return {
                "run_id": run.id,
                "report": run.stats,
                "robot": {"output_dir": run.output_dir, **run.stats},
            }
    raise CaseRobotError(f"{robot}: körningen blev klar men finns inte i registret")


def print_report(run_id: int, settings: Settings, excel: str | None) -> None:
    from caserobot.db import init_db
    from caserobot.reports import build_run_report, print_summary

    print_summary(build_run_report(init_db(settings).sessions, run_id), console)
    if excel:
        console.print(f"Excelrapport: [bold]{excel}[/bold]")


@app.command()
def run(
    robot: Annotated[str, typer.Argument(help="Robot name, see `caserobot robots`")],
    seats: Annotated[int | None, typer.Option(min=1, help="Seats to use (default: limit)")] = None,
    mode: Annotated[str, typer.Option(help="fast or classic (render every screen)")] = "fast",
    as_of: Annotated[str | None, typer.Option(help="Decision date YYYY-MM-DD")] = None,
) -> None:
    """Run one robot now against the legacy systems in the settings (CASEROBOT_*).

    Uses the Prefect server in PREFECT_API_URL (with PREFECT_API_AUTH_STRING if it needs
    one), else the local server caserobot started for this var directory, else starts one
    (127.0.0.1, basic auth from var/prefect-auth). A paused robot is not run; outside a
    legacy system's opening hours the run processes nothing and says why.
    """
    from caserobot.runtime import apply_isolated_env, start_prefect_server

    if mode not in ("fast", "classic"):
        raise fail("--mode måste vara fast eller classic")
    from caserobot.robots import load_manifest

    settings = get_settings()
    apply_isolated_env(settings)
    with ExitStack() as stack:
        try:
            load_manifest(robot)  # a wrong name or option fails here, before anything starts
            params = flow_params(robot, seats, mode, as_of)
            server = start_prefect_server(settings)
            if server:
                stack.callback(server.stop)
            result = run_flow(robot, settings, expected=None, params=params)
        except CaseRobotError as exc:
            raise fail(str(exc)) from None
        print_report(result["run_id"], settings, result["report"].get("excel"))


@app.command()
def intake(
    case_type: Annotated[str, typer.Argument(help="Case type, see `caserobot case-types`")],
) -> None:
    """Move every submitted application of a case type from the e-service into the queue.

    In batches (CASEROBOT_WORK__INTAKE_BATCH, 500), with at most
    CASEROBOT_WORK__INTAKE_CONCURRENCY calls to the e-service at once (16), and a progress
    bar. Safe to repeat or to stop half-way: an application already queued is not queued
    again. A robot's run does the same before it starts; this is for large volumes (a
    year's applications) and for filling the queue ahead of the robots.
    """
    import asyncio

    from caserobot import discovery
    from caserobot.db import init_db
    from caserobot.intake import intake as run_intake
    from caserobot.queue import WorkQueue

    if case_type not in discovery.installed():
        known = ", ".join(sorted(discovery.installed()))
        raise fail(f"okänd ärendetyp {case_type!r} (installerade: {known})")
    settings = get_settings()
    queue = WorkQueue(init_db(settings).sessions)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, TimeElapsedColumn(), console=console) as progress:
        bar = progress.add_task(f"{case_type}: ansökningar", total=None)

        def advance(done: int, listed: int) -> None:
            progress.update(bar, completed=done, total=listed)

        try:
            result = asyncio.run(run_intake(settings, queue, case_type, progress=advance))
        except CaseRobotError as exc:
            raise fail(str(exc)) from None
    console.print(
        f"{result.listed} ansökningar i e-tjänsten; {result.enqueued} nya i kön, "
        f"{result.already_queued} fanns redan"
    )
