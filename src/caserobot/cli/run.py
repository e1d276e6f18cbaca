"""``caserobot demo`` and ``caserobot run``: start what is needed, run a robot's flow, report."""

from __future__ import annotations

import inspect
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


def _load_flow(robot: str) -> Any:
    from prefect.flows import load_flow_from_entrypoint

    return load_flow_from_entrypoint(str(PROJECT_ROOT / "flows" / f"{robot}.py") + f":{robot}")


def _flow_params(robot: str, seats: int | None, mode: str, as_of: str | None) -> dict[str, Any]:
    """The flow's parameters; ``as_of`` only for robots that take a decision date."""
    params: dict[str, Any] = {"seats": seats, "mode": mode}
    if as_of is not None:
        if "as_of" not in inspect.signature(_load_flow(robot).fn).parameters:
            raise CaseRobotError(
                f"{robot} tar inget beslutsdatum: reglerna gäller per ansökt månad (--as-of)"
            )
        params["as_of"] = as_of
    return params


def _run_flow(
    robot: str, settings: Settings, *, expected: int | None, params: dict[str, Any]
) -> dict[str, Any]:
    """Run the robot's Prefect flow with a progress bar fed from the work queue."""

    from caserobot.db import init_db
    from caserobot.queue import WorkQueue
    from caserobot.robots import load_manifest

    manifest = load_manifest(robot)
    queue = WorkQueue(init_db(settings).sessions)
    baseline = queue.counts(manifest.case_type)
    flow = _load_flow(robot)
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
            result = flow(**params)
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


# The demo's robots: (robot, what its applications are called in the progress output).
DEMO_ROBOTS = (
    ("skolskjuts", "skolskjutsansökningar"),
    ("ekonomiskt_bistand", "ansökningar om ekonomiskt bistånd"),
)


@app.command()
def demo(
    applications: Annotated[
        int, typer.Option("--applications", "-n", min=0, help="Skolskjuts applications to submit")
    ] = 200,
    eb_applications: Annotated[
        int, typer.Option(min=0, help="Ekonomiskt bistånd applications to submit")
    ] = 150,
    seats: Annotated[int, typer.Option(min=1, help="Seat licences of the case system")] = 4,
    ui_latency_ms: Annotated[int, typer.Option(help="Stand-in latency per UI page")] = 0,
    api_latency_ms: Annotated[int, typer.Option(help="Stand-in latency per API call")] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic applications")] = 1,
    as_of: Annotated[
        str | None, typer.Option(help="Skolskjuts decision date YYYY-MM-DD (default: today)")
    ] = None,
    keep_running: Annotated[
        bool, typer.Option(help="Leave the stand-ins and Prefect's server running (Ctrl-C to stop)")
    ] = False,
) -> None:
    """Run both case robots end to end on this machine, with nothing to set up.

    Starts the legacy stand-ins and Prefect's own server, submits synthetic applications to
    the e-service (skolskjuts and ekonomiskt bistånd), registers the robots, runs each
    robot's Prefect flow (the Robot Framework robot drives the case system in headless
    Chromium) and prints the run reports. Ekonomiskt bistånd is decided per month applied
    for (the stand-ins' scenario month), so --as-of applies to skolskjuts only.
    """
    from caserobot.runtime import apply_isolated_env, start_prefect_server, start_standins

    wanted = {"skolskjuts": applications, "ekonomiskt_bistand": eb_applications}
    if not any(wanted.values()):
        raise _fail("inga ansökningar att behandla: ange --applications eller --eb-applications")
    settings = get_settings()
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    apply_isolated_env(settings)
    results: list[tuple[str, dict[str, Any]]] = []
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
            for robot, noun in DEMO_ROBOTS:
                if wanted[robot]:
                    _submit(settings, robot, wanted[robot], seed)
                    console.print(f"✓ {wanted[robot]} {noun} inskickade till e-tjänsten")
            with console.status("Startar Prefects server (första gången ≈ 20 s)…"):
                server = start_prefect_server(settings)
            if server:
                stack.callback(server.stop)
            console.print("✓ Prefect körs: http://127.0.0.1:4200")
            for robot, _ in DEMO_ROBOTS:
                if wanted[robot]:
                    params = _flow_params(
                        robot, seats, "fast", as_of if robot == "skolskjuts" else None
                    )
                    result = _run_flow(robot, settings, expected=wanted[robot], params=params)
                    results.append((robot, result))
        except CaseRobotError as exc:
            raise _fail(str(exc)) from None
        except httpx.HTTPError as exc:
            raise _fail(f"e-tjänsten svarade inte: {exc}") from None
        for robot, result in results:
            console.rule(robot)
            _print_report(result["run_id"], settings, result["report"].get("excel"))
            console.print(f"Robotloggar: {result['robot']['output_dir']}/log.html")
        _print_overview(results)
        if keep_running:
            console.print("Allt körs vidare. Avsluta med Ctrl-C.")
            try:
                while True:
                    time.sleep(3600)
            except KeyboardInterrupt:
                pass


def _submit(settings: Settings, case_type: str, count: int, seed: int) -> None:
    resp = httpx.post(
        f"{settings.eservice.base_url}/_test/generate",
        json={"count": count, "seed": seed, "type": case_type},
        timeout=120,
    )
    resp.raise_for_status()


def _print_overview(results: list[tuple[str, dict[str, Any]]]) -> None:
    from rich.table import Table

    from caserobot.rules import kronor

    table = Table(title="Demo: alla robotar", title_justify="left")
    table.add_column("Robot", no_wrap=True)
    for column in ("Ansökningar", "Automatiskt", "Handläggare", "Utbetalt"):
        table.add_column(column, justify="right", no_wrap=True)
    for robot, result in results:
        r = result["report"]
        automated = r["granted"] + r["denied"]
        table.add_row(
            robot,
            str(r["applications"]),
            f"{automated} ({r['automation_rate']:.0%})",
            str(r["referred"] + r["business_exception"]),
            kronor(r["amount_paid_kr"]) if r.get("payments") else "–",
        )
    console.print(table)


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
            params = _flow_params(robot, seats, mode, as_of)
            result = _run_flow(robot, settings, expected=None, params=params)
        except CaseRobotError as exc:
            raise _fail(str(exc)) from None
        _print_report(result["run_id"], settings, result["report"].get("excel"))
