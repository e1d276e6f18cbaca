"""``caserobot schedules …``, ``caserobot credentials …`` and ``caserobot worker``.

Schedules are Prefect deployments (see :mod:`caserobot.scheduling`); credentials are Prefect
Secret blocks (:mod:`caserobot.credentials`). Each command uses the Prefect server in
``PREFECT_API_URL``, or starts caserobot's own local one like ``caserobot run`` does.
Bad input exits with code 2, anything else that fails with code 1, both with one line.
"""

from __future__ import annotations

import getpass
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from caserobot.cli import app
from caserobot.exceptions import CaseRobotError, InputError
from caserobot.settings import Settings, get_settings

console = Console()
schedules_app = typer.Typer(
    help="Robotarnas scheman: Prefect-deployments med cron.", no_args_is_help=True
)
credentials_app = typer.Typer(
    help="Inloggningsuppgifter till verksamhetssystemen (Prefect Secret-block).",
    no_args_is_help=True,
)
app.add_typer(schedules_app, name="schedules")
app.add_typer(credentials_app, name="credentials")


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


@contextmanager
def _prefect() -> Iterator[Settings]:
    """Settings, with a Prefect server to talk to; errors become one line and an exit code."""
    from caserobot.runtime import apply_isolated_env, start_prefect_server

    settings = get_settings()
    apply_isolated_env(settings)
    with ExitStack() as stack:
        try:
            with console.status("Ansluter till Prefect…"):
                server = start_prefect_server(settings)
            if server:
                stack.callback(server.stop)
            yield settings
        except InputError as exc:
            console.print(f"[red]Fel:[/red] {exc}")
            raise typer.Exit(2) from None
        except CaseRobotError as exc:
            console.print(f"[red]Fel:[/red] {exc}")
            raise typer.Exit(1) from None


@schedules_app.command("add")
def add(
    robot: Annotated[str, typer.Argument(help="Robotens namn, se `caserobot robots`")],
    cron: Annotated[str, typer.Option(help='Cron med fem fält, t.ex. "0 6 * * 1-5"')],
    name: Annotated[str | None, typer.Option(help="Schemats namn (standard: robotens)")] = None,
    timezone: Annotated[str, typer.Option(help="Tidszon för cron")] = "Europe/Stockholm",
    seats: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Licenser (platser) som varje körning använder (standard: hela licensen, "
            "så att två körningar av systemet inte går samtidigt)",
        ),
    ] = None,
) -> None:
    """Create a schedule: a Prefect deployment of the robot's flow with a cron schedule."""
    with _prefect():
        from caserobot import scheduling

        created = scheduling.create_schedule(
            robot,
            cron,
            name=name,
            timezone=timezone,
            actor=_actor(),
            parameters={"seats": seats} if seats else None,
        )
        words = f" ({created.description})" if created.description else ""
        console.print(f"✓ Schemat [bold]{created.name}[/bold] skapat: {created.cron}{words}")
        console.print(f"  Nästa körning: {_when(created.next_runs[:1])}")
        console.print(f"  I Prefect: {created.ui_url}")


@schedules_app.command("list")
def list_(
    robot: Annotated[str | None, typer.Option(help="Bara den här robotens scheman")] = None,
) -> None:
    """List the schedules: cron, paused or active, next and last runs."""
    with _prefect():
        from caserobot import scheduling

        found = scheduling.list_schedules(robot)
        if not found:
            console.print("Inga scheman. Skapa ett med `caserobot schedules add ROBOT --cron …`.")
            return
        table = Table("schema", "cron", "status", "nästa", "senaste körningar")
        for s in found:
            last = ", ".join(f"{r.state}{' (manuell)' if r.trigger else ''}" for r in s.last_runs)
            table.add_row(
                f"{s.name}\n(robot {s.robot})",
                f"{s.cron} {s.timezone}" + (f"\n{s.description}" if s.description else ""),
                "pausad" if s.paused else "aktiv",
                _when(s.next_runs[:1]),
                last or "–",
            )
        for column in table.columns[:3]:
            column.no_wrap = True
        console.print(table)
        if not any(w.status == "ONLINE" for w in scheduling.workers()):
            console.print("[yellow]Ingen worker kör: starta en med `caserobot worker`.[/yellow]")


@schedules_app.command("pause")
def pause(name: Annotated[str, typer.Argument(help="Schemats namn")]) -> None:
    """Pause a schedule (no scheduled runs until it is resumed)."""
    with _prefect():
        from caserobot import scheduling

        scheduling.pause(name, actor=_actor())
        console.print(f"✓ Schemat {name} är pausat")


@schedules_app.command("resume")
def resume(name: Annotated[str, typer.Argument(help="Schemats namn")]) -> None:
    """Resume a paused schedule."""
    with _prefect():
        from caserobot import scheduling

        resumed = scheduling.resume(name, actor=_actor())
        console.print(f"✓ Schemat {name} är aktivt; nästa körning {_when(resumed.next_runs[:1])}")


@schedules_app.command("run")
def run_now(name: Annotated[str, typer.Argument(help="Schemats namn")]) -> None:
    """Start a run of the schedule's robot now (a worker picks it up)."""
    with _prefect():
        from caserobot import scheduling

        flow_run_id = scheduling.run_now(name, actor=_actor())
        console.print(f"✓ Körning {flow_run_id} startad för schemat {name}")
        if not any(w.status == "ONLINE" for w in scheduling.workers()):
            console.print("[yellow]Ingen worker kör: starta en med `caserobot worker`.[/yellow]")


@schedules_app.command("delete")
def delete(name: Annotated[str, typer.Argument(help="Schemats namn")]) -> None:
    """Delete a schedule (its past runs stay in Prefect)."""
    with _prefect():
        from caserobot import scheduling

        scheduling.delete(name, actor=_actor())
        console.print(f"✓ Schemat {name} är borttaget")


@credentials_app.command("set")
def set_credentials(
    system: Annotated[str, typer.Argument(help="Systemet, t.ex. arendesystem")],
    username: Annotated[str, typer.Option(help="Användarnamn")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Läs lösenordet från stdin")
    ] = False,
) -> None:
    """Store a legacy system's username and password (as a Prefect Secret block)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Lösenord", hide_input=True, confirmation_prompt=True)
    with _prefect():
        from caserobot import credentials

        stored = credentials.store(system, username, password, actor=_actor())
        console.print(f"✓ Inloggning för {stored.system} lagrad (användare {stored.username})")


@credentials_app.command("list")
def list_credentials() -> None:
    """Systems with stored credentials: usernames and when they were stored, no passwords."""
    with _prefect():
        from caserobot import credentials

        stored = credentials.list_stored()
        if not stored:
            console.print("Inga lagrade inloggningsuppgifter.")
            return
        table = Table("system", "användare", "lagrad")
        for c in stored:
            table.add_row(c.system, c.username, _when([c.stored_at] if c.stored_at else []))
        console.print(table)


@app.command()
def worker(
    name: Annotated[
        str | None,
        typer.Option(
            help="Workerns namn i Prefect (standard: caserobot-<datornamn>). Flera workers, "
            "på samma dator eller andra, behöver var sitt namn; samma namn startar inte två gånger"
        ),
    ] = None,
    limit: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Högst så många körningar samtidigt i den här workern; övriga tas av en "
            "annan worker (standard: ingen gräns)",
        ),
    ] = None,
) -> None:
    """Run a Prefect worker for the robot schedules until Ctrl-C.

    Picks up the scheduled and "run now" runs of caserobot's work pool and runs each robot's
    flow in the project directory, with the settings of the schedule. Several workers may
    take runs from the same pool, each with its own --name: Prefect gives every run to one
    of them, and the robots' seats stay within each legacy system's licence (Prefect's
    global concurrency limit legacy-<system>). Refuses to start a name that already runs.
    """
    from caserobot.prefect_worker import check_worker_name, default_worker_name, start_worker

    try:  # a bad name fails before anything starts
        name = check_worker_name(name or default_worker_name())
    except InputError as exc:
        console.print(f"[red]Fel:[/red] {exc}")
        raise typer.Exit(2) from None
    with _prefect() as settings:
        with console.status(f"Startar Prefect-workern {name}…"):
            proc = start_worker(settings, name=name, limit=limit, reuse=False)
        if proc is None:  # reuse=False raises rather than returning None
            raise typer.Exit(1)
        console.print(
            f"✓ Workern {name} kör på poolen caserobot (logg: {proc.log_path}). Avsluta med Ctrl-C."
        )
        # systemd and docker stop with SIGTERM: end the worker and its runs as Ctrl-C does
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while proc.proc is not None and proc.proc.poll() is None:
                time.sleep(1)
            console.print(f"[red]Fel:[/red] workern avslutades; se {proc.log_path}")
            raise typer.Exit(1)
        except KeyboardInterrupt:
            pass
        finally:
            proc.stop()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _when(times: list) -> str:  # type: ignore[type-arg]
    from zoneinfo import ZoneInfo

    if not times:
        return "–"
    return times[0].astimezone(ZoneInfo("Europe/Stockholm")).strftime("%Y-%m-%d %H:%M")
