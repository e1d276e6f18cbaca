"""Read-only views: ``caserobot robots``, ``steps``, ``exceptions`` and ``report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from caserobot import outcomes
from caserobot.cli import app
from caserobot.personnummer import mask
from caserobot.settings import get_settings


@app.command()
def robots() -> None:
    """List the robots (the case types' and robots/) and what the registry knows of their runs."""
    console = Console()
    from caserobot import registry
    from caserobot.db import init_db
    from caserobot.robots import list_manifests

    db = init_db(get_settings())
    registered = {r.name: r for r in registry.list_robots(db.sessions)}
    t = Table(title="Robotar", title_justify="left")
    for col in ("Namn", "Version", "Ärendetyp", "Ägare", "System", "Status", "Senaste körning"):
        t.add_column(col)
    for m in list_manifests():
        r = registered.get(m.name)
        last = r.last_run if r else None
        last_text = f"#{last.id} {last.status} {last.started_at:%Y-%m-%d %H:%M}" if last else "–"
        t.add_row(
            m.name,
            m.version,
            m.case_type,
            m.owner,
            ", ".join(m.legacy_systems),
            r.status if r else "ej registrerad",
            last_text,
        )
    console.print(t)


@app.command()
def steps(
    case_type: Annotated[str, typer.Argument(help="An installed case type with a robot")],
) -> None:
    """The process a case type's robot runs for each item (its tasks.robot) and every step
    it may name, with what each needs and gives."""
    from caserobot import discovery, process
    from caserobot.exceptions import CaseRobotError

    console = Console()
    try:
        handler = discovery.package(case_type).new_handler()
    except CaseRobotError as exc:
        typer.echo(f"fel: {exc}", err=True)
        raise typer.Exit(2) from None
    if not isinstance(handler, process.ProcessHandler):
        typer.echo(f"{case_type}: roboten har ingen process i tasks.robot", err=True)
        raise typer.Exit(2)
    declared = handler.declared
    console.print(f"[bold]{declared.name}[/bold]  ({declared.source})")
    for n, call in enumerate(declared.calls, 1):
        if call.side_by_side:
            inner = "  |  ".join(c.name for c in call.side_by_side)
            console.print(f"{n:>2}. {call.name}: {inner}")
        else:
            console.print(f"{n:>2}. {call.name}")
    t = Table(title="Steg som processen kan använda", title_justify="left")
    for col in ("Steg", "Behöver", "Ger", "Avslutar", "Vad det gör"):
        t.add_column(col, overflow="fold")
    for spec in sorted(handler.process_cls.steps().values(), key=lambda s: s.name):
        ends = "alltid" if spec.final else "kan" if spec.ends else ""
        t.add_row(spec.name, ", ".join(spec.needs), ", ".join(spec.gives), ends, spec.doc)
    console.print(t)


@app.command()
def exceptions(
    case_type: Annotated[str | None, typer.Option(help="Only this case type")] = None,
    reason: Annotated[str | None, typer.Option(help="Only items with this reason code")] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many")] = 50,
) -> None:
    """The caseworkers' exception queue: open items with reason and recommendation."""
    console = Console()
    from caserobot import registry
    from caserobot.db import init_db

    db = init_db(get_settings())
    items = registry.list_exception_items(db.sessions, case_type=case_type, status="open")
    if reason:
        items = [i for i in items if reason in i.reason_codes]
    t = Table(title=f"Undantagskön ({len(items)} öppna)", title_justify="left")
    t.add_column("#", justify="right", min_width=3)
    t.add_column("Ansökan", no_wrap=True, min_width=21)
    t.add_column("Orsak", min_width=14)
    t.add_column("Rek.", no_wrap=True, min_width=7)
    detail_width = max(20, console.width - 64)
    t.add_column("Beskrivning", overflow="ellipsis", no_wrap=True, max_width=detail_width)
    for i in items[:limit]:
        t.add_row(
            str(i.id),
            i.application_id,
            ", ".join(i.reason_codes),
            outcomes.label(i.recommended_outcome),
            mask(i.detail),
        )
    console.print(t)


@app.command()
def report(
    run_id: Annotated[int | None, typer.Argument(help="Run number (default: the latest)")] = None,
    excel: Annotated[Path | None, typer.Option(help="Also write the Excel report here")] = None,
) -> None:
    """Print a run's report (counts by outcome, exceptions by reason, durations)."""
    console = Console()
    from caserobot import registry
    from caserobot.db import init_db
    from caserobot.reports import build_run_report, print_summary, write_excel

    db = init_db(get_settings())
    if run_id is None:
        runs = registry.list_runs(db.sessions, limit=1)
        if not runs:
            console.print("Inga körningar ännu. Kör [bold]caserobot demo[/bold] först.")
            raise typer.Exit(1)
        run_id = runs[0].id
    try:
        rep = build_run_report(db.sessions, run_id)
    except LookupError as exc:
        console.print(f"[red]Fel:[/red] {exc}")
        raise typer.Exit(1) from None
    print_summary(rep, console)
    if excel:
        console.print(f"Excelrapport: {write_excel(rep, excel)}")
