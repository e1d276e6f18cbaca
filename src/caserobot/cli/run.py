"""``caserobot demo`` and ``caserobot run``: start what is needed, run a robot's flow, report."""

from __future__ import annotations

import threading
import time
from contextlib import ExitStack
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from caserobot.cli import app
from caserobot.exceptions import CaseRobotError
from caserobot.settings import PROJECT_ROOT, Settings, get_settings

console = Console()
TERMINAL = ("done", "business_exception", "abandoned")


def _fail(message: str) -> typer.Exit:
    console.print(f"[red]Fel:[/red] {message}")
    return typer.Exit(1)


def _run_flow(
    robot: str,
    settings: Settings,
    *,
    expected: int | None,
    seats: int | None,
    mode: str,
    as_of: str | None,
) -> dict[str, Any]:
    """Run the robot's Prefect flow with a progress bar fed from the work queue."""
    from prefect.flows import load_flow_from_entrypoint

    from caserobot.db import init_db
    from caserobot.queue import WorkQueue
    from caserobot.robots import load_manifest

    manifest = load_manifest(robot)
    queue = WorkQueue(init_db(settings).sessions)
    baseline = queue.counts(manifest.case_type)
    flow = load_flow_from_entrypoint(str(PROJECT_ROOT / "flows" / f"{robot}.py") + f":{robot}")
    done = threading.Event()

    def finished() -> int:
        counts = queue.counts(manifest.case_type)
        return sum(counts.get(s, 0) - baseline.get(s, 0) for s in TERMINAL)

    def poll(progress: Progress, bar: Any) -> None:
        while not done.wait(0.5):
            progress.update(bar, completed=finished())

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
            result = flow(seats=seats, mode=mode, as_of=as_of)
        finally:
            done.set()
            watcher.join()
            progress.update(bar, completed=finished(), total=expected or finished())
    return result


def _print_report(run_id: int, settings: Settings, excel: str | None) -> None:
    from caserobot.db import init_db
    from caserobot.reports import build_run_report, print_summary

    print_summary(build_run_report(init_db(settings).sessions, run_id), console)
    if excel:
        console.print(f"Excelrapport: [bold]{excel}[/bold]")


@app.command()
def demo(
    applications: Annotated[
        int, typer.Option("--applications", "-n", min=1, help="Synthetic applications to submit")
    ] = 200,
    seats: Annotated[int, typer.Option(min=1, help="Seat licences of the case system")] = 4,
    ui_latency_ms: Annotated[int, typer.Option(help="Stand-in latency per UI page")] = 0,
    api_latency_ms: Annotated[int, typer.Option(help="Stand-in latency per API call")] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic applications")] = 1,
    as_of: Annotated[str | None, typer.Option(help="Decision date YYYY-MM-DD")] = None,
    keep_running: Annotated[
        bool, typer.Option(help="Leave the stand-ins and Prefect's server running (Ctrl-C to stop)")
    ] = False,
) -> None:
    """Run the whole skolskjuts path on this machine, with nothing to set up.

    Starts the legacy stand-ins and Prefect's own server, submits synthetic applications to
    the e-service, registers the robot, runs its flow (the Robot Framework robot drives the
    case system in headless Chromium) and prints the run report.
    """
    from caserobot.runtime import apply_isolated_env, start_prefect_server, start_standins

    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    apply_isolated_env(settings)
    with ExitStack() as stack:
        try:
            with console.status("Startar ersättningssystemen (e-tjänst, ärendesystem, register)…"):
                standins = start_standins(
                    settings,
                    ui_latency_ms=ui_latency_ms,
                    api_latency_ms=api_latency_ms,
                    seats=seats,
                )
            if standins:
                stack.callback(standins.stop)
            console.print("✓ Ersättningssystemen körs (loggar i var/logs/)")
            resp = httpx.post(
                f"{settings.eservice.base_url}/_test/generate",
                json={"count": applications, "seed": seed},
                timeout=60,
            )
            resp.raise_for_status()
            console.print(f"✓ {applications} skolskjutsansökningar inskickade till e-tjänsten")
            with console.status("Startar Prefects server (första gången ≈ 20 s)…"):
                server = start_prefect_server(settings)
            if server:
                stack.callback(server.stop)
            console.print("✓ Prefect körs: http://127.0.0.1:4200")
            result = _run_flow(
                "skolskjuts", settings, expected=applications, seats=seats, mode="fast", as_of=as_of
            )
        except CaseRobotError as exc:
            raise _fail(str(exc)) from None
        except httpx.HTTPError as exc:
            raise _fail(f"e-tjänsten svarade inte: {exc}") from None
        _print_report(result["run_id"], settings, result["report"].get("excel"))
        console.print(f"Robotloggar: {result['robot']['output_dir']}/log.html")
        if keep_running:
            console.print("Allt körs vidare. Avsluta med Ctrl-C.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass


@app.command()
def run(
    robot: Annotated[str, typer.Argument(help="Robot name, see `caserobot robots`")],
    seats: Annotated[int | None, typer.Option(min=1, help="Seats to use (default: limit)")] = None,
    mode: Annotated[str, typer.Option(help="fast or classic (render every screen)")] = "fast",
    as_of: Annotated[str | None, typer.Option(help="Decision date YYYY-MM-DD")] = None,
) -> None:
    """Run one robot now against the legacy systems in the settings (CASEROBOT_*).

    Uses the Prefect server in PREFECT_API_URL, or starts Prefect's own local server.
    """
    from caserobot.runtime import apply_isolated_env, start_prefect_server

    if mode not in ("fast", "classic"):
        raise _fail("--mode måste vara fast eller classic")
    from caserobot.robots import load_manifest

    settings = get_settings()
    apply_isolated_env(settings)
    with ExitStack() as stack:
        try:
            load_manifest(robot)  # a wrong name fails here, before anything starts
            server = start_prefect_server(settings)
            if server:
                stack.callback(server.stop)
            result = _run_flow(robot, settings, expected=None, seats=seats, mode=mode, as_of=as_of)
        except CaseRobotError as exc:
            raise _fail(str(exc)) from None
        _print_report(result["run_id"], settings, result["report"].get("excel"))
