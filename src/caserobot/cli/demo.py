"""``caserobot demo``: everything on one machine, from applications to the web UI.

Starts the legacy stand-ins and Prefect's own server, submits synthetic applications, runs
every installed case type's robot flow and prints their reports; then starts a Prefect
worker, gives each robot a schedule (a real Prefect deployment), adds the demo accounts and
serves the web UI until Ctrl-C.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
import typer

from caserobot import discovery
from caserobot.cli import app
from caserobot.cli.run import console, fail, flow_params, print_report, run_flow
from caserobot.discovery import Demo
from caserobot.exceptions import CaseRobotError, InputError
from caserobot.settings import Settings, get_settings

# Weekdays at 06:00, Swedish time: the robots' schedules in the demo.
DEMO_CRON = "0 6 * * 1-5"
# The demo's accounts: (username, role, units, name). One password for all, printed. Each
# case type's package adds its caseworker (Demo.caseworker) in its unit.
DEMO_PASSWORD = "demo-caserobot"  # nosec B105  # the demo's throwaway accounts on a local database; printed at start
DEMO_STAFF = (
    ("admin", "admin", (), "Ada Administratör"),
    ("chef", "manager", (), "Maja Chef"),
)


def demo_robots() -> dict[str, Demo]:
    """The installed case types the demo runs, each with its demo profile."""
    return {
        name: package.demo for name, package in discovery.installed().items() if package.demo
    }


def demo_users() -> list[tuple[str, str, tuple[str, ...], str]]:
    """The demo's accounts: the staff and one caseworker per case type, in its unit."""
    from caserobot.case_types import case_type

    users = list(DEMO_STAFF)
    for name, demo in demo_robots().items():
        if demo.caseworker:
            username, display = demo.caseworker
            users.append((username, "caseworker", (case_type(name).unit,), display))
    return users


def _counts(applications: int | None, counts: list[str]) -> dict[str, int]:
    """Applications per case type: each package's default, ``--applications`` for all,
    ``--count TYPE=N`` for one."""
    robots = demo_robots()
    wanted = {
        name: demo.applications if applications is None else applications
        for name, demo in robots.items()
    }
    for spec in counts:
        name, sep, number = spec.partition("=")
        if not sep or not number.strip().isdigit():
            raise InputError(
                "--count", f"'{spec}' ska vara ÄRENDETYP=ANTAL (se caserobot case-types)"
            )
        if name.strip() not in robots:
            known = ", ".join(robots) or "inga"
            raise InputError("--count", f"okänd ärendetyp '{name}' (installerade: {known})")
        wanted[name.strip()] = int(number)
    return wanted


@app.command()
def demo(
    applications: Annotated[
        int | None,
        typer.Option(
            "--applications",
            "-n",
            min=0,
            help="Applications per case type (default: each case type's own demo size)",
        ),
    ] = None,
    count: Annotated[
        list[str] | None,
        typer.Option(
            "--count",
            metavar="TYPE=N",
            help="Applications of one case type, TYPE as in `caserobot case-types` (repeatable)",
        ),
    ] = None,
    seats: Annotated[int, typer.Option(min=1, help="Seat licences of the case system")] = 4,
    ui_latency_ms: Annotated[int, typer.Option(help="Stand-in latency per UI page")] = 0,
    api_latency_ms: Annotated[int, typer.Option(help="Stand-in latency per API call")] = 0,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic applications")] = 1,
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Decision date YYYY-MM-DD for the case types that take one (default: today)"
        ),
    ] = None,
    serve: Annotated[
        bool,
        typer.Option(
            help="After the runs, keep everything running and serve the web UI until Ctrl-C"
        ),
    ] = True,
) -> None:
    """Run every installed case type's robot end to end on this machine, then open the web UI.

    Starts the legacy stand-ins and Prefect's own server, submits synthetic applications of
    each case type to the e-service, registers the robots, runs each robot's Prefect flow
    (the Robot Framework robot drives the case system in headless Chromium) and prints the
    run reports. --as-of applies to the case types that take a decision date; the others
    decide the period applied for (the stand-ins' scenario month).

    Then (unless --no-serve) it starts a Prefect worker, schedules the robots on weekdays
    at 06:00 (Prefect deployments), adds the demo accounts and serves the web UI, printing
    its address and the accounts. Ctrl-C stops everything.
    """
    from caserobot.runtime import apply_isolated_env, start_prefect_server, start_standins

    try:
        wanted = _counts(applications, count or [])
    except CaseRobotError as exc:
        raise fail(str(exc)) from None
    robots = demo_robots()
    if not any(wanted.values()):
        raise fail("inga ansökningar att behandla: ange --applications eller --count TYP=N")
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
            for robot, profile in robots.items():
                if wanted[robot]:
                    _submit(settings, robot, wanted[robot], seed, profile.seconds_apart)
                    console.print(f"✓ {wanted[robot]} {profile.noun} inskickade till e-tjänsten")
            with console.status("Startar Prefects server (första gången ≈ 20 s)…"):
                server = start_prefect_server(settings)
            if server:
                stack.callback(server.stop)
            console.print(
                f"✓ Prefect körs: {_prefect_ui()} (inloggning: innehållet i "
                f"{settings.var_dir / 'prefect-auth'})"
            )
            for robot, profile in robots.items():
                if wanted[robot]:
                    params = flow_params(robot, seats, "fast", as_of if profile.as_of else None)
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


def _submit(settings: Settings, case_type: str, count: int, seed: int, apart_s: int) -> None:
    # Started this long ago, the generated applications were all submitted recently and
    # none in the future.
    start = datetime.now(UTC) - timedelta(seconds=count * apart_s)
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
        automated = r["automated"]
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
    for username, role, units, name in demo_users():
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

    for username, role, units, name in demo_users():
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
