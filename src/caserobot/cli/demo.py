"""``caserobot demo``: everything on one machine, from applications to the web UI.

Starts the legacy stand-ins and Prefect's own server, submits synthetic applications, runs
both robots' flows and prints their reports; then starts a Prefect worker, gives each robot
a schedule (a real Prefect deployment), adds the demo accounts and serves the web UI until
Ctrl-C.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import typer

from caserobot.cli import app
from caserobot.cli.run import console, fail, flow_params, print_report, run_flow
from caserobot.exceptions import CaseRobotError, InputError
from caserobot.settings import Settings, get_settings

# The demo's robots: (robot, what its applications are called in the progress output).
DEMO_ROBOTS = (
    ("skolskjuts", "skolskjutsansökningar"),
    ("ekonomiskt_bistand", "ansökningar om ekonomiskt bistånd"),
)
# The stand-ins space generated applications 60–1800 s (skolskjuts) and 30–900 s apart
# (ekonomiskt bistånd); the demo's applications start this long per application ago, so
# they were all submitted recently and none in the future.
SECONDS_PER_APPLICATION = {"skolskjuts": 1000, "ekonomiskt_bistand": 500}
# Weekdays at 06:00, Swedish time: the robots' schedules in the demo.
DEMO_CRON = "0 6 * * 1-5"
# The demo's accounts: (username, role, units, name). One password for all, printed.
DEMO_PASSWORD = "demo-caserobot"
DEMO_USERS = (
    ("admin", "admin", (), "Ada Administratör"),
    ("chef", "manager", (), "Maja Chef"),
    ("skolskjuts", "caseworker", ("Skolskjuts",), "Sam Skolskjutshandläggare"),
    ("fsstod", "caseworker", ("Försörjningsstöd",), "Frida Socialsekreterare"),
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
    serve: Annotated[
        bool,
        typer.Option(
            help="After the runs, keep everything running and serve the web UI until Ctrl-C"
        ),
    ] = True,
) -> None:
    """Run both case robots end to end on this machine, then open the web UI.

    Starts the legacy stand-ins and Prefect's own server, submits synthetic applications to
    the e-service (skolskjuts and ekonomiskt bistånd), registers the robots, runs each
    robot's Prefect flow (the Robot Framework robot drives the case system in headless
    Chromium) and prints the run reports. Ekonomiskt bistånd is decided per month applied
    for (the stand-ins' scenario month), so --as-of applies to skolskjuts only.

    Then (unless --no-serve) it starts a Prefect worker, schedules both robots on weekdays
    at 06:00 (Prefect deployments), adds the demo accounts and serves the web UI, printing
    its address and the accounts. Ctrl-C stops everything.
    """
    from caserobot.runtime import apply_isolated_env, start_prefect_server, start_standins

    wanted = {"skolskjuts": applications, "ekonomiskt_bistand": eb_applications}
    if not any(wanted.values()):
        raise fail("inga ansökningar att behandla: ange --applications eller --eb-applications")
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
            console.print(
                f"✓ Prefect körs: {_prefect_ui()} (inloggning: innehållet i "
                f"{settings.var_dir / 'prefect-auth'})"
            )
            for robot, _ in DEMO_ROBOTS:
                if wanted[robot]:
                    params = flow_params(
                        robot, seats, "fast", as_of if robot == "skolskjuts" else None
                    )
                    results.append(
                        (robot, run_flow(robot, settings, expected=wanted[robot], params=params))
                    )
        except CaseRobotError as exc:
            raise fail(str(exc)) from None
        except httpx.HTTPError as exc:
            raise fail(f"e-tjänsten svarade inte: {exc}") from None
        for robot, result in results:
            console.rule(robot)
            print_report(result["run_id"], settings, result["report"].get("excel"))
            console.print(f"Robotloggar: {result['robot']['output_dir']}/log.html")
        _print_overview(results)
        if serve:
            try:
                _serve_ui(settings, stack, [robot for robot, _ in results])
            except CaseRobotError as exc:
                raise fail(str(exc)) from None


def _submit(settings: Settings, case_type: str, count: int, seed: int) -> None:
    start = datetime.now(UTC) - timedelta(seconds=count * SECONDS_PER_APPLICATION[case_type])
    resp = httpx.post(
        f"{settings.eservice.base_url}/_test/generate",
        json={
            "count": count,
            "seed": seed,
            "type": case_type,
            "submitted_from": start.isoformat(timespec="seconds"),
        },
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


def _serve_ui(settings: Settings, stack: ExitStack, robots: list[str]) -> None:
    """Worker, schedules, demo accounts, then the web UI in the foreground until Ctrl-C."""
    from caserobot import scheduling
    from caserobot.db import init_db
    from caserobot.runtime import start_worker
    from caserobot.web import create_app
    from caserobot.web.server import run_server

    with console.status("Startar Prefects arbetare (kör robotarnas scheman)…"):
        worker = start_worker(settings, reuse=False)
    if worker:
        stack.callback(worker.stop)
    existing = {s.name for s in scheduling.list_schedules(runs=0)}
    for robot in robots:
        if robot not in existing:
            scheduling.create_schedule(robot, DEMO_CRON, actor="demo", settings=settings)
    console.print(
        f"✓ Scheman i Prefect: {', '.join(robots)} vardagar 06:00 ({_prefect_ui()}/deployments)"
    )
    db = init_db(settings)
    _add_demo_users(db.sessions)
    web_app = create_app(settings)
    url = f"http://{settings.web.host}:{settings.web.port}/"
    console.rule("Webbgränssnittet")
    console.print(f"Öppna [bold]{url}[/bold] och logga in (lösenord [bold]{DEMO_PASSWORD}[/bold]):")
    for username, role, units, name in DEMO_USERS:
        where = f" ({', '.join(units)})" if units else ""
        console.print(f"  {username:<11} {role}{where}: {name}")
    console.print("Allt körs tills du trycker Ctrl-C.")
    # Returns on Ctrl-C; the caller's ExitStack then stops the worker, Prefect, the stand-ins.
    run_server(web_app, settings.web.host, settings.web.port)
    console.print("Stoppar webbgränssnittet, Prefect och ersättningssystemen…")


def _prefect_ui() -> str:
    """The address of Prefect's UI (the server this process talks to)."""
    from caserobot import scheduling

    return (scheduling.api_url() or "").removesuffix("/api")


def _add_demo_users(sessions: Any) -> None:
    from caserobot import users

    for username, role, units, name in DEMO_USERS:
        if users.get_user(sessions, username) is None:
            try:
                users.add_user(
                    sessions,
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,
                    units=units,
                    display_name=name,
                    actor="demo",
                )
            except InputError as exc:  # e.g. a unit renamed in config/case_types.yaml
                console.print(f"[yellow]Demokontot {username} lades inte till:[/yellow] {exc}")
